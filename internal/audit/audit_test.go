package audit

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"maps"
	"math/big"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/report"
	"github.com/kafkaguard/kafkaguard/internal/scram"
	"github.com/kafkaguard/kafkaguard/internal/testutil"
	"github.com/kafkaguard/kafkaguard/policies"
)

var now = time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)

func b(principal, typ, name, op, perm string) acl.Binding {
	pt := "LITERAL"
	if strings.HasSuffix(name, "*") && name != "*" {
		name, pt = strings.TrimSuffix(name, "*"), "PREFIXED"
	}
	x, err := acl.FromStrings(principal, "*", typ, name, pt, op, perm)
	if err != nil {
		panic(err)
	}
	return x
}

func ids(fs []report.Finding) []string {
	return testutil.Sorted(fs, func(f report.Finding) string { return f.ID })
}

func TestACLDriftReportsMissingExtraAndUnmanaged(t *testing.T) {
	desired := acl.NewSet(b("User:orders", "TOPIC", "orders", "WRITE", "ALLOW"), b("User:orders", "TOPIC", "orders", "DESCRIBE", "ALLOW"))
	live := acl.NewSet(
		b("User:orders", "TOPIC", "orders", "WRITE", "ALLOW"),
		b("User:orders", "TOPIC", "payments", "READ", "ALLOW"),
		b("User:legacy", "TOPIC", "old", "READ", "ALLOW"),
	)
	fs, counts := CheckACLs(desired, live, testutil.Scope(t, "User:orders"), func(b acl.Binding) string {
		if b.Principal == "User:orders" {
			return "inv.yaml:3"
		}
		return ""
	}, "kafkaguard apply -f inv.yaml")
	if got, want := ids(fs), []string{"KG101", "KG102", "KG103"}; !slices.Equal(got, want) {
		t.Fatalf("ids %v, want %v", got, want)
	}
	for _, f := range fs {
		if f.ID == "KG101" && (f.Location != "inv.yaml:3" || !strings.Contains(f.Resource, "DESCRIBE")) {
			t.Errorf("missing finding %+v", f)
		}
		if f.Fix == "" {
			t.Errorf("%s has no fix", f.ID)
		}
	}
	want := map[string]int{StateInSync: 1, StateMissing: 1, StateExtra: 1, StateUnmanaged: 1}
	for k, v := range want {
		if counts[k] != v {
			t.Errorf("%s = %d, want %d", k, counts[k], v)
		}
	}
}

func TestSCRAMDrift(t *testing.T) {
	desired := []scram.DesiredUser{
		{Name: "alice", Mechanism: scram.SHA512, Iterations: 4096, Source: "inv.yaml:5"},
		{Name: "bob", Mechanism: scram.SHA256, Iterations: 8192},
		{Name: "carol", Mechanism: scram.SHA512, Iterations: 4096},
		{Name: "dave", Mechanism: scram.SHA512, Iterations: 4096},
		{Name: "erin", Mechanism: scram.SHA256, Iterations: 4096},
	}
	scope := testutil.Scope(t, "User:alice", "User:bob", "User:carol", "User:dave", "User:erin", "User:mallory")
	cases := []struct {
		name   string
		live   []SCRAMCredential
		logins []LoginResult
		want   []string
	}{
		{"all in sync", []SCRAMCredential{
			{"alice", scram.SHA512, 4096}, {"bob", scram.SHA256, 8192}, {"carol", scram.SHA512, 4096},
			{"dave", scram.SHA512, 4096}, {"erin", scram.SHA256, 4096}}, nil, nil},
		{"missing user", []SCRAMCredential{
			{"bob", scram.SHA256, 8192}, {"carol", scram.SHA512, 4096}, {"dave", scram.SHA512, 4096}, {"erin", scram.SHA256, 4096}},
			nil, []string{"KG201"}},
		{"extra managed and unmanaged users", []SCRAMCredential{
			{"alice", scram.SHA512, 4096}, {"bob", scram.SHA256, 8192}, {"carol", scram.SHA512, 4096},
			{"dave", scram.SHA512, 4096}, {"erin", scram.SHA256, 4096}, {"mallory", scram.SHA512, 4096}, {"other", scram.SHA256, 4096}},
			nil, []string{"KG202", "KG207"}},
		{"wrong mechanism, wrong iterations, extra mechanism", []SCRAMCredential{
			{"alice", scram.SHA256, 4096}, {"bob", scram.SHA256, 4096}, {"carol", scram.SHA512, 4096}, {"carol", scram.SHA256, 4096},
			{"dave", scram.SHA512, 4096}, {"erin", scram.SHA256, 4096}},
			nil, []string{"KG203", "KG203", "KG204"}},
		{"failed login and no secret", []SCRAMCredential{
			{"alice", scram.SHA512, 4096}, {"bob", scram.SHA256, 8192}, {"carol", scram.SHA512, 4096},
			{"dave", scram.SHA512, 4096}, {"erin", scram.SHA256, 4096}},
			[]LoginResult{{User: "alice", Status: LoginOK}, {User: "dave", Status: LoginWrongPassword}, {User: "erin", Status: LoginNoSecret}},
			[]string{"KG205", "KG206"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs, _ := CheckSCRAM(desired, tc.live, tc.logins, scope, Commands{}, "")
			if got := ids(fs); !slices.Equal(got, tc.want) {
				t.Errorf("ids %v, want %v (%+v)", got, tc.want, fs)
			}
		})
	}
}

