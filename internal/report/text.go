package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/kafkaguard/kafkaguard/internal/textsafe"
)

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiGreen  = "\x1b[32m"
)

func severityColor(s Severity) string {
	switch s {
	case SeverityError:
		return ansiRed
	case SeverityWarning:
		return ansiYellow
	}
	return ansiCyan
}

func init() {
	register(Format{Name: "text", Usage: "for people", Kinds: KindFindings | KindTests, Outputter: testsOr(renderTestsText, renderText)})
}

// renderText is the format for people:
//
//	error    KG101 acl-drift  User:orders-api: binding missing on the cluster
//	         fix: kafkaguard apply -f inventory.yaml
//
// then one summary line.
func renderText(bw io.Writer, r Report, o Options) error {
	color := o.Color
	paint := func(c, s string) string {
		if !color {
			return s
		}
		return c + s + ansiReset
	}
	for _, f := range r.Findings {
		sev := fmt.Sprintf("%-8s", f.Severity)
		head := safeLine(f.ID + " " + f.Check)
		fmt.Fprintf(bw, "%s %s", paint(severityColor(f.Severity), sev), paint(ansiBold, head))
		if f.Resource != "" {
			fmt.Fprintf(bw, "  %s", safeLine(f.Resource))
		}
		fmt.Fprintln(bw)
		fmt.Fprintf(bw, "         %s\n", safeLine(f.Message))
		if f.Location != "" {
			fmt.Fprintf(bw, "         at: %s\n", safeLine(f.Location))
		}
		if f.Fix != "" {
			fmt.Fprintf(bw, "         fix: %s\n", safeLine(f.Fix))
		}
	}
	errored := r.Errored()
	for _, o := range errored {
		fmt.Fprintf(bw, "%s %s  could not run: %s\n", paint(ansiRed, fmt.Sprintf("%-8s", "error")), paint(ansiBold, safeLine(o.Check)), safeLine(o.Error))
	}
	if len(r.Findings) > 0 || len(errored) > 0 {
		fmt.Fprintln(bw)
	}
	_, err := fmt.Fprintln(bw, summaryLine(r, color))
	return err
}

// Summary is the one-line summary the text format ends with:
// "3 findings (1 error, 2 warnings) from 5 checks on cluster prod-eu in 1.2s."
func Summary(r Report) string { return summaryLine(r, false) }

// summaryLine: "3 findings (1 error, 2 warnings) from 5 checks on cluster prod-eu in 1.2s.",
// with "; 2 checks could not run: acl-drift, guardrails." when some errored.
func summaryLine(r Report, color bool) string {
	var b strings.Builder
	errored := r.Errored()
	checks := len(r.AllChecks()) - len(errored)
	if len(r.Findings) == 0 {
		s := "No findings"
		if color && len(errored) == 0 {
			s = ansiGreen + s + ansiReset
		}
		b.WriteString(s)
	} else {
		b.WriteString(plural(len(r.Findings), "finding", "findings"))
		var parts []string
		for _, s := range []Severity{SeverityError, SeverityWarning, SeverityInfo} {
			if n := r.Count(s); n > 0 {
				parts = append(parts, plural(n, s.String(), s.String()+"s"))
			}
		}
		fmt.Fprintf(&b, " (%s)", strings.Join(parts, ", "))
	}
	if checks > 0 || len(errored) > 0 {
		fmt.Fprintf(&b, " from %s", plural(checks, "check", "checks"))
	}
	if len(r.Clusters) > 1 {
		fmt.Fprintf(&b, " on clusters %s", safeLine(strings.Join(r.Clusters, ", ")))
	} else if r.Cluster != "" {
		fmt.Fprintf(&b, " on cluster %s", safeLine(r.Cluster))
	}
	if r.Duration > 0 {
		fmt.Fprintf(&b, " in %s", r.Duration.Round(time.Millisecond))
	}
	if len(errored) > 0 {
		var names []string
		for _, o := range errored {
			names = append(names, safeLine(o.Check))
		}
		s := fmt.Sprintf("; %s could not run: %s", plural(len(errored), "check", "checks"), strings.Join(names, ", "))
		if color {
			s = ansiRed + s + ansiReset
		}
		b.WriteString(s)
	}
	b.WriteString(".")
	return b.String()
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// safeLine is s on one line with its control characters escaped
// (textsafe), for the formats a terminal or a CI log shows: text, github.
func safeLine(s string) string { return textsafe.Line(oneLine(s)) }

// renderTestsText is policy test's format for people: a line per failing
// or errored test (-v: every test), then PASS/FAIL counts and the coverage.
func renderTestsText(w io.Writer, r Report, o Options) error {
	res, verbose := r.Tests, o.Verbose
	for _, c := range res.Cases {
		name := c.Package + "." + c.Name
		switch {
		case c.Skip:
			if verbose {
				fmt.Fprintf(w, "SKIP  %s (%s)\n", name, c.Location)
			}
		case c.Error != "":
			fmt.Fprintf(w, "ERROR %s (%s)\n      %s\n", name, c.Location, c.Error)
		case !c.Pass:
			fmt.Fprintf(w, "FAIL  %s (%s)\n      failed at %s\n", name, c.Location, c.FailedAt)
		case verbose:
			fmt.Fprintf(w, "PASS  %s (%s) %s\n", name, c.Location, c.Duration.Round(time.Microsecond))
		}
		if c.Output != "" && (verbose || !c.Pass) {
			for _, l := range strings.Split(strings.TrimRight(c.Output, "\n"), "\n") {
				fmt.Fprintf(w, "      | %s\n", l)
			}
		}
	}
	total := len(res.Cases) - res.Skipped()
	if res.Failed() > 0 {
		fmt.Fprintf(w, "--------------------------------------------------------------------------------\nPASS: %d/%d\nFAIL: %d/%d\n", res.Passed(), total, res.Failed(), total)
	} else {
		fmt.Fprintf(w, "PASS: %d/%d\n", res.Passed(), total)
	}
	if res.Skipped() > 0 {
		fmt.Fprintf(w, "SKIPPED: %d\n", res.Skipped())
	}
	if cov := res.Coverage; cov != nil {
		fmt.Fprintf(w, "coverage: %.1f%%\n", cov.Percent)
		files := make([]string, 0, len(cov.Files))
		for f := range cov.Files {
			files = append(files, f)
		}
		sort.Strings(files)
		for _, f := range files {
			fc := cov.Files[f]
			line := fmt.Sprintf("  %6.1f%%  %s", fc.Percent, f)
			if len(fc.NotCovered) > 0 {
				line += "  not covered: " + strings.Join(fc.NotCovered, ", ")
			}
			fmt.Fprintln(w, line)
		}
	}
	return nil
}
