package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/testutil/devtest"
)

// seedBindings returns n bindings of every kind a cluster holds: odd
// principals (commas, backslashes, quotes, spaces, an mTLS DN), User:*,
// host-specific and non-IP hosts, DENY, PREFIXED, the literal "*",
// CLUSTER and TRANSACTIONAL_ID resources, and operations a resource type
// does not define.
func seedBindings(n int) []acl.Binding {
	principals := []string{
		"User:orders-api", "User:CN=billing,OU=payments,O=Acme\\, Inc.,C=US", `User:svc "quoted"`,
		"User:back\\slash", "User:with space", "User:*", "User:analytics", "User:stream-app",
	}
	var out []acl.Binding
	add := func(b acl.Binding) { out = append(out, b) }
	for i := 0; len(out) < n; i++ {
		p := principals[i%len(principals)]
		topic := fmt.Sprintf("orders.t%03d", i)
		host := "*"
		switch i % 7 {
		case 3:
			host = fmt.Sprintf("10.0.%d.%d", i%250, i%200+1)
		case 5:
			host = "client.example.com"
		}
		for _, op := range []acl.Operation{acl.OpWrite, acl.OpDescribe} {
			add(acl.Binding{Principal: p, Host: host, ResourceType: acl.ResourceTopic, ResourceName: topic, PatternType: acl.PatternLiteral, Operation: op, Permission: acl.PermAllow})
		}
		if i%2 == 0 {
			for _, op := range []acl.Operation{acl.OpRead, acl.OpDescribe} {
				add(acl.Binding{Principal: p, Host: host, ResourceType: acl.ResourceTopic, ResourceName: fmt.Sprintf("events.%d.", i), PatternType: acl.PatternPrefixed, Operation: op, Permission: acl.PermAllow})
			}
			add(acl.Binding{Principal: p, Host: host, ResourceType: acl.ResourceGroup, ResourceName: fmt.Sprintf("grp-%d", i), PatternType: acl.PatternLiteral, Operation: acl.OpRead, Permission: acl.PermAllow})
		}
		switch i % 9 {
		case 0:
			add(acl.Binding{Principal: p, Host: "*", ResourceType: acl.ResourceTopic, ResourceName: "secret." + topic, PatternType: acl.PatternLiteral, Operation: acl.OpRead, Permission: acl.PermDeny})
		case 1:
			add(acl.Binding{Principal: p, Host: "*", ResourceType: acl.ResourceTopic, ResourceName: "*", PatternType: acl.PatternLiteral, Operation: acl.OpDescribe, Permission: acl.PermAllow})
		case 2:
			add(acl.Binding{Principal: p, Host: "*", ResourceType: acl.ResourceCluster, ResourceName: acl.ClusterName, PatternType: acl.PatternLiteral, Operation: acl.OpIdempotentWrite, Permission: acl.PermAllow})
			add(acl.Binding{Principal: p, Host: "*", ResourceType: acl.ResourceTransactionalID, ResourceName: fmt.Sprintf("tx-%d-", i), PatternType: acl.PatternPrefixed, Operation: acl.OpWrite, Permission: acl.PermAllow})
			add(acl.Binding{Principal: p, Host: "*", ResourceType: acl.ResourceTransactionalID, ResourceName: fmt.Sprintf("tx-%d-", i), PatternType: acl.PatternPrefixed, Operation: acl.OpDescribe, Permission: acl.PermAllow})
		case 4:
			// kfake refuses USER and DELEGATION_TOKEN resources (a real
			// broker stores them): the importer's unit tests cover them.
			add(acl.Binding{Principal: p, Host: "*", ResourceType: acl.ResourceCluster, ResourceName: acl.ClusterName, PatternType: acl.PatternLiteral, Operation: acl.OpDescribeConfigs, Permission: acl.PermAllow})
		case 6:
			add(acl.Binding{Principal: p, Host: "198.51.100.7", ResourceType: acl.ResourceGroup, ResourceName: "*", PatternType: acl.PatternLiteral, Operation: acl.OpWrite, Permission: acl.PermDeny})
		}
	}
	return out
}

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr strings.Builder
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
	code := e.run(append([]string{"kafkaguard"}, args...))
	return code, stdout.String(), stderr.String()
}