func TestCertificates(t *testing.T) {
	day := 24 * time.Hour
	live := acl.NewSet(b("User:gone", "TOPIC", "t", "READ", "ALLOW"))
	certs := []Cert{
		{Serial: "01", Kind: "client", Principal: "User:ok", NotAfter: now.Add(300 * day)},
		{Serial: "02", Kind: "client", Principal: "User:soon", NotAfter: now.Add(10 * day)},
		{Serial: "03", Name: "old", CADir: "/etc/kafkaguard/ca", Kind: "client", Principal: "User:old", NotAfter: now.Add(-2 * day)},
		{Serial: "04", Kind: "client", Principal: "User:gone", NotAfter: now.Add(100 * day), Revoked: true},
		{Serial: "05", Kind: "client", Principal: "User:scram", NotAfter: now.Add(100 * day), Revoked: true},
		{Serial: "06", Kind: "client", Principal: "User:quiet", NotAfter: now.Add(100 * day), Revoked: true},
		// renewed: the expired 07 is superseded by 08, and so is revoked 09
		{Serial: "07", Kind: "broker", Subject: "CN=kafka-0", NotAfter: now.Add(-1 * day)},
		{Serial: "08", Kind: "broker", Subject: "CN=kafka-0", NotAfter: now.Add(200 * day)},
		{Serial: "09", Kind: "client", Principal: "User:rotated", NotAfter: now.Add(50 * day), Revoked: true},
		{Serial: "0a", Kind: "client", Principal: "User:rotated", NotAfter: now.Add(360 * day)},
	}
	live = live.Union(acl.NewSet(b("User:rotated", "TOPIC", "t", "READ", "ALLOW")))
	fs, exp := CheckCerts(certs, live, []string{"User:scram"}, now, 30*day)
	got := map[string]string{}
	for _, f := range fs {
		got[f.Resource] = f.ID
		// The fix is a command that works as printed: pki renew takes --name.
		if f.ID == "KG301" && f.Fix != "run kafkaguard pki renew --dir /etc/kafkaguard/ca --name old" {
			t.Errorf("KG301 fix %q", f.Fix)
		}
	}
	want := map[string]string{
		"client certificate 02 (User:soon)":  "KG302",
		"client certificate 03 (User:old)":   "KG301",
		"client certificate 04 (User:gone)":  "KG303",
		"client certificate 05 (User:scram)": "KG303",
	}
	if len(got) != len(want) {
		t.Errorf("findings %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %s", k, got[k], v)
		}
	}
	if len(exp) != 6 {
		t.Errorf("%d expiry samples for 6 unrevoked certificates", len(exp))
	}
}

func TestGuardrailsOnLiveACLs(t *testing.T) {
	live := acl.NewSet(
		b("User:*", "TOPIC", "public", "READ", "ALLOW"),
		b("User:ANONYMOUS", "GROUP", "g", "READ", "ALLOW"),
		b("User:app", "TOPIC", "*", "WRITE", "ALLOW"),
		b("User:*", "TOPIC", "*", "READ", "DENY"),
		b("User:app", "TOPIC", "app.*", "WRITE", "ALLOW"),
	)
	if got, want := ids(CheckGuardrailsOn(live, "kafkaguard apply")), []string{"KG501", "KG502", "KG503"}; !slices.Equal(got, want) {
		t.Errorf("ids %v, want %v", got, want)
	}
}

