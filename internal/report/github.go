package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/kafkaguard/kafkaguard/internal/location"
)

func init() {
	register(Format{Name: "github", Usage: "GitHub Actions annotations", Kinds: KindFindings, Outputter: OutputFunc(func(w io.Writer, r Report, _ Options) error { return renderGitHub(w, r) })})
}

// renderGitHub writes GitHub Actions workflow commands, one per finding:
//
//	::error file=inventory.yaml,line=12,title=KG501 guardrails::message (fix: ...)
//
// errors as ::error, warnings as ::warning, info as ::notice; then the summary
// line as plain output.
func renderGitHub(w io.Writer, r Report) error {
	bw := bufio.NewWriter(w)
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
			props = append(props, "file="+escapeProperty(file))
			if line > 0 {
				props = append(props, fmt.Sprintf("line=%d", line))
			}
			if col > 0 {
				props = append(props, fmt.Sprintf("col=%d", col))
			}
		}
		if title := strings.TrimSpace(f.ID + " " + f.Check); title != "" {
			props = append(props, "title="+escapeProperty(title))
		}
		msg := oneLine(f.Message)
		if f.Resource != "" {
			msg = f.Resource + ": " + msg
		}
		if f.Fix != "" {
			msg += " (fix: " + oneLine(f.Fix) + ")"
		}
		fmt.Fprintf(bw, "::%s", cmd)
		if len(props) > 0 {
			fmt.Fprintf(bw, " %s", strings.Join(props, ","))
		}
		fmt.Fprintf(bw, "::%s\n", escapeData(msg))
	}
	for _, o := range r.Errored() {
		fmt.Fprintf(bw, "::error title=%s::%s\n", escapeProperty(o.Check+" could not run"), escapeData(o.Check+" could not run: "+o.Error))
	}
	fmt.Fprintln(bw, summaryLine(r, false))
	return bw.Flush()
}

// escapeData and escapeProperty follow the runner's own escaping
// (actions/toolkit core/src/command.ts).
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