// TestImportFromClusterRoundTrips seeds a dev cluster with hundreds of
// bindings and SCRAM users of both mechanisms, imports it, and checks that
// the inventory compiles to exactly the cluster's ACLs, that plan shows no
// changes (exit 0 with --detailed-exitcode) and that no password appears.
func TestImportFromClusterRoundTrips(t *testing.T) {
	ctx := context.Background()
	dc := devtest.Start(context.Background(), t)
	cl := devtest.DialAdmin(ctx, t, dc)
	defer cl.Close()
	cfg, err := dc.AdminConfig()
	if err != nil {
		t.Fatal(err)
	}
	seed := seedBindings(600)
	devtest.ACLsDone(t, "seed", cl.CreateACLs(ctx, seed))
	passwords := []string{cfg.Password()}
	var upserts []kadm.UpsertSCRAM
	for i, u := range []struct {
		name string
		mech kadm.ScramMechanism
		iter int32
	}{{"orders-api", kadm.ScramSha512, 4096}, {"analytics", kadm.ScramSha256, 8192}, {"billing", kadm.ScramSha256, 4096}, {"both-mechanisms", kadm.ScramSha512, 4096}, {"both-mechanisms", kadm.ScramSha256, 4096}} {
		pw := fmt.Sprintf("secret-password-%d-for-import", i)
		passwords = append(passwords, pw)
		upserts = append(upserts, kadm.UpsertSCRAM{User: u.name, Mechanism: u.mech, Iterations: u.iter, Password: pw})
	}
	for _, u := range upserts { // one request per credential: Kafka refuses a user twice in one
		res, err := cl.Kadm().AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{u})
		if err != nil || res.Error() != nil {
			t.Fatalf("seed SCRAM users: %v %v", err, res.Error())
		}
	}
	ptr := func(s string) *string { return &s }
	quotaSeed := []cluster.QuotaAlteration{
		{Entity: []cluster.QuotaComponent{{Type: "user", Name: ptr("orders-api")}}, Set: map[string]float64{"producer_byte_rate": 1048576, "request_percentage": 25.5}},
		{Entity: []cluster.QuotaComponent{{Type: "user", Name: ptr("quota-only")}}, Set: map[string]float64{"consumer_byte_rate": 2097152}},
		{Entity: []cluster.QuotaComponent{{Type: "user"}}, Set: map[string]float64{"producer_byte_rate": 524288}},
		{Entity: []cluster.QuotaComponent{{Type: "client-id", Name: ptr("etl")}}, Set: map[string]float64{"controller_mutation_rate": 10}},
		{Entity: []cluster.QuotaComponent{{Type: "client-id"}}, Set: map[string]float64{"consumer_byte_rate": 65536}},
		{Entity: []cluster.QuotaComponent{{Type: "client-id", Name: ptr("etl")}, {Type: "user", Name: ptr("orders-api")}}, Set: map[string]float64{"producer_byte_rate": 1024}},
	}
	for _, r := range cl.AlterClientQuotas(ctx, quotaSeed) {
		if r.Err != nil {
			t.Fatalf("seed quota %s: %v", cluster.QuotaKey(r.Entity), r.Err)
		}
	}
	live, err := cl.DescribeACLs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if live.Len() < 500 {
		t.Fatalf("seeded only %d bindings", live.Len())
	}

	dir := filepath.Join(t.TempDir(), "inventory")
	var outputs []string
	code, stdout, stderr := runCLI(t, "import", "--from", "cluster", "--command-config", dc.AdminProperties(), "--out", dir, "-v")
	outputs = append(outputs, stdout, stderr)
	if code != ExitOK {
		t.Fatalf("import: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"Imported ", "principals:", "grants:", "by role", "guardrails:", "KG659", "quotas:     5 client quotas, 1 left out", "left out client-id=etl,user=orders-api"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("summary lacks %q:\n%s", want, stderr)
		}
	}
	for _, name := range []string{"principals.yaml", "topics.yaml", "grants.yaml"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		outputs = append(outputs, string(data))
	}
	principals := outputs[2]
	for _, want := range []string{"orders-api: {auth: scram-sha-512, quotas: {producer_byte_rate: 1048576, request_percentage: 25.5}}",
		"quota-only: {auth: external, quotas: {consumer_byte_rate: 2097152}}", "default: {producer_byte_rate: 524288}",
		"etl: {controller_mutation_rate: 10}", "<default>: {consumer_byte_rate: 65536}", "analytics: {auth: scram-sha-256, iterations: 8192}", "both-mechanisms: {auth: external}", "with space: {auth: external}", "User:*"} {
		if !strings.Contains(principals, want) {
			t.Errorf("principals.yaml lacks %q:\n%s", want, principals)
		}
	}

	code, stdout, stderr = runCLI(t, "compile", "-f", dir, "-o", "json")
	outputs = append(outputs, stdout, stderr)
	if code != ExitOK { // the User:* and "*" grants carry their guardrail exceptions
		t.Fatalf("compile: exit %d\n%s", code, stderr)
	}
	compiled := parseStoredJSON(t, stdout)
	if got := acl.NewSet(compiled...); !got.Equal(live) {
		t.Fatalf("compile gives %d bindings, the cluster has %d (missing %v, extra %v)", got.Len(), live.Len(),
			live.Minus(got).Len(), got.Minus(live).Len())
	}

	code, stdout, stderr = runCLI(t, "plan", "-f", dir, "--command-config", dc.AdminProperties(), "--detailed-exitcode")
	outputs = append(outputs, stdout, stderr)
	if code != ExitOK {
		t.Fatalf("plan right after import: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// The quota section manages the imported quotas (all unchanged) and
	// leaves the user+client-id pair alone.
	if !strings.Contains(stdout, "client-id=etl,user=orders-api") {
		t.Errorf("plan does not list the left-out quota as left alone:\n%s", stdout)
	}
	code, stdout, stderr = runCLI(t, "users", "plan", "-f", dir, "--command-config", dc.AdminProperties(), "--prune")
	outputs = append(outputs, stdout, stderr)
	if code != ExitOK || !strings.Contains(stdout, "User:both-mechanisms: auth: external") {
		t.Fatalf("users plan --prune: exit %d\n%s\n%s", code, stdout, stderr)
	}

	// Imported SCRAM users have no stored password: verify says so, it is
	// not reported as a wrong password (drift).
	secrets := filepath.Join(t.TempDir(), "secrets") // not there yet: no stored passwords
	code, stdout, stderr = runCLI(t, "users", "verify", "-f", dir, "--command-config", dc.AdminProperties(), "--secrets-dir", secrets)
	outputs = append(outputs, stdout, stderr)
	if code != ExitFindings || !strings.Contains(stdout, "no stored password") || strings.Contains(stdout, "wrong password") {
		t.Fatalf("users verify after import: exit %d\n%s\n%s", code, stdout, stderr)
	}

	// A second import into the same directory refuses to overwrite.
	code, _, stderr = runCLI(t, "import", "--from", "cluster", "--command-config", dc.AdminProperties(), "--out", dir)
	if code != ExitError || !strings.Contains(stderr, "--force") {
		t.Fatalf("import over existing files: exit %d\n%s", code, stderr)
	}
	code, _, stderr = runCLI(t, "import", "--from", "cluster", "--command-config", dc.AdminProperties(), "--out", dir, "--force")
	if code != ExitOK {
		t.Fatalf("import --force: exit %d\n%s", code, stderr)
	}
	for _, o := range outputs {
		for _, pw := range passwords {
			if pw != "" && strings.Contains(o, pw) {
				t.Fatalf("a password appears in the output:\n%s", o)
			}
		}
	}
}

// parseStoredJSON reads compile -o json output as a cluster stores it
// (acl.ParseJSON also refuses operations a resource type does not define).
func parseStoredJSON(t *testing.T, data string) []acl.Binding {
	t.Helper()
	var raw []map[string]string
	if err := json.Unmarshal([]byte(data), &raw); err != nil {
		t.Fatal(err)
	}
	var out []acl.Binding
	for _, r := range raw {
		rt, err1 := acl.ParseResourceType(r["resource_type"])
		pt, err2 := acl.ParsePatternType(r["pattern_type"])
		op, err3 := acl.ParseOperation(r["operation"])
		perm, err4 := acl.ParsePermission(r["permission"])
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			t.Fatal(err)
		}
		out = append(out, acl.Binding{Principal: r["principal"], Host: r["host"], ResourceType: rt, ResourceName: r["resource_name"], PatternType: pt, Operation: op, Permission: perm})
	}
	return out
}