// testPKI makes a CA and a broker certificate for host, valid until notAfter.
func testPKI(t *testing.T, host string, notAfter time.Time) (*x509.CertPool, tls.Certificate) {
	t.Helper()
	ca, caKey := testutil.Cert(t, &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, NotBefore: now.Add(-48 * time.Hour),
		NotAfter: now.Add(3650 * 24 * time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}, nil, nil)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: host}, NotBefore: now.Add(-24 * time.Hour),
		NotAfter: notAfter, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	if ip := net.ParseIP(host); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{host}
	}
	leaf, key := testutil.Cert(t, tmpl, ca, caKey)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return pool, testutil.TLSCert(leaf, key)
}

func TestBrokerTLSFindings(t *testing.T) {
	day := 24 * time.Hour
	pool, good := testPKI(t, "kafka-0", now.Add(200*day))
	leaf := func(c tls.Certificate) []*x509.Certificate {
		x, _ := x509.ParseCertificate(c.Certificate[0])
		return []*x509.Certificate{x}
	}
	otherPool, _ := testPKI(t, "kafka-0", now.Add(200*day))
	_, soon := testPKI(t, "kafka-0", now.Add(5*day))
	pool2, expired := testPKI(t, "kafka-0", now.Add(-5*day))
	_ = pool2
	cases := []struct {
		name  string
		addr  string
		probe TLSProbe
		err   error
		roots *x509.CertPool
		want  []string
	}{
		{"healthy", "kafka-0:9093", TLSProbe{Version: tls.VersionTLS13, Chain: leaf(good)}, nil, pool, nil},
		{"handshake failed", "kafka-0:9093", TLSProbe{}, errors.New("connection refused"), pool, []string{"KG401"}},
		{"other CA", "kafka-0:9093", TLSProbe{Version: tls.VersionTLS13, Chain: leaf(good)}, nil, otherPool, []string{"KG402"}},
		{"wrong host", "kafka-1:9093", TLSProbe{Version: tls.VersionTLS13, Chain: leaf(good)}, nil, pool, []string{"KG403"}},
		{"expiring", "kafka-0:9093", TLSProbe{Version: tls.VersionTLS12, Chain: leaf(soon)}, nil, nil, []string{"KG402", "KG405"}},
		{"expired", "kafka-0:9093", TLSProbe{Version: tls.VersionTLS12, Chain: leaf(expired)}, nil, nil, []string{"KG402", "KG404"}},
		{"old protocol", "kafka-0:9093", TLSProbe{Version: tls.VersionTLS11, Chain: leaf(good)}, nil, pool, []string{"KG406"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs, _ := CheckBrokerTLS(tc.addr, tc.probe, tc.err, tc.roots, now, 30*day)
			if got := ids(fs); !slices.Equal(got, tc.want) {
				t.Errorf("ids %v, want %v (%+v)", got, tc.want, fs)
			}
		})
	}
}

