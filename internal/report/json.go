package report

import (
	"encoding/json"
	"io"
	"time"

	"github.com/kafkaguard/kafkaguard/policies"
)

func init() {
	register(Format{Name: "json", Usage: "stable, documented", Kinds: KindFindings | KindTests, Outputter: testsOr(plain(renderTestsJSON), plain(renderJSON))})
}

// The json format (stable; documented in docs/audit.md):
//
//	{"tool": "...", "cluster": "...", "started": "RFC 3339", "duration_seconds": 1.2,
//	 "clusters": ["prod-eu", "staging"],            (only when the report covers several)
//	 "checks": ["acl-drift", ...],                  (every check, errored ones too)
//	 "summary": {"findings": 3, "error": 1, "warning": 2, "info": 0, "max": "error", "errors": 0},
//	 "errors": [{"check", "cluster", "error"}],      (checks that could not run; [] when none)
//	 "findings": [{"id","check","cluster","severity","resource","message","fix","location"}]}
type jsonReport struct {
	Tool            string        `json:"tool,omitempty"`
	Cluster         string        `json:"cluster,omitempty"`
	Clusters        []string      `json:"clusters,omitempty"`
	Started         string        `json:"started,omitempty"`
	DurationSeconds float64       `json:"duration_seconds"`
	Checks          []string      `json:"checks"`
	Summary         jsonSummary   `json:"summary"`
	Errors          []jsonError   `json:"errors"`
	Findings        []jsonFinding `json:"findings"`
}

type jsonError struct {
	Check   string `json:"check"`
	Cluster string `json:"cluster,omitempty"`
	Error   string `json:"error"`
}

type jsonSummary struct {
	Findings int    `json:"findings"`
	Error    int    `json:"error"`
	Warning  int    `json:"warning"`
	Info     int    `json:"info"`
	Max      string `json:"max"`
	Errors   int    `json:"errors"` // checks that could not run
}

type jsonFinding struct {
	ID       string `json:"id"`
	Check    string `json:"check"`
	Cluster  string `json:"cluster,omitempty"`
	Severity string `json:"severity"`
	Resource string `json:"resource,omitempty"`
	Message  string `json:"message"`
	Fix      string `json:"fix,omitempty"`
	Location string `json:"location,omitempty"`
}

func renderJSON(w io.Writer, r Report) error {
	out := jsonReport{
		Tool:            r.Tool,
		Cluster:         r.Cluster,
		Clusters:        r.Clusters,
		DurationSeconds: r.Duration.Seconds(),
		Checks:          r.AllChecks(),
		Summary: jsonSummary{
			Findings: len(r.Findings),
			Error:    r.Count(SeverityError),
			Warning:  r.Count(SeverityWarning),
			Info:     r.Count(SeverityInfo),
			Max:      r.Max().String(),
		},
		Errors:   []jsonError{},
		Findings: []jsonFinding{},
	}
	for _, o := range r.Errored() {
		out.Errors = append(out.Errors, jsonError{Check: o.Check, Cluster: o.Cluster, Error: o.Error})
	}
	out.Summary.Errors = len(out.Errors)
	if out.Checks == nil {
		out.Checks = []string{}
	}
	if !r.Started.IsZero() {
		out.Started = r.Started.UTC().Format(time.RFC3339)
	}
	for _, f := range r.Findings {
		out.Findings = append(out.Findings, jsonFinding{
			ID: f.ID, Check: f.Check, Cluster: f.Cluster, Severity: f.Severity.String(),
			Resource: f.Resource, Message: f.Message, Fix: f.Fix, Location: f.Location,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// renderTestsJSON writes policy test's results as policies.TestResult
// encodes them (docs/policy.md), "tests": [] when none ran.
func renderTestsJSON(w io.Writer, r Report) error {
	out := *r.Tests
	if out.Cases == nil {
		out.Cases = []policies.TestCase{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
