package audit

import (
	"io"
	"strings"
	"time"

	"github.com/kafkaguard/kafkaguard/internal/report"
)

// ClusterRun is one cluster's outcome for the metrics: its result, or the
// error that kept the audit from running at all.
type ClusterRun struct {
	Cluster string
	Result  *Result // nil when the audit could not start (bad inventory, unreachable cluster)
	Err     error
}

// MetricsOf are the runs' numbers for the metrics formats (prometheus):
// each cluster's own report, whether every check ran, its bindings and
// SCRAM users by state and its certificates' time left. now is when the
// audit ran.
func MetricsOf(runs []ClusterRun, now time.Time) *report.Metrics {
	m := &report.Metrics{Time: now}
	for _, run := range runs {
		c := report.ClusterMetrics{Cluster: run.Cluster, Complete: run.Err == nil && run.Result != nil && run.Result.Err == nil}
		if r := run.Result; r != nil {
			c.Report = &r.Report
			c.Bindings, c.Users = r.Bindings, r.Users
			c.Certs, c.Brokers = expiries(r.Certs), expiries(r.Brokers)
		}
		m.Clusters = append(m.Clusters, c)
	}
	return m
}

func expiries(cs []CertExpiry) []report.Expiry {
	out := make([]report.Expiry, len(cs))
	for i, c := range cs {
		out[i] = report.Expiry(c)
	}
	return out
}

// WritePrometheus writes the runs in the prometheus format (report's
// prometheus.go).
func WritePrometheus(w io.Writer, runs []ClusterRun, now time.Time) error {
	return report.Render(w, "prometheus", report.Report{Metrics: MetricsOf(runs, now)}, false)
}

// MergeRuns combines the runs of a --clusters audit into one report that
// covers every cluster: each check is named "<cluster>/<check>", each finding
// and check error carries its cluster (and resources are prefixed with it),
// and a cluster that could not be audited at all is the errored check
// "<cluster>/audit". A single run that did audit is returned as it is.
func MergeRuns(runs []ClusterRun) report.Report {
	if len(runs) == 1 && runs[0].Result != nil {
		return runs[0].Result.Report
	}
	out := report.Report{Tool: "kafkaguard audit", Rules: RuleTitles()}
	first := true
	for _, run := range runs {
		name := run.Cluster
		if run.Result != nil && run.Result.Report.Cluster != "" {
			name = run.Result.Report.Cluster
		}
		out.Clusters = append(out.Clusters, name)
		if run.Result == nil {
			msg := "the audit could not run"
			if run.Err != nil {
				msg = oneLine(run.Err.Error())
			}
			out.Errors = append(out.Errors, report.CheckError{Check: name + "/audit", Cluster: name, Error: msg})
			out.Checks = append(out.Checks, name+"/audit")
			continue
		}
		r := run.Result.Report
		r.Cluster = name
		if first || r.Started.Before(out.Started) {
			out.Started = r.Started
		}
		first = false
		out.Duration += r.Duration
		p := Prefix(r)
		out.Checks = append(out.Checks, p.Checks...)
		out.Findings = append(out.Findings, p.Findings...)
		out.Errors = append(out.Errors, p.Errors...)
	}
	out.Cluster = strings.Join(out.Clusters, ", ")
	out.Sort()
	return out
}

// Merge combines several clusters' reports into one (see MergeRuns). One
// report is returned as it is.
func Merge(reports ...report.Report) report.Report {
	var runs []ClusterRun
	for i := range reports {
		runs = append(runs, ClusterRun{Cluster: reports[i].Cluster, Result: &Result{Report: reports[i]}})
	}
	return MergeRuns(runs)
}

// Prefix names r's checks "<cluster>/<check>", prefixes its resources with
// "<cluster>: " and sets the cluster of each finding and check error.
func Prefix(r report.Report) report.Report {
	out := r
	out.Checks = nil
	out.Findings = nil
	out.Errors = nil
	for _, c := range r.AllChecks() {
		out.Checks = append(out.Checks, r.Cluster+"/"+c)
	}
	for _, f := range r.Findings {
		f.Check = r.Cluster + "/" + f.Check
		f.Cluster = r.Cluster
		if f.Resource != "" {
			f.Resource = r.Cluster + ": " + f.Resource
		}
		out.Findings = append(out.Findings, f)
	}
	for _, e := range r.Errors {
		e.Check = r.Cluster + "/" + e.Check
		e.Cluster = r.Cluster
		out.Errors = append(out.Errors, e)
	}
	return out
}
