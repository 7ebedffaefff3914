package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func sampleReport() Report {
	return Report{
		Tool:    "kafkaguard audit",
		Cluster: "prod-eu",
		Checks:  []string{"acl-drift", "scram-drift", "certificates", "broker-tls", "guardrails"},
		Findings: []Finding{
			{ID: "KG101", Check: "acl-drift", Severity: SeverityError, Resource: "User:orders-api ALLOW WRITE TOPIC:LITERAL:orders.events",
				Message: "binding in policy is missing on the cluster", Fix: "kafkaguard apply -f inventory.yaml", Location: "inventory.yaml:12"},
			{ID: "KG102", Check: "acl-drift", Severity: SeverityWarning, Resource: "User:analytics ALLOW READ TOPIC:LITERAL:payments",
				Message: "managed binding on the cluster is not in policy", Fix: "kafkaguard apply -f inventory.yaml"},
			{ID: "KG204", Check: "scram-drift", Severity: SeverityError, Resource: "User:billing",
				Message: "login with the stored password failed", Fix: "kafkaguard users apply --rotate billing"},
			{ID: "KG501", Check: "guardrails", Severity: SeverityWarning, Resource: "User:* ALLOW READ TOPIC:LITERAL:*",
				Message: "ALLOW to User:* on the cluster, with \"quotes\" & <angle>, 100%, a,b", Fix: "remove the binding"},
			{ID: "KG302", Check: "certificates", Severity: SeverityInfo, Resource: "serial 1f (client analytics)",
				Message: "certificate expires in 20 days", Fix: "kafkaguard pki renew --serial 1f"},
		},
		Started:  time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC),
		Duration: 1234 * time.Millisecond,
		Rules:    map[string]string{"KG101": "ACL binding missing on the cluster"},
	}
}

func TestRenderGolden(t *testing.T) {
	clean := Report{Tool: "kafkaguard audit", Cluster: "prod-eu", Checks: []string{"acl-drift", "guardrails"}}
	cases := []struct {
		name  string
		r     Report
		color bool
	}{
		{"findings", sampleReport(), false},
		{"clean", clean, false},
		{"errored", erroredReport(), false},
		{"clusters", clustersReport(), false},
	}
	for _, tc := range cases {
		for _, format := range Names(FormatsFor(KindFindings)) {
			t.Run(tc.name+"/"+format, func(t *testing.T) {
				var buf bytes.Buffer
				if err := Render(&buf, format, tc.r, tc.color); err != nil {
					t.Fatal(err)
				}
				golden(t, filepath.Join("testdata", tc.name+"."+goldenExt(format)), buf.Bytes())
			})
		}
	}
}

func goldenExt(format string) string {
	switch format {
	case "junit":
		return "junit.xml"
	case "sarif":
		return "sarif.json"
	case "json":
		return "json"
	case "markdown":
		return "md"
	}
	return format + ".txt"
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestTextColorsBySeverityOnlyWhenAsked(t *testing.T) {
	r := sampleReport()
	var plain, colored bytes.Buffer
	if err := Render(&plain, "text", r, false); err != nil {
		t.Fatal(err)
	}
	if err := Render(&colored, "text", r, true); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), "\x1b[") {
		t.Error("plain text contains ANSI escapes")
	}
	for _, want := range []string{ansiRed + "error", ansiYellow + "warning", ansiCyan + "info"} {
		if !strings.Contains(colored.String(), want) {
			t.Errorf("coloured text lacks %q", want)
		}
	}
}

