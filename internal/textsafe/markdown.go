package textsafe

import (
	"strings"
	"unicode/utf8"
)

// Markdown for GitHub pull-request comments and job summaries (GitHub
// Flavored Markdown, as cmark-gfm renders it). Every name kafkaguard puts
// into markdown may come from a hostile pull request: these are the one
// place where such text is made inert, so that it can neither format, link,
// inject HTML nor break the table or block it stands in.

// Markdown is s as inline markdown text, also right for a table cell: on
// one line (runs of white space, newlines included, fold into one space; a
// control character is a visible escape, as Line writes it), with
//   - <, > and & as HTML entities, so no tag, comment, angle autolink or
//     entity is ever formed;
//   - a backslash before each character that starts markup in GFM:
//     \ ` * _ [ ] ~ # ! | $ (emphasis, code, links and images, strikethrough,
//     headings, table cells, math);
//   - the extended autolinks broken up: the ':' of "://" and the '.' of
//     "www." escaped (cmark-gfm recognises them only unescaped);
//   - a leading list, heading or block-quote marker escaped, for text that
//     starts a line.
//
// Parentheses stay as they are: without an unescaped ']' before them they
// cannot make a link. What GitHub adds after rendering (@mentions, #123
// references, email addresses as mailto: links) is not markdown and no
// escape stops it.
func Markdown(s string) string {
	s = Line(strings.Join(strings.Fields(s), " "))
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case strings.ContainsRune("\\`*_[]~#!|$", r),
			r == ':' && strings.HasPrefix(s[i+1:], "//"),
			r == '.' && strings.HasSuffix(s[:i], "www"),
			i == 0 && strings.ContainsRune("-+=", r),
			(r == '.' || r == ')') && i > 0 && leadingDigits(s[:i]):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// leadingDigits reports whether s is one to nine ASCII digits: an ordered
// list marker's number when a '.' or ')' follows at the start of a line.
func leadingDigits(s string) bool {
	if len(s) > 9 {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// MarkdownCode is s as an inline code span: shown exactly as it is (no
// escape works inside one, and none is needed), on one line (Line), between
// backtick runs longer than any run in s, padded with a space where s would
// otherwise lose or join an edge character (CommonMark's code span rules).
// Outside a table; in one, use MarkdownCodeCell.
func MarkdownCode(s string) string {
	s = Line(s)
	delim := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") ||
		(len(s) > 2 && s[0] == ' ' && s[len(s)-1] == ' ' && strings.Trim(s, " ") != "") {
		s = " " + s + " "
	}
	return delim + s + delim
}

// MarkdownCodeCell is MarkdownCode for a table cell: GFM splits the row on
// every '|' not preceded by a backslash, before the code span is read, and
// takes that backslash out again, so each pipe is written as "\|".
func MarkdownCodeCell(s string) string {
	return strings.ReplaceAll(MarkdownCode(s), "|", `\|`)
}

// MarkdownFence is a code fence for body: a run of backticks longer than
// any in it (three at the least), so no line of body can close the block.
func MarkdownFence(body string) string {
	return strings.Repeat("`", max(3, longestRun(body, '`')+1))
}

// longestRun is the length of the longest run of r in s.
func longestRun(s string, r rune) int {
	longest, run := 0, 0
	for _, c := range s {
		if c == r {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}