func TestDialProberAgainstATLSListener(t *testing.T) {
	notAfter := time.Now().Add(90 * 24 * time.Hour)
	pool, cert := testPKI(t, "127.0.0.1", notAfter)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	addr := testutil.Serve(t, ln, func(c net.Conn) {
		_ = c.(*tls.Conn).Handshake()
		c.Close()
	})
	p, err := DialProber{}.ProbeTLS(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	fs, exp := CheckBrokerTLS(addr, p, nil, pool, time.Now(), 30*24*time.Hour)
	if len(fs) != 0 || exp == nil || exp.Seconds < 80*86400 {
		t.Errorf("findings %+v, expiry %+v", fs, exp)
	}
}

type fakeACLs struct {
	s   acl.Set
	err error
}

func (f fakeACLs) DescribeACLs(context.Context) (acl.Set, error) { return f.s, f.err }

type fakeSCRAM []SCRAMCredential

func (f fakeSCRAM) DescribeSCRAM(context.Context) ([]SCRAMCredential, error) { return f, nil }

func TestRunCollectsChecksAndKeepsGoingWhenOneFails(t *testing.T) {
	desired := acl.NewSet(b("User:a", "TOPIC", "t", "READ", "ALLOW"))
	in := Input{
		Cluster: "c1", ACLs: fakeACLs{s: acl.NewSet(b("User:*", "TOPIC", "t", "READ", "ALLOW"))}, Desired: desired,
		Scope: testutil.Scope(t, "User:a"), SCRAM: fakeSCRAM{}, Users: []scram.DesiredUser{{Name: "a", Mechanism: scram.SHA512, Iterations: 4096}},
		TLSCheck: true, NoTLS: true, Brokers: []string{"k:9092"}, Now: now,
	}
	res := Run(context.Background(), in)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if got, want := res.Report.Checks, []string{CheckACLDrift, CheckSCRAMDrift, CheckTLS, CheckGuardrails}; !slices.Equal(got, want) {
		t.Errorf("checks %v, want %v", got, want)
	}
	if got, want := ids(res.Report.Findings), []string{"KG101", "KG103", "KG201", "KG407", "KG501"}; !slices.Equal(got, want) {
		t.Errorf("ids %v, want %v", got, want)
	}
	if res.Report.Max() != report.SeverityError {
		t.Errorf("max %s", res.Report.Max())
	}

	in.ACLs = fakeACLs{err: errors.New("cluster authorization failed")}
	res = Run(context.Background(), in)
	if res.Err == nil || !strings.Contains(res.Err.Error(), "acl-drift: describe acls") {
		t.Errorf("err = %v", res.Err)
	}
	got := map[string]report.Status{}
	for _, o := range res.Report.Outcomes() {
		got[o.Check] = o.Status
	}
	// acl-drift could not run, nor could the guardrails on the live ACLs:
	// both are errored, never passed; the others still ran.
	want := map[string]report.Status{CheckACLDrift: report.StatusErrored, CheckGuardrails: report.StatusErrored,
		CheckSCRAMDrift: report.StatusFailed, CheckTLS: report.StatusFailed}
	if !maps.Equal(got, want) {
		t.Errorf("outcomes %v, want %v", got, want)
	}
	if e := res.Report.Errors; len(e) != 2 || e[0].Check != CheckACLDrift || e[0].Error != "describe acls: cluster authorization failed" {
		t.Errorf("errors %+v", e)
	}
}

// QA: a user without ACLs (DescribeUserScramCredentials refused) must not get
// a report in which scram-drift passed: it is errored in the report and in
// the metrics, and has no "0 findings" series.
func TestRefusedCheckIsErroredInReportAndMetrics(t *testing.T) {
	refused := errors.New("not authorized: User:orders-api needs DESCRIBE on CLUSTER kafka-cluster")
	res := Run(context.Background(), Input{
		Cluster: "prod-eu", ACLs: fakeACLs{err: refused}, SCRAM: refusingSCRAM{refused},
		TLSCheck: true, NoTLS: true, Brokers: []string{"k:9092"}, Now: now,
	})
	if res.Err == nil {
		t.Fatal("want an error")
	}
	for _, o := range res.Report.Outcomes() {
		wantErr := o.Check != CheckTLS
		if (o.Status == report.StatusErrored) != wantErr {
			t.Errorf("%s: %s", o.Check, o.Status)
		}
	}
	var buf bytes.Buffer
	if err := WritePrometheus(&buf, []ClusterRun{{Cluster: "prod-eu", Result: &res}}, now); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	assertUniqueSeries(t, out)
	for _, want := range []string{
		`kafkaguard_audit_check_success{cluster="prod-eu",check="scram-drift"} 0`,
		`kafkaguard_audit_check_success{cluster="prod-eu",check="acl-drift"} 0`,
		`kafkaguard_audit_check_success{cluster="prod-eu",check="broker-tls"} 1`,
		`kafkaguard_audit_findings{cluster="prod-eu",check="broker-tls",severity="warning"} 1`,
		`kafkaguard_audit_success{cluster="prod-eu"} 0`,
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("missing %s in\n%s", want, out)
		}
	}
	if strings.Contains(out, `kafkaguard_audit_findings{cluster="prod-eu",check="scram-drift"`) {
		t.Errorf("an errored check has findings series:\n%s", out)
	}
}

type refusingSCRAM struct{ err error }

func (f refusingSCRAM) DescribeSCRAM(context.Context) ([]SCRAMCredential, error) { return nil, f.err }

