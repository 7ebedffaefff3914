package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
)

func init() {
	register(Format{Name: "junit", Usage: "JUnit XML, one testcase per check or test", Kinds: KindFindings | KindTests,
		Outputter: testsOr(plain(func(w io.Writer, r Report) error { return renderJUnit(w, testsReport(r)) }), plain(renderJUnit))})
}

// JUnit XML as Jenkins, GitLab and the GitHub test reporters read it: one
// testsuite for the run, one testcase per check (passing checks included),
// one <failure> per warning or error finding, info findings in system-out,
// and an <error> for a check that could not run. A report that covers several
// clusters has one testsuite per cluster.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr,omitempty"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string         `xml:"name,attr"`
	Classname string         `xml:"classname,attr"`
	Time      string         `xml:"time,attr"`
	Error     *junitFailure  `xml:"error,omitempty"` // the check could not run
	Failures  []junitFailure `xml:"failure"`
	SystemOut *junitInner    `xml:"system-out,omitempty"`
}

type junitInner struct {
	Text string `xml:",innerxml"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",innerxml"` // escaped by xmlText, newlines kept
}

func renderJUnit(w io.Writer, r Report) error {
	base := r.Tool
	if base == "" {
		base = "kafkaguard"
	}
	suiteName := base
	if r.Cluster != "" {
		suiteName += " (" + r.Cluster + ")"
	}
	secs := fmt.Sprintf("%.3f", r.Duration.Seconds())
	timestamp := ""
	if !r.Started.IsZero() {
		timestamp = r.Started.UTC().Format(time.RFC3339)
	}
	// One suite per cluster when the report covers several, else one.
	var suites []junitSuite
	suiteOf := map[string]int{}
	clusterSuite := func(cluster string) int {
		i, ok := suiteOf[cluster]
		if !ok {
			i = len(suites)
			suiteOf[cluster] = i
			suites = append(suites, junitSuite{Name: base + " (" + cluster + ")", Time: "0.000", Timestamp: timestamp})
		}
		return i
	}
	if len(r.Clusters) > 1 {
		for _, c := range r.Clusters {
			clusterSuite(c)
		}
	} else {
		suites = []junitSuite{{Name: suiteName, Time: secs, Timestamp: timestamp}}
	}
	doc := junitSuites{Name: suiteName, Time: secs}
	for _, o := range r.Outcomes() {
		si := 0
		if len(r.Clusters) > 1 {
			si = clusterSuite(o.Cluster)
		}
		suite := &suites[si]
		tc := junitCase{Name: o.Check, Classname: suite.Name, Time: fmt.Sprintf("%.3f", r.CheckDurations[o.Check].Seconds())}
		var info []string
		for _, f := range r.Findings {
			if f.Check != o.Check {
				continue
			}
			if f.Severity < SeverityWarning {
				info = append(info, findingText(f))
				continue
			}
			msg := oneLine(f.Message)
			if f.ID != "" {
				msg = f.ID + ": " + msg
			}
			tc.Failures = append(tc.Failures, junitFailure{Message: msg, Type: f.Severity.String(), Text: xmlText(findingText(f))})
		}
		if o.Status == StatusErrored {
			tc.Error = &junitFailure{Message: "could not run: " + o.Error, Type: "error", Text: xmlText(o.Check + " could not run: " + o.Error)}
			suite.Errors++
			doc.Errors++
		} else if len(tc.Failures) > 0 {
			suite.Failures++
			doc.Failures++
		}
		if len(info) > 0 {
			tc.SystemOut = &junitInner{Text: xmlText(strings.Join(info, "\n\n"))}
		}
		suite.Cases = append(suite.Cases, tc)
		suite.Tests++
		doc.Tests++
	}
	doc.Suites = suites
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("render junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// findingText is the multi-line description of f used in junit bodies.
func findingText(f Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s [%s]: %s", f.Severity, f.ID, f.Check, oneLine(f.Message))
	if f.Resource != "" {
		fmt.Fprintf(&b, "\nresource: %s", f.Resource)
	}
	if f.Location != "" {
		fmt.Fprintf(&b, "\nlocation: %s", f.Location)
	}
	if f.Fix != "" {
		fmt.Fprintf(&b, "\nfix: %s", oneLine(f.Fix))
	}
	return b.String()
}

// xmlText escapes s for element content, keeping its newlines readable.
func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return strings.ReplaceAll(b.String(), "&#xA;", "\n")
}

// testsReport is a test run as the junit renderer takes it: one check
// (testcase) per Rego test with its duration, a finding (<failure>) for
// each failing one and a check error (<error>, counted in errors) for each
// that stopped with an evaluation error.
func testsReport(t Report) Report {
	res := t.Tests
	r := Report{Tool: t.Tool, Started: t.Started, Duration: t.Duration,
		CheckDurations: map[string]time.Duration{}}
	for _, c := range res.Cases {
		if c.Skip {
			continue
		}
		name := c.Package + "." + c.Name
		r.Checks = append(r.Checks, name)
		r.CheckDurations[name] += c.Duration
		switch {
		case c.Pass:
		case c.Error != "":
			r.Errors = append(r.Errors, CheckError{Check: name, Error: c.Error + " (test at " + c.Location + ")"})
		default:
			r.Findings = append(r.Findings, Finding{
				Check: name, Severity: SeverityError, Resource: name, Message: "failed at " + c.FailedAt, Location: c.Location,
				Fix: "fix the policy or the test",
			})
		}
	}
	return r
}
