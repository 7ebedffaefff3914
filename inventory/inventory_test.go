package inventory

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadDesignExample(t *testing.T) {
	inv, err := Load("../testdata/inventory/design.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if inv.Cluster.Name != "prod-eu" || !strings.HasPrefix(inv.Cluster.SSLPrincipalMappingRules, "RULE:") {
		t.Errorf("cluster = %+v", inv.Cluster)
	}
	var names []string
	for _, p := range inv.Principals {
		names = append(names, p.Name)
	}
	if got, want := strings.Join(names, ","), "admin,analytics,billing,ops,orders-api"; got != want {
		t.Errorf("principals = %s, want %s (sorted)", got, want)
	}
	billing, ok := inv.Principal("billing")
	if !ok || billing.Mechanism() != "SCRAM-SHA-256" || billing.EffectiveIterations() != 8192 || billing.KafkaPrincipal() != "User:billing" {
		t.Errorf("billing = %+v", billing)
	}
	if billing.Source != "../testdata/inventory/design.yaml:7" {
		t.Errorf("billing.Source = %q", billing.Source)
	}
	orders, _ := inv.Principal("orders-api")
	if orders.EffectiveIterations() != 4096 || !orders.IsSCRAM() {
		t.Errorf("orders-api = %+v", orders)
	}
	ops, _ := inv.Principal("ops")
	if ops.IsSCRAM() || ops.Mechanism() != "" {
		t.Errorf("ops = %+v", ops)
	}
	if _, ok := inv.Principal("nobody"); ok {
		t.Error("Principal(nobody) found")
	}
	if len(inv.Grants) != 5 {
		t.Fatalf("grants = %d, want 5", len(inv.Grants))
	}
	g := inv.Grants[3]
	if g.Resource == nil || g.Resource.Type != "CLUSTER" || g.Resource.Name != "kafka-cluster" || g.Permission != "ALLOW" || g.Hosts[0] != "*" {
		t.Errorf("cluster grant = %+v %+v", g, g.Resource)
	}
	if d := inv.Grants[4]; d.Permission != "DENY" || d.Source != "../testdata/inventory/design.yaml:19" || d.Index != 4 {
		t.Errorf("deny grant = %+v", d)
	}
	scope, err := inv.ManagedScope()
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{"User:orders-api": true, "User:analytics": true, "User:billing": false} {
		if scope.Contains(p) != want {
			t.Errorf("scope.Contains(%s) = %v, want %v", p, !want, want)
		}
	}
}

func TestManagedScopeDefaultsToDeclaredPrincipals(t *testing.T) {
	inv, err := Load("../testdata/inventory/split")
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Files) != 2 || inv.Cluster.Name != "staging" {
		t.Errorf("files = %v, cluster = %+v", inv.Files, inv.Cluster)
	}
	scope, err := inv.ManagedScope()
	if err != nil {
		t.Fatal(err)
	}
	if !scope.Contains("User:analytics") || !scope.Contains("User:orders-api") || scope.Contains("User:other") {
		t.Errorf("scope = %s", scope)
	}
}