func TestSARIFIsStructurallyValid(t *testing.T) {
	for _, r := range []Report{sampleReport(), {Tool: "kafkaguard policy check"}} {
		var buf bytes.Buffer
		if err := Render(&buf, "sarif", r, false); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Schema  string `json:"$schema"`
			Version string `json:"version"`
			Runs    []struct {
				Tool struct {
					Driver struct {
						Name  string `json:"name"`
						Rules []struct {
							ID               string `json:"id"`
							ShortDescription struct {
								Text string `json:"text"`
							} `json:"shortDescription"`
						} `json:"rules"`
					} `json:"driver"`
				} `json:"tool"`
				Results []struct {
					RuleID    string `json:"ruleId"`
					RuleIndex int    `json:"ruleIndex"`
					Level     string `json:"level"`
					Message   struct {
						Text string `json:"text"`
					} `json:"message"`
					Locations []struct {
						PhysicalLocation *struct {
							ArtifactLocation struct {
								URI string `json:"uri"`
							} `json:"artifactLocation"`
							Region *struct {
								StartLine int `json:"startLine"`
							} `json:"region"`
						} `json:"physicalLocation"`
					} `json:"locations"`
				} `json:"results"`
			} `json:"runs"`
		}
		if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatalf("sarif is not JSON: %v", err)
		}
		if doc.Version != "2.1.0" || !strings.Contains(doc.Schema, "sarif-2.1.0") {
			t.Errorf("version %q schema %q, want 2.1.0", doc.Version, doc.Schema)
		}
		if len(doc.Runs) != 1 || doc.Runs[0].Tool.Driver.Name == "" {
			t.Fatalf("want one run with a driver name, got %+v", doc.Runs)
		}
		run := doc.Runs[0]
		ids := map[string]int{}
		for i, rule := range run.Tool.Driver.Rules {
			if _, dup := ids[rule.ID]; dup {
				t.Errorf("rule %s listed twice", rule.ID)
			}
			if rule.ShortDescription.Text == "" {
				t.Errorf("rule %s has no short description", rule.ID)
			}
			ids[rule.ID] = i
		}
		if len(run.Results) != len(r.Findings) {
			t.Errorf("%d results for %d findings", len(run.Results), len(r.Findings))
		}
		for _, res := range run.Results {
			i, ok := ids[res.RuleID]
			if !ok {
				t.Errorf("result ruleId %s not among the rules", res.RuleID)
			}
			if i != res.RuleIndex {
				t.Errorf("result %s ruleIndex %d, rule is at %d", res.RuleID, res.RuleIndex, i)
			}
			switch res.Level {
			case "error", "warning", "note":
			default:
				t.Errorf("result %s level %q", res.RuleID, res.Level)
			}
			if res.Message.Text == "" {
				t.Errorf("result %s has no message", res.RuleID)
			}
		}
		if len(r.Findings) > 0 {
			pl := run.Results[0].Locations[0].PhysicalLocation
			if pl == nil || pl.ArtifactLocation.URI != "inventory.yaml" || pl.Region == nil || pl.Region.StartLine != 12 {
				t.Errorf("first result's location = %+v, want inventory.yaml line 12", pl)
			}
		}
	}
}

func TestJUnitHasOneTestcasePerCheckIncludingPassingOnes(t *testing.T) {
	r := sampleReport()
	r.Findings = append(r.Findings, Finding{ID: "KG999", Check: "extra-check", Severity: SeverityError, Message: "x"})
	var buf bytes.Buffer
	if err := Render(&buf, "junit", r, false); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("junit is not XML: %v", err)
	}
	s := doc.Suites[0]
	var names []string
	fails := map[string]int{}
	for _, c := range s.Cases {
		names = append(names, c.Name)
		fails[c.Name] = len(c.Failures)
	}
	want := []string{"acl-drift", "scram-drift", "certificates", "broker-tls", "guardrails", "extra-check"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("testcases %v, want %v", names, want)
	}
	wantFails := map[string]int{"acl-drift": 2, "scram-drift": 1, "certificates": 0, "broker-tls": 0, "guardrails": 1, "extra-check": 1}
	for k, v := range wantFails {
		if fails[k] != v {
			t.Errorf("%s: %d failures, want %d", k, fails[k], v)
		}
	}
	if s.Tests != 6 || s.Failures != 4 {
		t.Errorf("suite tests=%d failures=%d, want 6 and 4", s.Tests, s.Failures)
	}
}

