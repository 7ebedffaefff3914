package policies

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/testutil"
	"github.com/kafkaguard/kafkaguard/inventory"
)

func mustLoad(t *testing.T, paths ...string) *inventory.Inventory {
	t.Helper()
	inv, err := inventory.Load(paths...)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// compileWith compiles inv with the policy library and the user policies
// in dirs; t fails on an error.
func compileWith(t *testing.T, inv *inventory.Inventory, dirs ...string) *Result {
	t.Helper()
	res, err := Compile(context.Background(), inv, Options{PolicyDirs: dirs})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func parseInv(t *testing.T, yaml string) *inventory.Inventory {
	t.Helper()
	inv, err := inventory.Parse("inv.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func TestCompileDesignExampleMatchesRoleSemantics(t *testing.T) {
	res, err := Compile(context.Background(), mustLoad(t, "../testdata/inventory/design.yaml"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := acl.NewSet(
		testutil.Binding(t, "User:orders-api", "TOPIC", "orders.events", "LITERAL", "WRITE", "ALLOW"),
		testutil.Binding(t, "User:orders-api", "TOPIC", "orders.events", "LITERAL", "DESCRIBE", "ALLOW"),
		testutil.Binding(t, "User:analytics", "TOPIC", "orders.", "PREFIXED", "READ", "ALLOW"),
		testutil.Binding(t, "User:analytics", "TOPIC", "orders.", "PREFIXED", "DESCRIBE", "ALLOW"),
		testutil.Binding(t, "User:analytics", "GROUP", "analytics-", "PREFIXED", "READ", "ALLOW"),
		testutil.Binding(t, "User:billing", "TOPIC", "invoices", "LITERAL", "WRITE", "ALLOW"),
		testutil.Binding(t, "User:billing", "TOPIC", "invoices", "LITERAL", "DESCRIBE", "ALLOW"),
		testutil.Binding(t, "User:billing", "TRANSACTIONAL_ID", "billing-", "PREFIXED", "WRITE", "ALLOW"),
		testutil.Binding(t, "User:billing", "TRANSACTIONAL_ID", "billing-", "PREFIXED", "DESCRIBE", "ALLOW"),
		testutil.Binding(t, "User:ops", "CLUSTER", "kafka-cluster", "LITERAL", "DESCRIBE", "ALLOW"),
		testutil.Binding(t, "User:ops", "CLUSTER", "kafka-cluster", "LITERAL", "DESCRIBE_CONFIGS", "ALLOW"),
		testutil.Binding(t, "User:analytics", "TOPIC", "payments.", "PREFIXED", "READ", "DENY"),
	)
	if !res.ACLs.Equal(want) {
		t.Errorf("got %d bindings:\n%v\nwant:\n%v", res.ACLs.Len(), res.ACLs.Bindings(), want.Bindings())
	}
	deny := testutil.Binding(t, "User:analytics", "TOPIC", "payments.", "PREFIXED", "READ", "DENY")
	want0 := Provenance{File: "../testdata/inventory/design.yaml", Line: 19}
	if got := res.Provenance[deny]; len(got) != 1 || got[0] != want0 || got[0].String() != "grant ../testdata/inventory/design.yaml:19 (operations)" {
		t.Errorf("provenance of the DENY binding = %q", got)
	}
	for _, b := range res.ACLs.Bindings() {
		if len(res.Provenance[b]) == 0 {
			t.Errorf("%s has no provenance", b)
		}
	}
}

func TestCompileExampleInventoryIsClean(t *testing.T) {
	res := compileWith(t, mustLoad(t, "../examples/inventory"), "../testdata/policies/acme")
	if len(res.Deny) != 0 {
		t.Errorf("deny findings: %+v", res.Deny)
	}
	if res.ACLs.Len() < 50 {
		t.Errorf("only %d bindings", res.ACLs.Len())
	}
	// The streams app with exactly_once gets its transactional ids.
	b := testutil.Binding(t, "User:orders-enricher", "TRANSACTIONAL_ID", "orders-enricher-", "PREFIXED", "WRITE", "ALLOW")
	if !res.ACLs.Contains(b) {
		t.Errorf("missing %s", b)
	}
	if !strings.Contains(strings.Join(res.Checks, ","), "acme.rules.deny") {
		t.Errorf("checks = %v", res.Checks)
	}
}

func TestUserACLRulesCarryTheirProvenance(t *testing.T) {
	inv := parseInv(t, "principals:\n  ops: {auth: mtls, team: platform}\n  app: {auth: mtls, team: orders}\ngrants:\n  - {principal: ops, resource: {type: CLUSTER}, operations: [DESCRIBE]}\n")
	res := compileWith(t, inv, "../testdata/policies/extra-acls")
	b := testutil.Binding(t, "User:ops", "CLUSTER", "kafka-cluster", "LITERAL", "DESCRIBE", "ALLOW")
	var provs []string
	for _, p := range res.Provenance[b] {
		provs = append(provs, p.String())
	}
	got := strings.Join(provs, " | ")
	want := "grant inv.yaml:5 (operations) | rule data.acme.extra.acls (../testdata/policies/extra-acls/acls.rego:5)"
	if got != want {
		t.Errorf("provenance = %q, want %q", got, want)
	}
	if res.ACLs.Len() != 1 {
		t.Errorf("bindings = %v (want the two sources deduplicated)", res.ACLs.Bindings())
	}
}

func TestUserRolesAndRules(t *testing.T) {
	inv := parseInv(t, `principals:
  audit: {auth: mtls, team: sec}
topics:
  secret: {classification: restricted}
grants:
  - {principal: audit, role: topic-auditor, topics: [secret]}
`)
	res := compileWith(t, inv, "../testdata/policies/acme")
	if want := testutil.Binding(t, "User:audit", "TOPIC", "secret", "LITERAL", "DESCRIBE_CONFIGS", "ALLOW"); !res.ACLs.Contains(want) || res.ACLs.Len() != 2 {
		t.Errorf("bindings = %v", res.ACLs.Bindings())
	}
	if len(res.Deny) != 1 || res.Deny[0].ID != "ACME001" || res.Deny[0].Location != "inv.yaml:4" {
		t.Errorf("deny = %+v", res.Deny)
	}
}

func TestCompileErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return filepath.Dir(p)
	}
	ok := "principals:\n  a: {auth: mtls}\ngrants:\n  - {principal: a, role: producer, topics: [t]}\n"
	tests := []struct {
		name, inv, policy, want string
		timeout                 time.Duration
	}{
		{name: "unknown role", inv: "principals:\n  a: {auth: mtls}\ngrants:\n  - {principal: a, role: reader, topics: [t]}\n",
			want: `inv.yaml:4: grant: unknown role "reader"`},
		{name: "streams app without application id", inv: "principals:\n  a: {auth: mtls}\ngrants:\n  - {principal: a, role: streams-app, inputs: [t]}\n",
			want: `inv.yaml:4: grant: role "streams-app" needs application_id`},
		{name: "role that gives nothing", inv: "principals:\n  a: {auth: mtls}\ngrants:\n  - {principal: a, role: producer, groups: [g]}\n",
			want: "inv.yaml:4: grant: role producer gives a nothing here"},
		{name: "rego parse error", inv: ok, policy: write("p1/x.rego", "package x\n\ndeny contains msg if {\n"),
			want: "policy parse error: " + dir + "/p1/x.rego:"},
		{name: "rego compile error", inv: ok, policy: write("p2/x.rego", "package x\n\ndeny contains msg if {\n\tmsg := nope\n}\n"),
			want: "policy compile error: " + dir + "/p2/x.rego:4:"},
		{name: "malformed binding", inv: ok, policy: write("p3/x.rego", "package x\n\nacls contains {\"principal\": \"alice\"}\n"),
			want: "rule data.x.acls (" + dir + "/p3/x.rego:3): produced a malformed binding"},
		{name: "user role with bad selector", inv: ok, policy: write("p4/x.rego", "package kafkaguard\n\nroles.bad := [{\"resource\": \"topic\", \"operations\": [\"READ\"]}]\n"),
			want: `role "bad": unknown resource selector "topic"`},
		// A user role's entries are parsed once per role (role_plans), yet
		// reported at the first grant that uses them, as the grant's row.
		{name: "user role with unknown operation", inv: "principals:\n  a: {auth: mtls}\ngrants:\n  - {principal: a, role: bad, topics: [t, u]}\n",
			policy: write("p6/x.rego", "package kafkaguard\n\nroles.bad := [{\"resource\": \"topics\", \"operations\": [\"WRITE\"]}, {\"resource\": \"topics\", \"operations\": [\"FLY\"]}]\n"),
			want:   `inv.yaml:4: grant: unknown operation "FLY"`},
		{name: "user role with operations not a list", inv: "principals:\n  a: {auth: mtls}\ngrants:\n  - {principal: a, role: bad, topics: [t, u]}\n",
			policy: write("p7/x.rego", "package kafkaguard\n\nroles.bad := [{\"resource\": \"topics\", \"operations\": \"READ\"}]\n"),
			want:   `inv.yaml:4: grant: malformed role expansion entry ["TOPIC", ["t", "u"], "READ"] (want [type, [names], [operations]])`},
		{name: "timeout", inv: ok, timeout: 100 * time.Millisecond,
			policy: write("p5/x.rego", "package x\n\nwarn contains n if {\n\tn := count([x | some x in numbers.range(1, 100000000)])\n}\n"),
			want:   "policy evaluation did not finish within 100ms"},
		{name: "missing policy dir", inv: ok, policy: filepath.Join(dir, "nope"), want: "read policies: stat "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var dirs []string
			if tt.policy != "" {
				dirs = []string{tt.policy}
			}
			start := time.Now()
			_, err := Compile(context.Background(), parseInv(t, tt.inv), Options{PolicyDirs: dirs, Timeout: tt.timeout})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
			if tt.timeout > 0 {
				var te *TimeoutError
				if !errors.As(err, &te) || te.Timeout != tt.timeout || !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("err = %#v, want a *TimeoutError of %s", err, tt.timeout)
				}
				if time.Since(start) > 5*time.Second {
					t.Errorf("timeout took %s", time.Since(start))
				}
			}
		})
	}
}

func TestUserTestsRunBesideTheLibrary(t *testing.T) {
	res, err := Test(context.Background(), []string{"../testdata/policies/acme"}, TestOptions{Run: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Passed() != 4 || res.Failed() != 0 {
		t.Errorf("passed %d, failed %d: %+v", res.Passed(), res.Failed(), res.Cases)
	}
}

func TestFailingTestIsLocated(t *testing.T) {
	dir := t.TempDir()
	src := "package y_test\n\nimport data.kafkaguard\n\ntest_wrong if {\n\tkafkaguard.split_name(\"a*\") == [\"a\", \"LITERAL\"]\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "y_test.rego"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Test(context.Background(), []string{dir}, TestOptions{Run: "y_test"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed() != 1 {
		t.Fatalf("failed = %d", res.Failed())
	}
	c := res.Cases[0]
	if c.Location != filepath.Join(dir, "y_test.rego")+":5" || !strings.HasPrefix(c.FailedAt, filepath.Join(dir, "y_test.rego")+":6: ") {
		t.Errorf("location %q, failed at %q", c.Location, c.FailedAt)
	}
}

// Compile refuses an inventory whose mtls dn maps to another principal, so
// every command that compiles (compile, policy check, plan, apply, audit)
// does.
func TestCompileChecksDNs(t *testing.T) {
	base := "cluster:\n  name: c\n  ssl_principal_mapping_rules: \"RULE:^CN=([^,]+),OU=.*$/$1/,DEFAULT\"\nprincipals:\n"
	tests := []struct{ name, principals, want string }{
		{"maps elsewhere", `  analytics: {auth: mtls, dn: "CN=analytics-etl,OU=data,O=Acme"}`,
			`inv.yaml:5: principal "analytics": dn "CN=analytics-etl,OU=data,O=Acme" maps to User:analytics-etl under the cluster's ssl_principal_mapping_rules, not User:analytics`},
		{"DEFAULT keeps the whole DN", `  analytics: {auth: mtls, dn: "CN=analytics"}`,
			`inv.yaml:5: principal "analytics": dn "CN=analytics" maps to User:CN=analytics under the cluster's ssl_principal_mapping_rules, not User:analytics`},
		{"malformed DN", `  analytics: {auth: mtls, dn: "CN=analytics,FOO=x"}`, `inv.yaml:5: principal "analytics": dn "CN=analytics,FOO=x": `},
		{"maps to the principal", `  analytics: {auth: mtls, dn: "CN=analytics,OU=data,O=Acme"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(context.Background(), parseInv(t, base+tt.principals+"\n"), Options{})
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("err = %v", err)
			case tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.want)):
				t.Errorf("err = %v\nwant  %s", err, tt.want)
			}
		})
	}
	var de *inventory.DNError
	if err := CheckDNs(parseInv(t, base+tests[0].principals+"\n")); !errors.As(err, &de) || de.MapsTo != "analytics-etl" {
		t.Errorf("CheckDNs = %v", err)
	}
	bad := parseInv(t, "cluster:\n  ssl_principal_mapping_rules: \"RULE:(/x/\"\nprincipals:\n  a: {auth: mtls, dn: \"CN=a\"}\n")
	if err := CheckDNs(bad); err == nil || !strings.HasPrefix(err.Error(), "inv.yaml:2: cluster.ssl_principal_mapping_rules: invalid mapping rule") {
		t.Errorf("CheckDNs with bad rules = %v", err)
	}
}
