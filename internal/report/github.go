package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/kafkaguard/kafkaguard/internal/location"
)

func init() {
	register(Format{Name: "github", Usage: "GitHub Actions annotations", Kinds: KindFindings, Outputter: plain(renderGitHub)})
}

// renderGitHub writes GitHub Actions workflow commands, one per finding:
//
//	::error file=inventory.yaml,line=12,title=KG501 guardrails::message (fix: ...)
//
// errors as ::error, warnings as ::warning, info as ::notice; then the summary
// line as plain output.
func renderGitHub(bw io.Writer, r Report) error {
	for _, f := range r.Findings {
		cmd := "notice"
		switch f.Severity {
		case SeverityError:
			cmd = "error"
		case SeverityWarning:
			cmd = "warning"
		}
		var props []string
		if f.Location != "" {
			file, line, col := location.Split(f.Location)
			props = append(props, "file="+escapeProperty(plainLine(safeLine(file))))
			if line > 0 {
				props = append(props, fmt.Sprintf("line=%d", line))
			}
			if col > 0 {
				props = append(props, fmt.Sprintf("col=%d", col))
			}
		}
		if title := safeLine(f.ID + " " + f.Check); title != "" {
			props = append(props, "title="+escapeProperty(plainLine(title)))
		}
		msg := safeLine(f.Message)
		if f.Resource != "" {
			msg = safeLine(f.Resource) + ": " + msg
		}
		if f.Fix != "" {
			msg += " (fix: " + safeLine(f.Fix) + ")"
		}
		fmt.Fprintf(bw, "::%s", cmd)
		if len(props) > 0 {
			fmt.Fprintf(bw, " %s", strings.Join(props, ","))
		}
		fmt.Fprintf(bw, "::%s\n", escapeData(plainLine(msg)))
	}
	for _, o := range r.Errored() {
		fmt.Fprintf(bw, "::error title=%s::%s\n", escapeProperty(plainLine(safeLine(o.Check))+" could not run"), escapeData(plainLine(safeLine(o.Check+" could not run: "+o.Error))))
	}
	// The summary is plain output, not a command: every value in it is on
	// one line (oneLine), and the runner's older "##[command]" syntax, which
	// it finds anywhere in a line, is broken up.
	_, err := fmt.Fprintln(bw, plainLine(summaryLine(r, false)))
	return err
}

// plainLine keeps a line of plain output from being read as a workflow
// command: "::" at its start (after spaces) or "##[" anywhere.
func plainLine(s string) string {
	s = strings.ReplaceAll(s, "##[", "##%5B")
	if strings.HasPrefix(strings.TrimLeft(s, " \t"), "::") {
		s = "%3A" + strings.TrimLeft(s, " \t")[1:]
	}
	return s
}

// escapeData and escapeProperty follow the runner's own escaping
// (actions/toolkit core/src/command.ts).
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