func TestGitHubEscapesDataAndProperties(t *testing.T) {
	r := Report{Findings: []Finding{{ID: "KG1", Check: "c", Severity: SeverityError, Message: "50% done\nnext", Location: "dir,x/a:b.yaml:7"}}}
	var buf bytes.Buffer
	if err := Render(&buf, "github", r, false); err != nil {
		t.Fatal(err)
	}
	first := strings.SplitN(buf.String(), "\n", 2)[0]
	want := "::error file=dir%2Cx/a%3Ab.yaml,line=7,title=KG1 c::50% done next"
	// Message is folded to one line first, so only % needs escaping here.
	want = strings.Replace(want, "50% done", "50%25 done", 1)
	if first != want {
		t.Errorf("got  %s\nwant %s", first, want)
	}
}

func TestMaxAndAtLeast(t *testing.T) {
	r := sampleReport()
	cases := []struct {
		name    string
		r       Report
		max     Severity
		atLeast Severity
		n       int
	}{
		{"errors among findings", r, SeverityError, SeverityError, 2},
		{"warnings and up", r, SeverityError, SeverityWarning, 4},
		{"everything", r, SeverityError, SeverityInfo, 5},
		{"no findings", Report{}, SeverityNone, SeverityInfo, 0},
		{"only info", Report{Findings: []Finding{{Severity: SeverityInfo}}}, SeverityInfo, SeverityWarning, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.Max(); got != tc.max {
				t.Errorf("Max() = %s, want %s", got, tc.max)
			}
			if got := len(tc.r.AtLeast(tc.atLeast)); got != tc.n {
				t.Errorf("len(AtLeast(%s)) = %d, want %d", tc.atLeast, got, tc.n)
			}
		})
	}
}

func TestParseSeverity(t *testing.T) {
	cases := []struct {
		in      string
		want    Severity
		wantErr bool
	}{
		{"info", SeverityInfo, false},
		{"WARNING", SeverityWarning, false},
		{"warn", SeverityWarning, false},
		{"error", SeverityError, false},
		{"fatal", SeverityNone, true},
		{"", SeverityNone, true},
	}
	for _, tc := range cases {
		got, err := ParseSeverity(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseSeverity(%q) = %s, %v; want %s, err=%v", tc.in, got, err, tc.want, tc.wantErr)
		}
		if err == nil && got.String() != strings.ToLower(tc.in) && tc.in != "warn" {
			t.Errorf("%s.String() = %q", got, got.String())
		}
	}
}

func TestSortPutsHighestSeverityFirst(t *testing.T) {
	r := sampleReport()
	r.Sort()
	var got []string
	for _, f := range r.Findings {
		got = append(got, f.ID)
	}
	want := "KG101,KG204,KG102,KG501,KG302"
	if strings.Join(got, ",") != want {
		t.Errorf("sorted %v, want %s", got, want)
	}
}

func TestMarkdownEscapesCells(t *testing.T) {
	r := Report{Tool: "kafkaguard policy check", Checks: []string{"x"}, Findings: []Finding{{
		ID: "A|1", Check: "x", Severity: SeverityError, Resource: "User:*evil*_[link](http://x)",
		Message: "two\nlines | <script>alert(1)</script> & `code` \x1b[31m", Location: "a.yaml:3"}}}
	var buf bytes.Buffer
	if err := Render(&buf, "markdown", r, false); err != nil {
		t.Fatal(err)
	}
	rows := strings.Split(strings.TrimSpace(buf.String()), "\n")
	var row string
	for _, l := range rows {
		if strings.HasPrefix(l, "| error") {
			row = l
		}
	}
	want := "| error | A\\|1 | x | User:\\*evil\\*\\_\\[link\\](http\\://x) | two lines \\| &lt;script&gt;alert(1)&lt;/script&gt; &amp; \\`code\\` \\\\x1b\\[31m |  | a.yaml:3 |"
	if row != want {
		t.Errorf("row\n%s\nwant\n%s", row, want)
	}
	if n := strings.Count(row, " | "); n != 6 {
		t.Errorf("row has %d cell separators, want 6", n)
	}
}

