package audit

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
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

// WritePrometheus writes the runs in the Prometheus text exposition format,
// for the node-exporter textfile collector:
//
//	kafkaguard_audit_findings{cluster,check,severity}       findings by check and severity (zeros included; none for a check that could not run)
//	kafkaguard_audit_check_success{cluster,check}            1 when the check ran completely, 0 when it could not run
//	kafkaguard_audit_bindings{cluster,state}                 live ACL bindings: in_sync, missing, extra, unmanaged
//	kafkaguard_audit_scram_users{cluster,state}              SCRAM users by state
//	kafkaguard_certificate_expiry_seconds{cluster,serial,kind,principal}  seconds to expiry (negative: expired)
//	kafkaguard_broker_certificate_expiry_seconds{cluster,broker}
//	kafkaguard_audit_last_run_timestamp_seconds{cluster}
//	kafkaguard_audit_duration_seconds{cluster}
//	kafkaguard_audit_success{cluster}                        1 when every check ran
//
// Every series is written once: a repeated one (the same broker twice in the
// bootstrap list, the same cluster twice) keeps its first value, as the
// textfile collector rejects files with duplicate series.
func WritePrometheus(w io.Writer, runs []ClusterRun, now time.Time) error {
	bw := bufio.NewWriter(w)
	type sample struct {
		labels [][2]string
		value  float64
	}
	metric := func(name, help, typ string, samples []sample) {
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
		seen := map[string]bool{}
		for _, s := range samples {
			var series strings.Builder
			series.WriteString(name)
			if len(s.labels) > 0 {
				series.WriteByte('{')
				for i, l := range s.labels {
					if i > 0 {
						series.WriteByte(',')
					}
					fmt.Fprintf(&series, "%s=\"%s\"", l[0], escapeLabel(l[1]))
				}
				series.WriteByte('}')
			}
			if seen[series.String()] {
				continue
			}
			seen[series.String()] = true
			bw.WriteString(series.String())
			bw.WriteByte(' ')
			bw.WriteString(formatFloat(s.value))
			bw.WriteByte('\n')
		}
	}
	lbl := func(kv ...string) [][2]string {
		var out [][2]string
		for i := 0; i+1 < len(kv); i += 2 {
			out = append(out, [2]string{kv[i], kv[i+1]})
		}
		return out
	}
	var findings, checkOK, bindings, users, certs, brokers, last, dur, success []sample
	for _, run := range runs {
		c := run.Cluster
		ok := run.Err == nil && run.Result != nil && run.Result.Err == nil
		last = append(last, sample{lbl("cluster", c), float64(now.Unix())})
		success = append(success, sample{lbl("cluster", c), boolFloat(ok)})
		if run.Result == nil {
			continue
		}
		r := run.Result
		dur = append(dur, sample{lbl("cluster", c), r.Report.Duration.Seconds()})
		type checkSeverity struct {
			check string
			sev   report.Severity
		}
		count := map[checkSeverity]int{}
		for _, f := range r.Report.Findings {
			count[checkSeverity{f.Check, f.Severity}]++
		}
		for _, o := range r.Report.Outcomes() {
			check := o.Check
			checkOK = append(checkOK, sample{lbl("cluster", c, "check", check), boolFloat(o.Status != report.StatusErrored)})
			if o.Status == report.StatusErrored {
				// Not "0 findings": the check could not look.
				continue
			}
			for _, sev := range []report.Severity{report.SeverityError, report.SeverityWarning, report.SeverityInfo} {
				findings = append(findings, sample{lbl("cluster", c, "check", check, "severity", sev.String()), float64(count[checkSeverity{check, sev}])})
			}
		}
		for _, st := range slices.Sorted(maps.Keys(r.Bindings)) {
			bindings = append(bindings, sample{lbl("cluster", c, "state", st), float64(r.Bindings[st])})
		}
		for _, st := range slices.Sorted(maps.Keys(r.Users)) {
			users = append(users, sample{lbl("cluster", c, "state", st), float64(r.Users[st])})
		}
		for _, e := range r.Certs {
			certs = append(certs, sample{lbl("cluster", c, "serial", e.Name, "kind", e.Kind, "principal", e.Principal), e.Seconds})
		}
		for _, e := range r.Brokers {
			brokers = append(brokers, sample{lbl("cluster", c, "broker", e.Name), e.Seconds})
		}
	}
	metric("kafkaguard_audit_findings", "Findings of the last audit by check and severity.", "gauge", findings)
	metric("kafkaguard_audit_check_success", "1 when the check ran completely in the last audit, 0 when it could not run (its findings are then not reported).", "gauge", checkOK)
	metric("kafkaguard_audit_bindings", "Live ACL bindings by state: in_sync, missing, extra (managed, not in policy), unmanaged.", "gauge", bindings)
	metric("kafkaguard_audit_scram_users", "SCRAM users by state.", "gauge", users)
	metric("kafkaguard_certificate_expiry_seconds", "Seconds until a CA-issued certificate expires (negative when expired).", "gauge", certs)
	metric("kafkaguard_broker_certificate_expiry_seconds", "Seconds until the certificate a broker presents expires.", "gauge", brokers)
	metric("kafkaguard_audit_last_run_timestamp_seconds", "Unix time of the last audit run.", "gauge", last)
	metric("kafkaguard_audit_duration_seconds", "How long the last audit took.", "gauge", dur)
	metric("kafkaguard_audit_success", "1 when every check of the last audit ran, 0 when the audit could not run completely.", "gauge", success)
	return bw.Flush()
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func formatFloat(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// labelEscaper escapes a label value: backslash, newline and double quote.
var labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)

func escapeLabel(s string) string { return labelEscaper.Replace(s) }

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