// TestImportFromClusterNormalizesShortIPv6Hosts: a binding stored with a
// short-form IPv6 host (kafka-acls.sh stores the string it is given) never
// matches a client (Kafka compares getHostAddress() strings); import writes
// it normalized, says so, and plan replaces the stored binding.
func TestImportFromClusterNormalizesShortIPv6Hosts(t *testing.T) {
	ctx := context.Background()
	dc := devtest.Start(context.Background(), t)
	cl := devtest.DialAdmin(ctx, t, dc)
	defer cl.Close()
	short := acl.Binding{Principal: "User:ipv6-app", Host: "::1", ResourceType: acl.ResourceTopic, ResourceName: "orders", PatternType: acl.PatternLiteral, Operation: acl.OpRead, Permission: acl.PermAllow}
	devtest.ACLsDone(t, "seed", cl.CreateACLs(ctx, []acl.Binding{short}))
	live, err := cl.DescribeACLs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !live.Contains(short) {
		t.Skipf("the dev cluster does not store %q as given: %v", short.Host, live.Bindings())
	}
	dir := filepath.Join(t.TempDir(), "inventory")
	code, stdout, stderr := runCLI(t, "import", "--from", "cluster", "--command-config", dc.AdminProperties(), "--out", dir)
	if code != ExitOK {
		t.Fatalf("import: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "host ::1 written as 0:0:0:0:0:0:0:1") || !strings.Contains(stderr, "plan will replace") {
		t.Errorf("summary does not name the normalized host:\n%s", stderr)
	}
	normalized := short
	normalized.Host = "0:0:0:0:0:0:0:1"
	code, stdout, stderr = runCLI(t, "compile", "-f", dir, "-o", "json")
	if code != ExitOK {
		t.Fatalf("compile: exit %d\n%s", code, stderr)
	}
	if got := acl.NewSet(parseStoredJSON(t, stdout)...); !got.Equal(acl.NewSet(normalized)) {
		t.Fatalf("compile gives %v, want %v", got.Bindings(), normalized)
	}
	code, stdout, stderr = runCLI(t, "plan", "-f", dir, "--command-config", dc.AdminProperties(), "--detailed-exitcode")
	if code != ExitFindings || !strings.Contains(stdout, "0:0:0:0:0:0:0:1") || !strings.Contains(stdout, "- User:ipv6-app ALLOW READ on LITERAL TOPIC \"orders\" from host ::1") {
		t.Fatalf("plan after import should replace the ::1 binding: exit %d\n%s\n%s", code, stdout, stderr)
	}
}
