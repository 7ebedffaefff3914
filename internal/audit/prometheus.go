package audit

import (
	"bufio"
	"fmt"
	"io"
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
//	kafkaguard_audit_findings{cluster,check,severity}       findings by check and severity (zeros included)
//	kafkaguard_audit_bindings{cluster,state}                 live ACL bindings: in_sync, missing, extra, unmanaged
//	kafkaguard_audit_scram_users{cluster,state}              SCRAM users by state
//	kafkaguard_certificate_expiry_seconds{cluster,serial,kind,principal}  seconds to expiry (negative: expired)
//	kafkaguard_broker_certificate_expiry_seconds{cluster,broker}
//	kafkaguard_audit_last_run_timestamp_seconds{cluster}
//	kafkaguard_audit_duration_seconds{cluster}
//	kafkaguard_audit_success{cluster}                        1 when every check ran
func WritePrometheus(w io.Writer, runs []ClusterRun, now time.Time) error {
	bw := bufio.NewWriter(w)
	type sample struct {
		labels [][2]string
		value  float64
	}
	metric := func(name, help, typ string, samples []sample) {
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
		for _, s := range samples {
			bw.WriteString(name)
			if len(s.labels) > 0 {
				bw.WriteByte('{')
				for i, l := range s.labels {
					if i > 0 {
						bw.WriteByte(',')
					}
					fmt.Fprintf(bw, "%s=\"%s\"", l[0], escapeLabel(l[1]))
				}
				bw.WriteByte('}')
			}
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
	var findings, bindings, users, certs, brokers, last, dur, success []sample
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
		for _, check := range r.Report.AllChecks() {
			for _, sev := range []report.Severity{report.SeverityError, report.SeverityWarning, report.SeverityInfo} {
				n := 0
				for _, f := range r.Report.Findings {
					if f.Check == check && f.Severity == sev {
						n++
					}
				}
				findings = append(findings, sample{lbl("cluster", c, "check", check, "severity", sev.String()), float64(n)})
			}
		}
		for _, st := range sortedKeys(r.Bindings) {
			bindings = append(bindings, sample{lbl("cluster", c, "state", st), float64(r.Bindings[st])})
		}
		for _, st := range sortedKeys(r.Users) {
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
	metric("kafkaguard_audit_bindings", "Live ACL bindings by state: in_sync, missing, extra (managed, not in policy), unmanaged.", "gauge", bindings)
	metric("kafkaguard_audit_scram_users", "SCRAM users by state.", "gauge", users)
	metric("kafkaguard_certificate_expiry_seconds", "Seconds until a CA-issued certificate expires (negative when expired).", "gauge", certs)
	metric("kafkaguard_broker_certificate_expiry_seconds", "Seconds until the certificate a broker presents expires.", "gauge", brokers)
	metric("kafkaguard_audit_last_run_timestamp_seconds", "Unix time of the last audit run.", "gauge", last)
	metric("kafkaguard_audit_duration_seconds", "How long the last audit took.", "gauge", dur)
	metric("kafkaguard_audit_success", "1 when every check of the last audit ran, 0 when the audit could not run completely.", "gauge", success)
	return bw.Flush()
}

func sortedKeys(m map[string]int) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
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

func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`).Replace(s)
}

// Merge combines several clusters' reports into one, each check named
// "<cluster>/<check>" and each resource prefixed with the cluster, so every
// renderer (junit testcases, SARIF rules) keeps the clusters apart. One
// report is returned as it is; use Prefix for a multi-cluster run in which
// only one cluster could be audited.
func Merge(reports ...report.Report) report.Report {
	if len(reports) == 1 {
		return reports[0]
	}
	out := report.Report{Tool: "kafkaguard audit", Rules: RuleTitles()}
	var names []string
	for i, r := range reports {
		names = append(names, r.Cluster)
		if i == 0 || r.Started.Before(out.Started) {
			out.Started = r.Started
		}
		out.Duration += r.Duration
		p := Prefix(r)
		out.Checks = append(out.Checks, p.Checks...)
		out.Findings = append(out.Findings, p.Findings...)
	}
	out.Cluster = strings.Join(names, ", ")
	return out
}

// Prefix names r's checks "<cluster>/<check>" and prefixes its resources
// with "<cluster>: ".
func Prefix(r report.Report) report.Report {
	out := r
	out.Checks = nil
	out.Findings = nil
	for _, c := range r.AllChecks() {
		out.Checks = append(out.Checks, r.Cluster+"/"+c)
	}
	for _, f := range r.Findings {
		f.Check = r.Cluster + "/" + f.Check
		if f.Resource != "" {
			f.Resource = r.Cluster + ": " + f.Resource
		}
		out.Findings = append(out.Findings, f)
	}
	return out
}
