package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/kafkaguard/kafkaguard/internal/apply"
	"github.com/kafkaguard/kafkaguard/internal/plan"
	"github.com/kafkaguard/kafkaguard/internal/scram"
	"github.com/kafkaguard/kafkaguard/internal/textsafe"
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
			b.WriteString(markdownDiff(changes))
		}
		if asides := sec.Asides(); len(asides) > 0 {
			fmt.Fprintf(&b, "\n#### %s\n\n", asidesTitle)
			if asidesNote != "" {
				b.WriteString(asidesNote + "\n\n")
			}
			for _, a := range asides {
				b.WriteString(markdownItem(a.Item, a.Reason))
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
		return "ACLs", "Scope: " + textsafe.Markdown(aclScopeText(s)) + ".",
			"Drift outside kafkaguard's scope", "Never removed; `--prune-unmanaged` would remove it."
	case *scram.Section:
		return "SCRAM users", "", "SCRAM users left alone", ""
	}
	return sec.Name(), "", sec.Name() + " left alone", ""
}

// markdownDiff is changes as a diff block (GitHub colours its + and -
// lines), one change a line shown as it is (textsafe.Line), fenced so that
// no name in it can end the block.
func markdownDiff(changes []plan.Change) string {
	var lines strings.Builder
	for _, c := range changes {
		lines.WriteString(textsafe.Line(changeLine(c)) + "\n")
	}
	fence := textsafe.MarkdownFence(lines.String())
	return fence + "diff\n" + lines.String() + fence + "\n"
}

// markdownItem is a list item: what is left alone, as code, and why.
func markdownItem(item, reason string) string {
	line := "- " + textsafe.MarkdownCode(item)
	if reason != "" {
		line += ": " + textsafe.Markdown(reason)
	}
	return line + "\n"
}