// Every -o value a command offers comes from the registry: the findings
// formats, and for the audit the metrics too.
func TestRegistry(t *testing.T) {
	if got := strings.Join(Names(FormatsFor(KindFindings)), ","); got != "text,json,github,junit,markdown,sarif" {
		t.Errorf("findings formats = %s", got)
	}
	if got := strings.Join(Names(FormatsFor(KindFindings|KindMetrics)), ","); got != "text,json,github,junit,markdown,prometheus,sarif" {
		t.Errorf("audit formats = %s", got)
	}
	if got := strings.Join(Names(FormatsFor(KindTests)), ","); got != "text,json,junit" {
		t.Errorf("test result formats = %s", got)
	}
	for _, f := range FormatsFor(KindFindings | KindMetrics | KindTests) {
		if g, ok := Lookup(f.Name); !ok || g.Usage == "" || g.Outputter == nil {
			t.Errorf("format %s: %+v", f.Name, g)
		}
	}
	if _, ok := Lookup("yaml"); ok {
		t.Error("yaml is no format")
	}
}

func TestRenderRejectsUnknownFormat(t *testing.T) {
	err := Render(&bytes.Buffer{}, "yaml", Report{}, false)
	if err == nil || !strings.Contains(err.Error(), `"yaml"`) {
		t.Errorf("err = %v, want unknown format naming yaml", err)
	}
}

func BenchmarkRenderSARIF10kFindings(b *testing.B) {
	r := Report{Tool: "kafkaguard audit", Cluster: "big"}
	for i := range 10000 {
		r.Findings = append(r.Findings, Finding{ID: "KG10" + string(rune('1'+i%3)), Check: "acl-drift", Severity: Severity(i % 3),
			Resource: "User:app-" + strings.Repeat("x", i%7), Message: "binding missing", Fix: "kafkaguard apply", Location: "inv.yaml:10"})
	}
	b.ResetTimer()
	for b.Loop() {
		var buf bytes.Buffer
		if err := Render(&buf, "sarif", r, false); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(r.Findings))*float64(b.N)/b.Elapsed().Seconds(), "findings/s")
}

// erroredReport is a run in which two checks could not run: nothing was
// found, and that must not look clean in any format.
func erroredReport() Report {
	return Report{
		Tool: "kafkaguard audit", Cluster: "prod-eu",
		Checks: []string{"acl-drift", "scram-drift", "broker-tls"},
		Errors: []CheckError{
			{Check: "acl-drift", Error: "describe acls: not authorized: User:orders-api needs DESCRIBE on CLUSTER kafka-cluster"},
			{Check: "scram-drift", Error: "describe scram users: not authorized"},
		},
		Started:  time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC),
		Duration: 8 * time.Millisecond,
	}
}

// clustersReport covers two clusters, one of which could not be audited.
func clustersReport() Report {
	return Report{
		Tool: "kafkaguard audit", Cluster: "prod-eu, staging", Clusters: []string{"prod-eu", "staging"},
		Checks: []string{"prod-eu/acl-drift", "prod-eu/broker-tls"},
		Findings: []Finding{{ID: "KG101", Check: "prod-eu/acl-drift", Cluster: "prod-eu", Severity: SeverityWarning,
			Resource: "prod-eu: User:a ALLOW READ on LITERAL TOPIC \"t\" from host *", Message: "binding in policy is missing on the cluster"}},
		Errors:   []CheckError{{Check: "staging/audit", Cluster: "staging", Error: "cannot reach broker 127.0.0.1:1"}},
		Started:  time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC),
		Duration: time.Second,
	}
}

func TestOutcomes(t *testing.T) {
	r := erroredReport()
	r.Checks = append(r.Checks, "guardrails")
	r.Findings = []Finding{
		{ID: "KG501", Check: "guardrails", Severity: SeverityError, Message: "x"},
		{ID: "KG201", Check: "scram-drift", Severity: SeverityWarning, Message: "y"},
	}
	got := map[string]Status{}
	for _, o := range r.Outcomes() {
		got[o.Check] = o.Status
	}
	want := map[string]Status{"acl-drift": StatusErrored, "scram-drift": StatusErrored, "broker-tls": StatusPassed, "guardrails": StatusFailed}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s, want %s", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("outcomes %v, want %v", got, want)
	}
}

// A check that could not run never looks clean: every format says so.
func TestErroredChecksNeverLookClean(t *testing.T) {
	r := erroredReport()
	render := func(format string) []byte {
		t.Helper()
		var buf bytes.Buffer
		if err := Render(&buf, format, r, false); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}

	var j struct {
		Checks  []string
		Summary struct{ Errors int }
		Errors  []struct{ Check, Error string }
	}
	if err := json.Unmarshal(render("json"), &j); err != nil {
		t.Fatal(err)
	}
	if j.Summary.Errors != 2 || len(j.Errors) != 2 || j.Errors[0].Check != "acl-drift" || j.Errors[1].Check != "scram-drift" ||
		!strings.Contains(j.Errors[1].Error, "not authorized") {
		t.Errorf("json errors = %+v (summary %d), want acl-drift and scram-drift", j.Errors, j.Summary.Errors)
	}

	var doc junitSuites
	if err := xml.Unmarshal(render("junit"), &doc); err != nil {
		t.Fatal(err)
	}
	s := doc.Suites[0]
	if doc.Errors != 2 || s.Errors != 2 || s.Tests != 3 {
		t.Errorf("junit errors=%d/%d tests=%d, want 2/2 and 3", doc.Errors, s.Errors, s.Tests)
	}
	for _, c := range s.Cases {
		if (c.Name == "broker-tls") != (c.Error == nil) {
			t.Errorf("testcase %s: error %+v", c.Name, c.Error)
		}
	}

	var sl sarifLog
	if err := json.Unmarshal(render("sarif"), &sl); err != nil {
		t.Fatal(err)
	}
	inv := sl.Runs[0].Invocations[0]
	if inv.ExecutionSuccessful || len(inv.ToolExecutionNotifications) != 2 || inv.ToolExecutionNotifications[0].Level != "error" {
		t.Errorf("sarif invocation = %+v, want executionSuccessful false and 2 error notifications", inv)
	}

	text := string(render("text"))
	if !strings.Contains(text, "acl-drift  could not run: describe acls: not authorized") ||
		strings.Contains(text, "No findings from 2 checks") ||
		!strings.Contains(text, "2 checks could not run: acl-drift, scram-drift") {
		t.Errorf("text:\n%s", text)
	}
	if gh := string(render("github")); !strings.Contains(gh, "::error title=scram-drift could not run::") {
		t.Errorf("github:\n%s", gh)
	}
}

// A report over several clusters names each cluster: JSON, one JUnit suite
// per cluster, the SARIF category.
func TestSeveralClustersAreEachAttributed(t *testing.T) {
	r := clustersReport()
	var buf bytes.Buffer
	if err := Render(&buf, "junit", r, false); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Suites) != 2 || doc.Suites[1].Name != "kafkaguard audit (staging)" || doc.Suites[1].Errors != 1 ||
		doc.Suites[1].Cases[0].Name != "staging/audit" || doc.Suites[0].Tests != 2 {
		t.Errorf("junit suites: %+v", doc.Suites)
	}
	buf.Reset()
	if err := Render(&buf, "sarif", r, false); err != nil {
		t.Fatal(err)
	}
	var sl sarifLog
	if err := json.Unmarshal(buf.Bytes(), &sl); err != nil {
		t.Fatal(err)
	}
	if id := sl.Runs[0].AutomationDetails.ID; id != "kafkaguard-audit/prod-eu+staging/" {
		t.Errorf("sarif category %q", id)
	}
	if sl.Runs[0].Results[0].Properties["cluster"] != "prod-eu" || sl.Runs[0].Invocations[0].ExecutionSuccessful {
		t.Errorf("sarif run: %+v", sl.Runs[0])
	}
	buf.Reset()
	if err := Render(&buf, "text", r, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "on clusters prod-eu, staging") || !strings.Contains(buf.String(), "staging/audit  could not run: cannot reach") {
		t.Errorf("text:\n%s", buf.String())
	}
}
