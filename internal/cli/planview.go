package cli

import (
	"encoding/json"
	"fmt"
	"github.com/kafkaguard/kafkaguard/internal/textsafe"
	"io"
	"slices"
	"strings"

	"github.com/kafkaguard/kafkaguard/internal/apply"
	"github.com/kafkaguard/kafkaguard/internal/plan"
	"github.com/kafkaguard/kafkaguard/internal/scram"
)

// The plan view: the one place plans and apply results become text, json or
// markdown, for 'plan', 'apply' and the 'users' commands. A plan is data
// (internal/plan); the words that name flags are here, in the CLI.

// planFormat renders a whole plan.
type planFormat func(w io.Writer, p *plan.Plan, st style) error

// planFormats are the -o values of plan and users plan. Each format's file
// registers itself (init), so a new plan format is one file.
var planFormats = map[string]planFormat{}

func registerPlanFormat(name string, f planFormat) {
	if _, dup := planFormats[name]; dup {
		panic("plan format " + name + " registered twice")
	}
	planFormats[name] = f
}

func init() {
	registerPlanFormat("text", writePlanText)
	registerPlanFormat("json", writePlanJSON)
}

// planFormatNames are the plan formats for -o's help: text (the default),
// json, then the others by name.
func planFormatNames() []string {
	var rest []string
	for name := range planFormats {
		if name != "text" && name != "json" {
			rest = append(rest, name)
		}
	}
	slices.Sort(rest)
	return append([]string{"text", "json"}, rest...)
}

// style colours text output.
type style struct{ color bool }

func (st style) paint(code, s string) string {
	if !st.color {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (st style) add(s string) string    { return st.paint("32", s) } // green
func (st style) remove(s string) string { return st.paint("31", s) } // red
func (st style) drift(s string) string  { return st.paint("33", s) } // yellow
func (st style) bold(s string) string   { return st.paint("1", s) }

// action paints s in the colour of a: green add, yellow change, red remove.
func (st style) action(a plan.Action, s string) string {
	switch a {
	case plan.Add:
		return st.add(s)
	case plan.Remove:
		return st.remove(s)
	}
	return st.drift(s)
}

// sectionWords are how the view names a section: its heading (with the
// section's own note, such as the ACLs' scope) and the heading of what it
// leaves alone.
func sectionWords(sec plan.Section, st style) (heading, asides string) {
	switch s := sec.(type) {
	case *apply.ACLSection:
		return st.bold("ACLs:") + " (scope: " + aclScopeText(s) + ")",
			st.bold("Drift outside kafkaguard's scope") + " (never removed; --prune-unmanaged would remove it):"
	case *scram.Section:
		return st.bold("SCRAM users:"), st.bold("SCRAM users left alone:")
	}
	return st.bold(sec.Name() + ":"), st.bold(sec.Name() + " left alone:")
}

func aclScopeText(s *apply.ACLSection) string {
	if s.Pruning() {
		return "every principal (--prune-unmanaged)"
	}
	if s.Scope().String() == "" {
		return "no principal"
	}
	return s.Scope().String()
}

// changeLine is a change as the plan shows it: "+ ITEM  DETAIL".
func changeLine(c plan.Change) string {
	line := c.Action.Mark() + " " + textsafe.Line(c.Item)
	if c.Detail != "" {
		line += "  " + c.Detail
	}
	return line
}

// writePlanText renders every section, then the summary line.
func writePlanText(w io.Writer, p *plan.Plan, st style) error {
	var b strings.Builder
	for _, sec := range p.Sections {
		heading, asidesHeading := sectionWords(sec, st)
		if changes := sec.Changes(); len(changes) > 0 {
			b.WriteString(heading + "\n")
			for _, c := range changes {
				b.WriteString(st.action(c.Action, "  "+changeLine(c)) + "\n")
			}
			b.WriteString("\n")
		}
		if asides := sec.Asides(); len(asides) > 0 {
			b.WriteString(asidesHeading + "\n")
			for _, a := range asides {
				if a.Reason == "" {
					b.WriteString(st.drift("  ~ "+textsafe.Line(a.Item)) + "\n")
				} else {
					b.WriteString("    " + textsafe.Line(a.Item) + ": " + a.Reason + "\n")
				}
			}
			b.WriteString("\n")
		}
	}
	b.WriteString(st.bold(p.SummaryLine()) + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// planFormatVersion is the version of the plan's JSON document.
const planFormatVersion = 1

// writePlanJSON writes the documented JSON document (docs/cluster.md).
func writePlanJSON(w io.Writer, p *plan.Plan, _ style) error {
	doc := map[string]any{
		"format_version": planFormatVersion,
		"changes":        p.HasChanges(),
		"summary":        p.Summary(),
	}
	for _, s := range p.Sections {
		doc[s.Name()] = s.JSON()
	}
	return writeJSON(w, doc)
}

// writeJSON writes v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// resultVerb is what a successful change did, in the words of its section.
func resultVerb(r plan.Result) string {
	switch r.Action {
	case plan.Add:
		return "created"
	case plan.Update:
		return "changed"
	}
	if r.Section == "acls" {
		return "deleted"
	}
	return "removed"
}

// writeResultsText writes one line per result of an apply: "  + created
// ITEM" or "  ! failed   + ITEM: ERROR".
func writeResultsText(w io.Writer, results []plan.Result, st style) {
	for _, r := range results {
		switch r.Status() {
		case plan.Failed:
			fmt.Fprintf(w, "  ! failed   %s %s: %s\n", r.Action.Mark(), textsafe.Line(r.Item), oneLine(r.Err.Error()))
			continue
		case plan.Unknown:
			// Sent, but no answer came: the cluster may hold the change.
			fmt.Fprintf(w, "  ? unknown  %s %s: %s\n", r.Action.Mark(), textsafe.Line(r.Item), oneLine(r.Err.Error()))
			continue
		}
		line := fmt.Sprintf("  %s %-8s %s", r.Action.Mark(), resultVerb(r), textsafe.Line(r.Item))
		if r.Note != "" {
			line += " (" + r.Note + ")"
		}
		fmt.Fprintln(w, st.action(r.Action, line))
	}
}

// oneLine folds an error's lines into one.
func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }
