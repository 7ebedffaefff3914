package policies

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
)

// The guardrail table is read from the library's METADATA annotations; this
// pins it, so an annotation that goes missing or changes is seen.
func TestLibraryGuardrailsFromAnnotations(t *testing.T) {
	want := []Guardrail{
		{ID: "KG601", Check: "allow-everyone", Rule: "deny", Title: "No ALLOW binding for every principal (User:*)"},
		{ID: "KG602", Check: "wildcard-resource", Rule: "deny", Title: `No literal "*" topic or group for principals that are not superusers`},
		{ID: "KG603", Check: "restricted-cross-team-read", Rule: "deny", Title: "Reading another team's restricted topic needs approved_by"},
		{ID: "KG604", Check: "superuser-weak-auth", Rule: "deny", Title: "Superusers authenticate with SCRAM or mTLS"},
		{ID: "KG605", Check: "cross-team-write", Rule: "deny", Title: "Writing another team's topic needs approved_by"},
		{ID: "KG606", Check: "quota-required", Rule: "deny", Title: "Principals that touch the classifications in quotas.require_for have a quota"},
		{ID: "KG651", Check: "principal-without-grants", Rule: "warn", Title: "Every principal has a grant"},
		{ID: "KG652", Check: "topic-without-writer", Rule: "warn", Title: "Every declared topic has a writer"},
		{ID: "KG653", Check: "prefix-matches-nothing", Rule: "warn", Title: "Every granted topic prefix matches a declared topic"},
		{ID: "KG654", Check: "application-id-overlap", Rule: "warn", Title: `No Kafka Streams application_id followed by "-" begins another`},
		{ID: "KG655", Check: "grant-expires-soon", Rule: "warn", Title: "Grants that expire soon are announced"},
		{ID: "KG656", Check: "grant-expired", Rule: "warn", Title: "Expired grants are left out"},
		{ID: "KG657", Check: "waiver-expires-soon", Rule: "warn", Title: "Waivers that expire soon are announced"},
		{ID: "KG658", Check: "waiver-not-effective", Rule: "warn", Title: "Waivers that do not waive are reported"},
		{ID: "KG659", Check: "host-not-ip", Rule: "warn", Title: "Grant hosts are IP addresses"},
		{ID: "KG660", Check: "operation-never-matches", Rule: "warn", Title: "Granted operations exist on their resource type"},
	}
	got := LibraryGuardrails()
	if len(got) != len(want) {
		t.Fatalf("got %d guardrails, want %d: %+v", len(got), len(want), got)
	}
	for i, g := range got {
		w := want[i]
		if g.ID != w.ID || g.Check != w.Check || g.Rule != w.Rule || g.Title != w.Title {
			t.Errorf("guardrail %d = %+v, want %+v", i, g, w)
		}
		if !strings.HasPrefix(g.Location, EmbeddedPrefix+"guardrails.rego:") {
			t.Errorf("%s: location %q", g.ID, g.Location)
		}
		if LibraryChecks()[g.ID] != g.Check || LibraryRules()[g.ID] != g.Title {
			t.Errorf("%s: maps disagree with the table", g.ID)
		}
	}
}

// Every library guardrail fires on this inventory, from the rule its
// annotation is on, with the ID and check the annotation gives.
func TestLibraryGuardrailsMatchTheirFindings(t *testing.T) {
	inv := parseInv(t, `principals:
  orders-api: {auth: scram-sha-512, team: orders}
  analytics:  {auth: mtls, team: data}
  root:       {auth: plain, team: ops, superuser: true}
  idle:       {auth: mtls, team: data}
  lonely:     {auth: mtls, team: data}
topics:
  orders.events: {team: orders, classification: internal}
  ledger:        {team: payments, classification: restricted}
grants:
  - {principal: "*", role: consumer, topics: [orders.events]}
  - {principal: analytics, role: consumer, topics: ["*"]}
  - {principal: analytics, role: consumer, topics: [ledger, "nothing.*"]}
  - {principal: orders-api, role: producer, topics: [orders.events]}
  - {principal: analytics, role: producer, topics: [orders.events]}
  - {principal: analytics, role: streams-app, application_id: fraud, inputs: [orders.events]}
  - {principal: analytics, role: streams-app, application_id: fraud-scorer, inputs: [orders.events]}
  - {principal: idle, role: consumer, topics: [orders.events], groups: [g], expires: 2027-03-25}
  - {principal: idle, role: consumer, topics: [orders.events], groups: [g], expires: 2027-03-01}
  - {principal: orders-api, operations: [WRITE], groups: [g], hosts: [client.example.com]}
waivers:
  - {rule: KG601, principal: "*", reason: r, expires: 2027-03-25}
  - {rule: KG602, principal: orders-api, reason: r, approved_by: ciso, expires: 2027-03-25}
quotas:
  require_for: [internal]
`)
	res, err := Compile(context.Background(), inv, Options{Now: time.Date(2027, 3, 20, 12, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	table := map[string]Guardrail{}
	for _, g := range LibraryGuardrails() {
		table[g.ID] = g
	}
	fired := map[string]bool{}
	for rule, fs := range map[string][]Finding{"deny": res.Deny, "warn": res.Warn} {
		for _, f := range fs {
			fired[f.ID] = true
			if g, ok := table[f.ID]; !ok || g.Check != f.Check || g.Rule != rule {
				t.Errorf("%s finding %s %s does not match the table entry %+v", rule, f.ID, f.Check, g)
			}
		}
	}
	for id := range table {
		if !fired[id] {
			t.Errorf("%s did not fire", id)
		}
	}
}

func TestGuardrailAnnotationErrors(t *testing.T) {
	for name, tc := range map[string]struct{ src, want string }{
		"no title": {"package x\n\n# METADATA\n# custom:\n#   id: KG1\n#   check: c\ndeny contains 1 if true\n", "guardrail KG1 needs a title and custom.check"},
		"no check": {"package x\n\n# METADATA\n# title: T\n# custom:\n#   id: KG1\ndeny contains 1 if true\n", "guardrail KG1 needs a title and custom.check"},
		"twice": {"package x\n\n# METADATA\n# title: T\n# custom:\n#   id: KG1\n#   check: c\ndeny contains 1 if true\n\n# METADATA\n# title: U\n# custom:\n#   id: KG1\n#   check: d\nwarn contains 1 if true\n",
			"guardrail KG1 is already annotated at x.rego:3"},
	} {
		t.Run(name, func(t *testing.T) {
			m, err := ast.ParseModuleWithOpts("x.rego", tc.src, ast.ParserOptions{RegoVersion: ast.RegoV1, ProcessAnnotation: true})
			if err != nil {
				t.Fatal(err)
			}
			_, err = guardrailsOf(map[string]*ast.Module{"x.rego": m})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// A rule without custom.id (a user's own annotated deny) is no guardrail.
func TestGuardrailsIgnoreRulesWithoutID(t *testing.T) {
	m, err := ast.ParseModuleWithOpts("x.rego", "package x\n\n# METADATA\n# title: mine\ndeny contains 1 if true\n", ast.ParserOptions{RegoVersion: ast.RegoV1, ProcessAnnotation: true})
	if err != nil {
		t.Fatal(err)
	}
	gs, err := guardrailsOf(map[string]*ast.Module{"x.rego": m})
	if err != nil || len(gs) != 0 {
		t.Errorf("got %+v, %v", gs, err)
	}
}
