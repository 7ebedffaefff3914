// Package report is the findings model shared by `policy check` and `audit`,
// and the registry of its output formats (outputter.go), one file each:
// text (for people), json (stable, documented), junit (one testcase per
// check), sarif (SARIF 2.1.0), github (workflow annotations), markdown (a
// table for pull requests) and prometheus (an audit's metrics).
//
// Building a Report is the caller's business; rendering is pure: the same
// Report always renders to the same bytes.
package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kafkaguard/kafkaguard/policies"
)

// Severity ranks a finding. The zero value is SeverityInfo.
type Severity int

const (
	SeverityInfo Severity = iota
	SeverityWarning
	SeverityError
)

// SeverityNone is what Max returns for a report without findings; it is
// below every real severity.
const SeverityNone Severity = -1

var severityNames = []string{"info", "warning", "error"}

// String returns "info", "warning" or "error" ("none" for SeverityNone).
func (s Severity) String() string {
	if s >= 0 && int(s) < len(severityNames) {
		return severityNames[s]
	}
	if s == SeverityNone {
		return "none"
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// MarshalText makes a Severity render as its name in JSON and YAML.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses a severity name (see ParseSeverity).
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseSeverity parses "info", "warning" or "error" (case-insensitive; "warn"
// and "note" are accepted as the spellings other tools use).
func ParseSeverity(s string) (Severity, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "info", "note":
		return SeverityInfo, nil
	case "warning", "warn":
		return SeverityWarning, nil
	case "error":
		return SeverityError, nil
	}
	return SeverityNone, fmt.Errorf("unknown severity %q (want info, warning or error)", s)
}

// Finding is one thing a check found.
type Finding struct {
	ID       string   // stable rule id, e.g. KG101
	Check    string   // the check that produced it, e.g. "acl-drift"
	Severity Severity // info, warning or error
	Resource string   // what it is about, e.g. "User:orders-api" or a binding
	Message  string   // one line: what is wrong
	Fix      string   // one line: what to do about it
	Location string   // "file:line" (or "file") when known
	// Cluster is the cluster the finding is about, in a report that covers
	// several (empty otherwise).
	Cluster string
}

// CheckError is a check that could not run (or not completely): its
// findings, if any, are not the whole story and it must never look clean.
type CheckError struct {
	Check   string // the check, e.g. "scram-drift" (or "prod-eu/scram-drift")
	Cluster string // in a report that covers several clusters
	Error   string // one line: why it could not run
}

// Status is a check's outcome.
type Status string

const (
	StatusPassed  Status = "passed"  // ran completely, no findings
	StatusFailed  Status = "failed"  // ran completely, with findings
	StatusErrored Status = "errored" // could not run (completely): see Error
)

// CheckOutcome is what became of one check.
type CheckOutcome struct {
	Check    string
	Cluster  string
	Status   Status
	Findings int    // how many findings it reported (an errored check may have some)
	Error    string // why it could not run, for StatusErrored
}

// Report is the outcome of one run of one tool against one cluster.
type Report struct {
	Tool     string   // e.g. "kafkaguard audit"
	Cluster  string   // the inventory's cluster name, when there is one
	Checks   []string // every check that ran, so junit can list the passing ones
	Findings []Finding
	// Errors are the checks that could not run, or not completely. A check
	// named here is errored whatever its findings; its name need not be in
	// Checks.
	Errors []CheckError
	// Clusters names every cluster the report covers when it covers several
	// (then Cluster joins them for the summary line).
	Clusters []string
	Started  time.Time
	Duration time.Duration
	// CheckDurations optionally gives how long each check took (JUnit
	// testcase time; 0 when absent).
	CheckDurations map[string]time.Duration
	// Rules optionally maps a rule ID to a one-line title, used as the SARIF
	// rule's short description (the check name is used when absent).
	Rules map[string]string
	// Metrics are an audit's numbers per cluster, for the metrics formats
	// (prometheus); nil elsewhere.
	Metrics *Metrics
	// Tests are Rego test results (policy test); when set, the test formats
	// (text, json, junit) render them instead of findings.
	Tests *policies.TestResult
}

// Max returns the highest severity among the findings, SeverityNone when
// there are none.
func (r Report) Max() Severity {
	m := SeverityNone
	for _, f := range r.Findings {
		m = max(m, f.Severity)
	}
	return m
}

// AtLeast returns the findings whose severity is s or higher, in order.
func (r Report) AtLeast(s Severity) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Severity >= s {
			out = append(out, f)
		}
	}
	return out
}

// Count returns how many findings have severity s.
func (r Report) Count(s Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == s {
			n++
		}
	}
	return n
}

// Sort orders the findings by severity (highest first), then check, ID,
// resource and message, so output is stable whatever order checks ran in.
func (r *Report) Sort() {
	slices.SortStableFunc(r.Findings, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(b.Severity, a.Severity),
			cmp.Compare(a.Check, b.Check),
			cmp.Compare(a.ID, b.ID),
			cmp.Compare(a.Resource, b.Resource),
			cmp.Compare(a.Message, b.Message),
		)
	})
}

// AllChecks returns r.Checks followed by any check named only by an error or
// a finding, without duplicates.
func (r Report) AllChecks() []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range r.Checks {
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	var extra []string
	for _, e := range r.Errors {
		if e.Check != "" && !seen[e.Check] {
			seen[e.Check] = true
			extra = append(extra, e.Check)
		}
	}
	for _, f := range r.Findings {
		if f.Check != "" && !seen[f.Check] {
			seen[f.Check] = true
			extra = append(extra, f.Check)
		}
	}
	slices.Sort(extra)
	return append(out, extra...)
}

// Outcomes returns the outcome of every check (AllChecks order): errored when
// it is in Errors (whatever it found), failed with findings, else passed.
func (r Report) Outcomes() []CheckOutcome {
	var out []CheckOutcome
	for _, c := range r.AllChecks() {
		o := CheckOutcome{Check: c, Status: StatusPassed}
		for _, f := range r.Findings {
			if f.Check == c {
				o.Findings++
				if o.Cluster == "" {
					o.Cluster = f.Cluster
				}
			}
		}
		if o.Findings > 0 {
			o.Status = StatusFailed
		}
		var msgs []string
		for _, e := range r.Errors {
			if e.Check == c {
				o.Status = StatusErrored
				msgs = append(msgs, oneLine(e.Error))
				if e.Cluster != "" {
					o.Cluster = e.Cluster
				}
			}
		}
		o.Error = strings.Join(msgs, "; ")
		if o.Cluster == "" {
			o.Cluster = r.checkCluster(c)
		}
		out = append(out, o)
	}
	return out
}

// Errored returns the checks that could not run, in AllChecks order.
func (r Report) Errored() []CheckOutcome {
	var out []CheckOutcome
	for _, o := range r.Outcomes() {
		if o.Status == StatusErrored {
			out = append(out, o)
		}
	}
	return out
}

// checkCluster is the cluster a "<cluster>/<check>" name belongs to in a
// report that covers several clusters.
func (r Report) checkCluster(check string) string {
	for _, c := range r.Clusters {
		if strings.HasPrefix(check, c+"/") {
			return c
		}
	}
	return ""
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