// assertUniqueSeries fails when a series (name and labels) is written twice:
// the node-exporter textfile collector rejects such a file.
func assertUniqueSeries(t *testing.T, out string) {
	t.Helper()
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		series := line[:strings.LastIndexByte(line, ' ')]
		if seen[series] {
			t.Errorf("series %s written twice", series)
		}
		seen[series] = true
	}
}

// QA: --bootstrap-server a,a wrote the broker's expiry series twice.
func TestRepeatedBrokerIsProbedAndExportedOnce(t *testing.T) {
	ca, cert := testPKI(t, "127.0.0.1", now.Add(200*24*time.Hour))
	leaf, _ := x509.ParseCertificate(cert.Certificate[0])
	prober := &countingProber{probe: TLSProbe{Version: tls.VersionTLS13, Chain: []*x509.Certificate{leaf}}}
	res := Run(context.Background(), Input{
		Cluster: "dev", TLSCheck: true, TLS: prober, Roots: ca,
		Brokers: []string{"127.0.0.1:29092", "127.0.0.1:29092"}, Now: now,
	})
	if prober.n != 1 || len(res.Brokers) != 1 {
		t.Errorf("probed %d times, %d broker expiries; want 1 and 1", prober.n, len(res.Brokers))
	}
	// Even when the caller repeats a run (or a broker), every series is written once.
	dup := res
	dup.Brokers = append(dup.Brokers, dup.Brokers...)
	var buf bytes.Buffer
	if err := WritePrometheus(&buf, []ClusterRun{{Cluster: "dev", Result: &dup}, {Cluster: "dev", Result: &dup}}, now); err != nil {
		t.Fatal(err)
	}
	assertUniqueSeries(t, buf.String())
	if n := strings.Count(buf.String(), "kafkaguard_broker_certificate_expiry_seconds{"); n != 1 {
		t.Errorf("%d broker expiry series, want 1:\n%s", n, buf.String())
	}
}

type countingProber struct {
	probe TLSProbe
	n     int
}

func (p *countingProber) ProbeTLS(_ context.Context, addr string) (TLSProbe, error) {
	p.n++
	pr := p.probe
	pr.Addr = addr
	return pr, nil
}

// QA: users apply never changes the running admin, so its iteration
// mismatch must not be KG204 ("run kafkaguard users apply").
func TestRunningAdminDriftIsKG208WithAFixThatWorks(t *testing.T) {
	desired := []scram.DesiredUser{
		{Name: "admin", Mechanism: scram.SHA512, Iterations: 8192, Source: "00-cluster.yaml:14"},
		{Name: "bob", Mechanism: scram.SHA512, Iterations: 8192},
	}
	live := []SCRAMCredential{{"admin", scram.SHA512, 4096}, {"bob", scram.SHA512, 4096}}
	fs, counts := CheckSCRAM(desired, live, nil, testutil.Scope(t, "*"), Commands{}, "admin")
	if got := ids(fs); !slices.Equal(got, []string{"KG204", "KG208"}) {
		t.Fatalf("ids %v, want KG204 (bob) and KG208 (admin)", got)
	}
	for _, f := range fs {
		if f.ID != KGRunningAdmin {
			continue
		}
		if f.Severity != report.SeverityInfo || f.Resource != "User:admin" || strings.Contains(f.Fix, "users apply") ||
			!strings.Contains(f.Fix, "kafka-configs.sh") || !strings.Contains(f.Fix, "iterations: 4096") || f.Location != "00-cluster.yaml:14" {
			t.Errorf("KG208 = %+v", f)
		}
	}
	if counts["mismatch"] != 2 {
		t.Errorf("counts %v", counts)
	}
	// In sync: nothing to report.
	live[0].Iterations = 8192
	if fs, _ := CheckSCRAM(desired[:1], live[:1], nil, testutil.Scope(t, "*"), Commands{}, "admin"); len(fs) != 0 {
		t.Errorf("findings %+v", fs)
	}
}

