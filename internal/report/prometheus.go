package report

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kafkaguard/kafkaguard/internal/textsafe"
)

func init() {
	register(Format{Name: "prometheus", Usage: "metrics for the node-exporter textfile collector", Kinds: KindMetrics, Outputter: plain(renderPrometheus)})
}

// Metrics are an audit's numbers beside its findings, per cluster, for the
// metrics formats (prometheus).
type Metrics struct {
	Time     time.Time // when the audit ran
	Clusters []ClusterMetrics
}

// ClusterMetrics are one cluster's numbers.
type ClusterMetrics struct {
	Cluster  string
	Report   *Report        // its own report; nil when the audit could not start
	Complete bool           // every check ran
	Bindings map[string]int // live ACL bindings by state: in_sync, missing, extra, unmanaged
	Users    map[string]int // SCRAM users by state
	Certs    []Expiry       // the CA's certificates
	Brokers  []Expiry       // the certificates the brokers present
}

// Expiry is a certificate's time left, negative when expired.
type Expiry struct {
	Name      string // serial for CA certificates, host:port for brokers
	Kind      string
	Principal string
	Seconds   float64
}

// renderPrometheus writes r.Metrics in the Prometheus text exposition
// format, for the node-exporter textfile collector:
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
func renderPrometheus(bw io.Writer, r Report) error {
	var runs []ClusterMetrics
	var now time.Time
	if r.Metrics != nil {
		runs, now = r.Metrics.Clusters, r.Metrics.Time
	}
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
			io.WriteString(bw, series.String()+" "+formatFloat(s.value)+"\n")
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
		last = append(last, sample{lbl("cluster", c), float64(now.Unix())})
		success = append(success, sample{lbl("cluster", c), boolFloat(run.Complete)})
		if run.Report == nil {
			continue
		}
		rep := run.Report
		dur = append(dur, sample{lbl("cluster", c), rep.Duration.Seconds()})
		type checkSeverity struct {
			check string
			sev   Severity
		}
		count := map[checkSeverity]int{}
		for _, f := range rep.Findings {
			count[checkSeverity{f.Check, f.Severity}]++
		}
		for _, o := range rep.Outcomes() {
			check := o.Check
			checkOK = append(checkOK, sample{lbl("cluster", c, "check", check), boolFloat(o.Status != StatusErrored)})
			if o.Status == StatusErrored {
				// Not "0 findings": the check could not look.
				continue
			}
			for _, sev := range []Severity{SeverityError, SeverityWarning, SeverityInfo} {
				findings = append(findings, sample{lbl("cluster", c, "check", check, "severity", sev.String()), float64(count[checkSeverity{check, sev}])})
			}
		}
		for _, st := range slices.Sorted(maps.Keys(run.Bindings)) {
			bindings = append(bindings, sample{lbl("cluster", c, "state", st), float64(run.Bindings[st])})
		}
		for _, st := range slices.Sorted(maps.Keys(run.Users)) {
			users = append(users, sample{lbl("cluster", c, "state", st), float64(run.Users[st])})
		}
		for _, e := range run.Certs {
			certs = append(certs, sample{lbl("cluster", c, "serial", e.Name, "kind", e.Kind, "principal", e.Principal), e.Seconds})
		}
		for _, e := range run.Brokers {
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
	return nil
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

// escapeLabel escapes a label value as the exposition format wants; a
// control or bidi character, which the format has no escape for, becomes
// U+FFFD, so a hostile name neither breaks the file nor reaches a terminal.
func escapeLabel(s string) string {
	return labelEscaper.Replace(strings.Map(func(r rune) rune {
		if r != '\n' && textsafe.Unsafe(r) {
			return utf8.RuneError
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD")))
}