func TestLoadRejectsBadInventories(t *testing.T) {
	base := "principals:\n  a: {auth: scram-sha-512, team: x}\n  m: {auth: mtls, team: y}\n"
	tests := []struct {
		name, yaml, want string
	}{
		{"yaml syntax", "principals: [a\n", "inv.yaml:1: invalid YAML"},
		{"unknown top-level key", "principles: {}\n", `inv.yaml:1: the inventory: unknown key "principles"`},
		{"unknown principal key", "principals:\n  a: {auth: mtls, tema: x}\n", `inv.yaml:2: principal "a": unknown key "tema"`},
		{"wrong type", "principals:\n  a: {auth: mtls, superuser: yes-please}\n", `inv.yaml:2: principal "a": superuser must be true or false, found the string "yes-please"`},
		{"iterations on mtls", "principals:\n  a: {auth: mtls, iterations: 8192}\n", "iterations is a SCRAM setting, but auth is mtls"},
		{"dn on scram", "principals:\n  a: {auth: scram-sha-256, dn: \"CN=a\"}\n", "dn is an mtls setting, but auth is scram-sha-256"},
		{"iterations out of range", "principals:\n  a: {auth: scram-sha-256, iterations: 100}\n", "iterations 100 out of range"},
		{"unknown auth", "principals:\n  a: {auth: kerberos}\n", `unknown auth "kerberos"`},
		{"missing auth", "principals:\n  a: {team: x}\n", "auth is required"},
		{"undeclared principal", base + "grants:\n  - {principal: b, role: producer, topics: [t]}\n", `inv.yaml:5: grant: principal "b" is not declared`},
		{"bad topic name", base + "grants:\n  - {principal: a, role: producer, topics: [\"or ders\"]}\n", `inv.yaml:5: grant: principal "a": topic name "or ders" has ' '`},
		{"dot topic", "topics:\n  \"..\": {}\n", `inv.yaml:2: topic "..": topic name ".." is not allowed`},
		{"long topic", "topics:\n  " + strings.Repeat("x", 250) + ": {}\n", "250 characters long"},
		{"unknown classification", "topics:\n  t: {classification: secret}\n", `unknown classification "secret"`},
		{"empty group", base + "grants:\n  - {principal: a, role: consumer, topics: [t], groups: [\"\"]}\n", "empty group"},
		{"role and operations", base + "grants:\n  - {principal: a, role: consumer, operations: [READ], topics: [t]}\n", "exclusive"},
		{"unknown operation", base + "grants:\n  - {principal: a, operations: [REED], topics: [t]}\n", `unknown operation "REED"`},
		{"unknown resource type", base + "grants:\n  - {principal: a, operations: [READ], resource: {type: TABLE, name: x}}\n", `unknown resource type "TABLE"`},
		{"empty host", base + "grants:\n  - {principal: a, role: producer, topics: [t], hosts: [\"\"]}\n", "host \"\" is empty"},
		{"unknown grant key", base + "grants:\n  - {principal: a, role: producer, topic: [t]}\n", `inv.yaml:5: grant: unknown key "topic"`},
		{"duplicate principal", base + "principals:\n  a: {auth: mtls}\n", `key "principals" given twice`},
		{"bad permission", base + "grants:\n  - {principal: a, role: producer, topics: [t], permission: MAYBE}\n", `unknown permission "MAYBE"`},
		{"bad managed", "managed:\n  principals: [alice]\n", "managed.principals"},
		{"streams-app with topics", base + "grants:\n  - {principal: a, role: streams-app, application_id: x, topics: [t]}\n", `inv.yaml:5: grant: principal "a": a streams-app takes inputs (READ) and outputs (WRITE), not topics`},
		{"inputs on operations", base + "grants:\n  - {principal: a, operations: [READ], inputs: [t]}\n", "inputs and outputs belong to roles"},
		{"bad input topic", base + "grants:\n  - {principal: a, role: streams-app, application_id: x, inputs: [\"a b\"]}\n", `topic name "a b" has ' '`},
		{"bad dlq", base + "grants:\n  - {principal: a, role: connector, connector: c, inputs: [t], dlq: \"x*\"}\n", `dlq: topic name "x*"`},
		{"connector with star", base + "grants:\n  - {principal: a, role: connector, connector: \"c*\", inputs: [t]}\n", `connector "c*" must be a plain name`},
		{"bad expires", base + "grants:\n  - {principal: a, role: producer, topics: [t], expires: 31.03.2027}\n", `grant: expires: "31.03.2027" is not a date`},
		{"expires not scalar", base + "grants:\n  - {principal: a, role: producer, topics: [t], expires: [1]}\n", "grant: expires must be a date (YYYY-MM-DD), found a list"},
		{"labels not a mapping", "principals:\n  a: {auth: mtls, labels: [x]}\n", `principal "a": labels must be a mapping`},
		{"label value a mapping", "topics:\n  t: {labels: {owner: {name: x}}}\n", `topic "t": labels: label "owner" must be a string`},
		{"waiver without rule", base + "waivers:\n  - {principal: a, reason: r, expires: 2027-01-01}\n", "inv.yaml:5: waiver: rule is required"},
		{"waiver without subject", base + "waivers:\n  - {rule: KG602, reason: r, expires: 2027-01-01}\n", "waiver: give the principal (or topic) it is for"},
		{"waiver with both", base + "waivers:\n  - {rule: KG602, principal: a, topic: t, reason: r, expires: 2027-01-01}\n", "principal and topic are exclusive"},
		{"waiver without reason", base + "waivers:\n  - {rule: KG602, principal: a, expires: 2027-01-01}\n", "waiver: reason is required"},
		{"waiver bad rule", base + "waivers:\n  - {rule: \"KG 602\", principal: a, reason: r, expires: 2027-01-01}\n", `rule "KG 602" is not a rule ID`},
		{"waiver undeclared principal", base + "waivers:\n  - {rule: KG602, principal: b, reason: r, expires: 2027-01-01}\n", `inv.yaml:5: waiver: principal "b" is not declared`},
		{"waiver unknown key", base + "waivers:\n  - {rule: KG602, principal: a, reason: r, expires: 2027-01-01, until: x}\n", `waiver: unknown key "until"`},
		{"unknown quota key", "principals:\n  a: {auth: mtls, quotas: {producer_rate: 1}}\n", `principal "a": quotas: unknown key "producer_rate"`},
		{"negative quota", "principals:\n  a: {auth: mtls, quotas: {request_percentage: -1}}\n", "request_percentage must be a positive number"},
		{"fractional byte rate", "principals:\n  a: {auth: mtls, quotas: {producer_byte_rate: 1.5}}\n", "producer_byte_rate is bytes per second, a whole number"},
		{"quota not a number", "quotas:\n  default: {consumer_byte_rate: lots}\n", `quotas.default: consumer_byte_rate must be a number, found the string "lots"`},
		{"empty quota", "quotas:\n  default: {}\n", "quotas.default: no quota keys"},
		{"bad require_for", "quotas:\n  require_for: [secret]\n", `quotas.require_for: unknown classification "secret"`},
		{"label given twice", "topics:\n  t: {labels: {owner: x, owner: y}}\n", `label "owner" given twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("inv.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func TestLoadRejectsPrincipalDeclaredInTwoFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.yaml", "principals:\n  alice: {auth: mtls}\n")
	write("b.yaml", "# second\nprincipals:\n  alice: {auth: scram-sha-256}\n")
	_, err := Load(dir)
	if err == nil || !strings.Contains(err.Error(), "b.yaml:3: principal \"alice\" declared twice (first at "+filepath.Join(dir, "a.yaml")+":2)") {
		t.Errorf("err = %v", err)
	}
}

func TestLoadMissingFileIsAnError(t *testing.T) {
	if _, err := Load("does-not-exist.yaml"); err == nil || !strings.Contains(err.Error(), "does-not-exist.yaml") {
		t.Errorf("err = %v", err)
	}
	if _, err := Load(); err == nil {
		t.Error("Load() with no paths: no error")
	}
}

func TestSplitName(t *testing.T) {
	for in, want := range map[string]string{"orders.*": "orders. PREFIXED", "*": "* LITERAL", "orders": "orders LITERAL"} {
		n, pt := SplitName(in)
		if got := n + " " + pt.String(); got != want {
			t.Errorf("SplitName(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestLoadRoleSettingsLabelsAndExpiry(t *testing.T) {
	inv, err := Parse("inv.yaml", []byte(`principals:
  app: {auth: mtls, team: risk, labels: {cost-center: CC-7, tier: 1}}
topics:
  risk.scores: {team: risk, labels: {retention: 7d}}
grants:
  - {principal: app, role: streams-app, application_id: fraud, inputs: in.events, outputs: [risk.scores], expires: 2027-03-31}
  - {principal: app, role: connector, connector: s3, inputs: [risk.scores], dlq: s3.dlq, expires: "2027-01-05"}
  - {principal: app, role: auditor}
`))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := inv.Principal("app")
	if p.Labels["cost-center"] != "CC-7" || p.Labels["tier"] != "1" {
		t.Errorf("labels = %v", p.Labels)
	}
	if tp, _ := inv.Topic("risk.scores"); tp.Labels["retention"] != "7d" {
		t.Errorf("topic labels = %v", tp.Labels)
	}
	g := inv.Grants[0]
	if strings.Join(g.Inputs, ",") != "in.events" || strings.Join(g.Outputs, ",") != "risk.scores" || g.Expires != "2027-03-31" {
		t.Errorf("grant = %+v", g)
	}
	if c := inv.Grants[1]; c.Connector != "s3" || c.DLQ != "s3.dlq" || c.Expires != "2027-01-05" {
		t.Errorf("connector grant = %+v", c)
	}
}

func TestLoadQuotas(t *testing.T) {
	inv, err := Parse("inv.yaml", []byte(`principals:
  app: {auth: mtls, quotas: {producer_byte_rate: 1048576, controller_mutation_rate: 2.5}}
quotas:
  default: {consumer_byte_rate: 524288}
  clients:
    legacy: {request_percentage: 10}
    "<default>": {request_percentage: 50}
  require_for: [restricted]
`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, q := range inv.Quotas {
		got = append(got, q.Entity.String())
	}
	if strings.Join(got, ",") != "User:<default>,User:app,client-id:<default>,client-id:legacy" || !inv.QuotasDeclared {
		t.Errorf("quotas = %v", got)
	}
	q, ok := inv.QuotaOf(QuotaEntity{Type: QuotaUser, Name: "app"})
	if !ok || q.Values[QuotaProducerByteRate] != 1048576 || q.Values[QuotaControllerMutationRate] != 2.5 || q.Source != "inv.yaml:2" {
		t.Errorf("app quota = %+v", q)
	}
	if strings.Join(inv.QuotaRequiredFor, ",") != "restricted" {
		t.Errorf("require_for = %v", inv.QuotaRequiredFor)
	}
	none, _ := Parse("inv.yaml", []byte("principals:\n  a: {auth: mtls}\n"))
	if none.QuotasDeclared {
		t.Error("an inventory without quotas manages them")
	}
}