func TestMergeRunsCoversEveryCluster(t *testing.T) {
	eu := Run(context.Background(), Input{Cluster: "prod-eu", ACLs: fakeACLs{s: acl.NewSet()},
		Desired: acl.NewSet(b("User:a", "TOPIC", "t", "READ", "ALLOW")), Now: now})
	m := MergeRuns([]ClusterRun{{Cluster: "prod-eu", Result: &eu}, {Cluster: "staging", Err: errors.New("cannot reach broker 127.0.0.1:1")}})
	if !slices.Equal(m.Clusters, []string{"prod-eu", "staging"}) {
		t.Errorf("clusters %v", m.Clusters)
	}
	got := map[string]report.CheckOutcome{}
	for _, o := range m.Outcomes() {
		got[o.Check] = o
	}
	if o := got["staging/audit"]; o.Status != report.StatusErrored || o.Cluster != "staging" || !strings.Contains(o.Error, "127.0.0.1:1") {
		t.Errorf("staging: %+v", o)
	}
	if o := got["prod-eu/acl-drift"]; o.Status != report.StatusFailed || o.Cluster != "prod-eu" {
		t.Errorf("prod-eu/acl-drift: %+v", o)
	}
	if m.Findings[0].Cluster != "prod-eu" {
		t.Errorf("finding %+v", m.Findings[0])
	}
}

func TestEveryRuleIsUniqueAndInItsRange(t *testing.T) {
	prefix := map[string]string{CheckACLDrift: "KG1", CheckSCRAMDrift: "KG2", CheckCertificates: "KG3", CheckTLS: "KG4", CheckGuardrails: "KG5"}
	seen := map[string]bool{}
	for _, r := range Rules() {
		if seen[r.ID] {
			t.Errorf("%s twice", r.ID)
		}
		seen[r.ID] = true
		if !strings.HasPrefix(r.ID, prefix[r.Check]) {
			t.Errorf("%s belongs to %s, want %sxx", r.ID, r.Check, prefix[r.Check])
		}
	}
}

func TestPrometheusExposition(t *testing.T) {
	res := Run(context.Background(), Input{
		Cluster: `prod "eu"`, ACLs: fakeACLs{s: acl.NewSet()}, Desired: acl.NewSet(b("User:a", "TOPIC", "t", "READ", "ALLOW")), Now: now,
	})
	res.Certs = []CertExpiry{{Name: "0a", Kind: "client", Principal: "User:a", Seconds: -86400}}
	var buf bytes.Buffer
	err := WritePrometheus(&buf, []ClusterRun{{Cluster: `prod "eu"`, Result: &res}, {Cluster: "down", Err: errors.New("unreachable")}}, now)
	if err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		`kafkaguard_audit_findings{cluster="prod \"eu\"",check="acl-drift",severity="warning"} 1`,
		`kafkaguard_audit_findings{cluster="prod \"eu\"",check="guardrails",severity="error"} 0`,
		`kafkaguard_audit_bindings{cluster="prod \"eu\"",state="missing"} 1`,
		`kafkaguard_certificate_expiry_seconds{cluster="prod \"eu\"",serial="0a",kind="client",principal="User:a"} -86400`,
		`kafkaguard_audit_success{cluster="prod \"eu\""} 1`,
		`kafkaguard_audit_success{cluster="down"} 0`,
		`kafkaguard_audit_last_run_timestamp_seconds{cluster="down"} 1795575600`,
		"# TYPE kafkaguard_audit_findings gauge",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %s in\n%s", want, out)
		}
	}
	assertUniqueSeries(t, out)
	// Every sample line belongs to a declared metric.
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		name := line[:strings.IndexAny(line, "{ ")]
		if !strings.Contains(out, "# TYPE "+name+" gauge") {
			t.Errorf("sample %q has no TYPE line", line)
		}
	}
}

func TestMergeKeepsClustersApart(t *testing.T) {
	a := report.Report{Cluster: "a", Checks: []string{"acl-drift"}, Findings: []report.Finding{{ID: "KG101", Check: "acl-drift", Resource: "x"}}}
	bb := report.Report{Cluster: "b", Checks: []string{"acl-drift"}}
	m := Merge(a, bb)
	if !slices.Equal(m.Checks, []string{"a/acl-drift", "b/acl-drift"}) || m.Findings[0].Check != "a/acl-drift" || m.Findings[0].Resource != "a: x" {
		t.Errorf("merged %+v", m)
	}
}

