package textsafe

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// Names from a hostile pull request, as the markdown outputs (findings
// tables, plans, access diffs) show them: nothing in them may format, link,
// inject HTML or break the row, block or line they stand in.
func TestMarkdownEscapesHostileNames(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"plain", "User:orders-api", "User:orders-api"},
		{"prose keeps its punctuation", "grant inv.yaml:5 allows everyone (User:*), see docs.", `grant inv.yaml:5 allows everyone (User:\*), see docs.`},
		{"cell separator", "a|b", `a\|b`},
		{"backslash before a pipe", `a\|b`, `a\\\|b`},
		{"emphasis and strikethrough", "*bold* _em_ ~~gone~~", `\*bold\* \_em\_ \~\~gone\~\~`},
		{"code span", "`rm -rf`", "\\`rm -rf\\`"},
		{"inline link", "[click](https://evil.example)", `\[click\](https\://evil.example)`},
		{"image", "![x](http://evil/x.png)", `\!\[x\](http\://evil/x.png)`},
		{"reference link and footnote", "[x][1] [^1]", `\[x\]\[1\] \[^1\]`},
		{"html tag", "<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{"html comment", "<!-- hide the rest", `&lt;\!-- hide the rest`},
		{"angle autolink", "<https://evil.example>", "&lt;https\\://evil.example&gt;"},
		{"entity", "&lt;b&gt; &#x3C;", `&amp;lt;b&amp;gt; &amp;\#x3C;`},
		{"extended url autolink", "see https://evil.example/login", `see https\://evil.example/login`},
		{"extended www autolink", "(www.evil.example)", `(www\.evil.example)`},
		{"math", "$x^2$", `\$x^2\$`},
		{"heading at the start", "# title", `\# title`},
		{"list markers at the start", "- a", `\- a`},
		{"plus at the start", "+ a", `\+ a`},
		{"setext underline at the start", "===", `\===`},
		{"ordered list at the start", "1. a", `1\. a`},
		{"ordered list with a paren", "12) a", `12\) a`},
		{"numbers inside stay", "x 1. a", "x 1. a"},
		{"newlines and tabs fold", "two\nlines\tand\r\n  more  ", "two lines and more"},
		{"escape sequence shown", "a\x1b[31mred", `a\\x1b\[31mred`},
		{"bidi override shown", "rtl\u202egnp", `rtl\\u202egnp`},
		{"invalid utf-8 shown", "bad\xff", `bad\\xff`},
		{"hard break backslash", `ends with \`, `ends with \\`},
	} {
		if got := Markdown(tt.in); got != tt.want {
			t.Errorf("%s: Markdown(%q)\n got %s\nwant %s", tt.name, tt.in, got, tt.want)
		}
	}
}

// Whatever the input, Markdown's output is one line in which every
// character GFM could act on is escaped or an entity.
func TestMarkdownLeavesNothingActive(t *testing.T) {
	inputs := []string{"", "|", "\\", "\\\\|", "&&&", "<<>>", "www.", "http://", "ftp://x.y", "\n\n", "a\u2028b", "\x00\x7f\x9b",
		"`*_[]~#!|$<>&", "User:*", "[a](b)", "wwww.x.y", "1.", "-", "*", "日本語 <b>"}
	for _, s := range inputs {
		out := Markdown(s)
		if strings.ContainsAny(out, "\n\r\t") || !utf8.ValidString(out) {
			t.Errorf("Markdown(%q) = %q: not one valid line", s, out)
		}
		if at, what := firstActive(out); at >= 0 {
			t.Errorf("Markdown(%q) = %q: %s at %d", s, out, what, at)
		}
	}
}

// firstActive is where out holds something GFM would act on: an unescaped
// special character, a raw < or >, an & that starts no entity kafkaguard
// writes, or an autolink trigger.
func firstActive(out string) (int, string) {
	for i := 0; i < len(out); i++ {
		c := out[i]
		switch {
		case c == '\\':
			i++ // escapes the next character
		case strings.IndexByte("`*_[]~#!|$<>", c) >= 0:
			return i, "unescaped " + string(c)
		case c == '&' && !strings.HasPrefix(out[i:], "&amp;") && !strings.HasPrefix(out[i:], "&lt;") && !strings.HasPrefix(out[i:], "&gt;"):
			return i, "bare &"
		case c == ':' && strings.HasPrefix(out[i:], "://"):
			return i, "url autolink"
		case c == '.' && strings.HasSuffix(out[:i], "www"):
			return i, "www autolink"
		}
	}
	return -1, ""
}

func TestMarkdownCodeShowsNamesExactly(t *testing.T) {
	for _, tt := range []struct{ in, inline, cell string }{
		{"plain", "`plain`", "`plain`"},
		{"a`b", "``a`b``", "``a`b``"},
		{"`edge", "`` `edge ``", "`` `edge ``"},
		{"x``y", "```x``y```", "```x``y```"},
		{"a|b", "`a|b`", "`a\\|b`"},
		{`a\|b`, "`a\\|b`", "`a\\\\|b`"},
		{" padded ", "`  padded  `", "`  padded  `"},
		{"  ", "`  `", "`  `"},
		{"<b>&amp;*_", "`<b>&amp;*_`", "`<b>&amp;*_`"},
		{"two\nlines\x1b[2K", "`two\\nlines\\x1b[2K`", "`two\\nlines\\x1b[2K`"},
	} {
		if got := MarkdownCode(tt.in); got != tt.inline {
			t.Errorf("MarkdownCode(%q) = %q, want %q", tt.in, got, tt.inline)
		}
		if got := MarkdownCodeCell(tt.in); got != tt.cell {
			t.Errorf("MarkdownCodeCell(%q) = %q, want %q", tt.in, got, tt.cell)
		}
	}
	if got := MarkdownFence("a\n```\nb ````` c\n"); got != "``````" {
		t.Errorf("MarkdownFence = %q", got)
	}
	if got := MarkdownFence("plain\n"); got != "```" {
		t.Errorf("MarkdownFence = %q", got)
	}
}
