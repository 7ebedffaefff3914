package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/kafkaguard/kafkaguard/internal/apply"
	"github.com/kafkaguard/kafkaguard/internal/plan"
	"github.com/kafkaguard/kafkaguard/internal/scram"
)

func init() { registerPlanFormat("markdown", writePlanMarkdown) }

// writePlanMarkdown renders the plan for a pull request comment: the summary
// first, then each section's changes in a diff block (GitHub colours + and
// - lines) and what it leaves alone as a list.
func writePlanMarkdown(w io.Writer, p *plan.Plan, _ style) error {
	var b strings.Builder
	b.WriteString("### kafkaguard plan\n\n")
	fmt.Fprintf(&b, "**%s**\n", p.SummaryLine())
	for _, sec := range p.Sections {
		title, note, asidesTitle, asidesNote := markdownWords(sec)
		if changes := sec.Changes(); len(changes) > 0 {
			fmt.Fprintf(&b, "\n#### %s\n\n", title)
			if note != "" {
				b.WriteString(note + "\n\n")
			}
			var lines strings.Builder
			for _, c := range changes {
				lines.WriteString(oneLine(changeLine(c)) + "\n")
			}
			fence := markdownFence(lines.String())
			b.WriteString(fence + "diff\n" + lines.String() + fence + "\n")
		}
		if asides := sec.Asides(); len(asides) > 0 {
			fmt.Fprintf(&b, "\n#### %s\n\n", asidesTitle)
			if asidesNote != "" {
				b.WriteString(asidesNote + "\n\n")
			}
			for _, a := range asides {
				line := "- " + markdownCode(a.Item)
				if a.Reason != "" {
					line += ": " + markdownText(a.Reason)
				}
				b.WriteString(line + "\n")
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// markdownWords are a section's headings and notes in markdown.
func markdownWords(sec plan.Section) (title, note, asidesTitle, asidesNote string) {
	switch s := sec.(type) {
	case *apply.ACLSection:
		return "ACLs", "Scope: " + markdownText(aclScopeText(s)) + ".",
			"Drift outside kafkaguard's scope", "Never removed; `--prune-unmanaged` would remove it."
	case *scram.Section:
		return "SCRAM users", "", "SCRAM users left alone", ""
	}
	return sec.Name(), "", sec.Name() + " left alone", ""
}

// markdownCode is s as a code span, whatever backticks it holds: delimited
// by a longer run of backticks than any in s (CommonMark), on one line.
func markdownCode(s string) string {
	s = oneLine(s)
	delim := strings.Repeat("`", max(1, longestRun(s, '`')+1))
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return delim + s + delim
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

// markdownText escapes the characters that would turn plain text into
// markup (a name may hold any of them) and folds lines.
func markdownText(s string) string {
	var b strings.Builder
	for _, r := range oneLine(s) {
		if strings.ContainsRune("\\`*_[]<>!|~", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// markdownFence is a code fence longer than any run of backticks in body, so
// no name in it can end the block.
func markdownFence(body string) string {
	return strings.Repeat("`", max(3, longestRun(body, '`')+1))
}