func BenchmarkAuditACLs100kBindings(b *testing.B) {
	var desired, live []acl.Binding
	for i := range 100000 {
		x, _ := acl.FromStrings("User:app-"+strconv.Itoa(i/20), "*", "TOPIC", "topic-"+strconv.Itoa(i), "LITERAL", "READ", "ALLOW")
		desired = append(desired, x)
		if i%100 != 0 {
			live = append(live, x)
		}
	}
	ds, ls := acl.NewSet(desired...), acl.NewSet(live...)
	scope, _ := acl.NewScope("*")
	b.ResetTimer()
	for b.Loop() {
		fs, _ := CheckACLs(ds, ls, scope, nil, "kafkaguard apply")
		_ = append(fs, CheckGuardrailsOn(ls, "kafkaguard apply")...)
	}
	b.ReportMetric(float64(len(desired))*float64(b.N)/b.Elapsed().Seconds(), "bindings/s")
}

func TestPolicyFindingsKeepTheirIDs(t *testing.T) {
	in := []report.Finding{
		{ID: "KG601", Check: "allow-everyone", Severity: report.SeverityError, Message: "grant to *"},
		{ID: "ACME001", Check: "acme.rules", Severity: report.SeverityWarning, Message: "custom with an id"},
		{ID: "KG205", Check: "acme.rules", Severity: report.SeverityError, Message: "custom reusing an audit id"},
		{Severity: report.SeverityError, Message: "custom deny"},
		{Severity: report.SeverityWarning, Message: "custom warn"},
	}
	got := policyFindings(in)
	want := []string{"KG601", "ACME001", "policy/KG205", KGPolicyDeny, KGPolicyWarn}
	for i, f := range got {
		if f.ID != want[i] {
			t.Errorf("finding %d: id %s, want %s", i, f.ID, want[i])
		}
		if f.Fix == "" || f.Check == "" {
			t.Errorf("finding %d lacks a fix or check: %+v", i, f)
		}
	}
	if got[0].Check != "allow-everyone" || got[3].Check != CheckGuardrails {
		t.Errorf("checks %s, %s", got[0].Check, got[3].Check)
	}
}

