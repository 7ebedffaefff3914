package report

import (
	"encoding/json"
	"io"
	"time"
)

// The json format (stable; documented in docs/audit.md):
//
//	{"tool": "...", "cluster": "...", "started": "RFC 3339", "duration_seconds": 1.2,
//	 "checks": ["acl-drift", ...],
//	 "summary": {"findings": 3, "error": 1, "warning": 2, "info": 0, "max": "error"},
//	 "findings": [{"id","check","severity","resource","message","fix","location"}]}
type jsonReport struct {
	Tool            string        `json:"tool,omitempty"`
	Cluster         string        `json:"cluster,omitempty"`
	Started         string        `json:"started,omitempty"`
	DurationSeconds float64       `json:"duration_seconds"`
	Checks          []string      `json:"checks"`
	Summary         jsonSummary   `json:"summary"`
	Findings        []jsonFinding `json:"findings"`
}

type jsonSummary struct {
	Findings int    `json:"findings"`
	Error    int    `json:"error"`
	Warning  int    `json:"warning"`
	Info     int    `json:"info"`
	Max      string `json:"max"`
}

type jsonFinding struct {
	ID       string `json:"id"`
	Check    string `json:"check"`
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
		DurationSeconds: r.Duration.Seconds(),
		Checks:          r.AllChecks(),
		Summary: jsonSummary{
			Findings: len(r.Findings),
			Error:    r.Count(SeverityError),
			Warning:  r.Count(SeverityWarning),
			Info:     r.Count(SeverityInfo),
			Max:      r.Max().String(),
		},
		Findings: []jsonFinding{},
	}
	if out.Checks == nil {
		out.Checks = []string{}
	}
	if !r.Started.IsZero() {
		out.Started = r.Started.UTC().Format(time.RFC3339)
	}
	for _, f := range r.Findings {
		out.Findings = append(out.Findings, jsonFinding{
			ID: f.ID, Check: f.Check, Severity: f.Severity.String(),
			Resource: f.Resource, Message: f.Message, Fix: f.Fix, Location: f.Location,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