// The policy library's guardrails are in the audit's rule table, in a range
// of their own, with their titles and severities.
func TestRuleTableListsTheLibraryGuardrails(t *testing.T) {
	seen := map[string]bool{}
	rules := Rules()
	for i, r := range rules {
		if seen[r.ID] {
			t.Errorf("%s listed twice", r.ID)
		}
		seen[r.ID] = true
		if i > 0 && rules[i-1].ID >= r.ID {
			t.Errorf("rules not in ID order at %s", r.ID)
		}
		if r.Title == "" || r.Check == "" {
			t.Errorf("%s lacks a title or check", r.ID)
		}
	}
	for _, g := range policies.LibraryGuardrails() {
		if !strings.HasPrefix(g.ID, "KG6") {
			t.Errorf("library guardrail %s is outside KG6xx", g.ID)
		}
		r, ok := rulesByID()[g.ID]
		if sev := map[string]report.Severity{"deny": report.SeverityError, "warn": report.SeverityWarning}[g.Rule]; !ok || r.Title != g.Title || r.Severity != sev {
			t.Errorf("%s: rule table has %+v", g.ID, r)
		}
		if isAuditID(g.ID) {
			t.Errorf("%s taken for an audit id", g.ID)
		}
	}
	if !isAuditID("KG205") || isAuditID("ACME001") {
		t.Error("isAuditID")
	}
	r := report.Report{Tool: "kafkaguard audit", Cluster: "c", Checks: []string{CheckGuardrails}, Rules: RuleTitles(),
		Findings: policyFindings([]report.Finding{{ID: "KG603", Check: "restricted-cross-team-read", Severity: report.SeverityError, Message: "m", Location: "inv.yaml:3"}})}
	var buf strings.Builder
	if err := report.Render(&buf, "sarif", r, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"id": "KG603"`) || !strings.Contains(buf.String(), policies.LibraryRules()["KG603"]) {
		t.Errorf("sarif lacks the KG603 rule:\n%s", buf.String())
	}
}

// The audit's SCRAM drift is the users plan's: the users it reports missing
// are those 'users plan' creates, the mismatched ones those it changes, the
// extra ones those it would remove with --prune.
func TestSCRAMFindingsFollowTheUsersPlan(t *testing.T) {
	desired := []scram.DesiredUser{
		{Name: "alice", Mechanism: scram.SHA512, Iterations: 4096},
		{Name: "bob", Mechanism: scram.SHA256, Iterations: 8192},
		{Name: "carol", Mechanism: scram.SHA512, Iterations: 4096},
		{Name: "dave", Mechanism: scram.SHA512, Iterations: 4096},
	}
	live := []SCRAMCredential{{"bob", scram.SHA256, 4096}, {"carol", scram.SHA512, 4096}, {"carol", scram.SHA256, 4096},
		{"dave", scram.SHA512, 4096}, {"mallory", scram.SHA512, 4096}}
	scope := testutil.Scope(t, "*")
	fs, counts := CheckSCRAM(desired, live, nil, scope, Commands{}, "")
	actual := map[string][]cluster.SCRAMCredentialInfo{}
	for _, c := range live {
		actual[c.User] = append(actual[c.User], cluster.SCRAMCredentialInfo{Mechanism: c.Mechanism, Iterations: c.Iterations})
	}
	plan := scram.PlanUsers(desired, actual, scope, true, "")
	byAction := map[string][]string{}
	for _, c := range plan.Changes {
		byAction[c.Action] = append(byAction[c.Action], "User:"+c.User)
	}
	byID := map[string][]string{}
	for _, f := range fs {
		if !slices.Contains(byID[f.ID], f.Resource) {
			byID[f.ID] = append(byID[f.ID], f.Resource)
		}
	}
	mismatched := append(slices.Clone(byID[KGUserMechanism]), byID[KGUserIterations]...)
	slices.Sort(mismatched)
	mismatched = slices.Compact(mismatched)
	if !slices.Equal(byID[KGUserMissing], byAction[scram.ActionCreate]) || !slices.Equal(mismatched, byAction[scram.ActionUpdate]) ||
		!slices.Equal(byID[KGUserExtra], byAction[scram.ActionRemove]) {
		t.Errorf("findings %v, plan %v", byID, byAction)
	}
	if counts["missing"] != 1 || counts["mismatch"] != 2 || counts["extra"] != 1 || counts["in_sync"] != 1 {
		t.Errorf("counts %v", counts)
	}
}

// A hostile cluster or principal name cannot break the exposition file or
// reach a terminal raw: controls become U+FFFD, newlines stay escaped.
func TestPrometheusHostileNames(t *testing.T) {
	name := "evil\x1b[2K\u202e\u009b\n# TYPE x counter\nx 1\xff"
	res := Run(context.Background(), Input{Cluster: name, ACLs: fakeACLs{s: acl.NewSet()}, Now: now})
	res.Certs = []CertExpiry{{Name: "0a", Kind: "client", Principal: "User:" + name, Seconds: 1}}
	var buf bytes.Buffer
	if err := WritePrometheus(&buf, []ClusterRun{{Cluster: name, Result: &res}}, now); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, r := range out {
		if (r < 0x20 && r != '\n') || (r >= 0x7f && r <= 0x9f) || r == 0x202e {
			t.Fatalf("raw control %q in\n%s", r, out)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(line, "x ") || line == "# TYPE x counter" {
			t.Fatalf("injected line %q", line)
		}
	}
	if !strings.Contains(out, `cluster="evil`+"\uFFFD[2K\uFFFD\uFFFD"+`\n# TYPE x counter\nx 1`+"\uFFFD"+`"`) {
		t.Errorf("cluster label not escaped as expected:\n%s", out)
	}
}

// A user declared auth: external (its credentials managed elsewhere, as
// import declares a SCRAM user with both mechanisms) is neither extra
// (KG202) nor drift; an undeclared user beside it still is.
func TestExternalUsersAreNotSCRAMDrift(t *testing.T) {
	live := []SCRAMCredential{{"ext", scram.SHA256, 4096}, {"ext", scram.SHA512, 8192}, {"stray", scram.SHA512, 4096}}
	fs, counts := CheckSCRAM(nil, live, nil, testutil.Scope(t, "*"), Commands{}, "", "ext")
	if got := ids(fs); !slices.Equal(got, []string{"KG202"}) || fs[0].Resource != "User:stray" {
		t.Fatalf("findings %+v, want only KG202 for User:stray", fs)
	}
	if counts["extra"] != 1 {
		t.Errorf("counts %v", counts)
	}
}
