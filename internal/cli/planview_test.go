package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/apply"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/plan"
	"github.com/kafkaguard/kafkaguard/internal/scram"
	"github.com/kafkaguard/kafkaguard/internal/testutil"
)

// viewAdmin is a cluster whose ACLs are fixed.
type viewAdmin struct{ acls acl.Set }

func (v viewAdmin) DescribeACLs(context.Context) (acl.Set, error) { return v.acls, nil }
func (v viewAdmin) CreateACLs(context.Context, []acl.Binding) []cluster.ACLResult {
	return nil
}
func (v viewAdmin) DeleteACLs(context.Context, []acl.Binding) []cluster.ACLResult {
	return nil
}
func (v viewAdmin) Principal() string { return "User:admin" }

func viewPlan(t *testing.T) (*plan.Plan, acl.Binding) {
	t.Helper()
	keep := testutil.Binding(t, "User:a", "TOPIC", "t1", "LITERAL", "READ", "ALLOW")
	add := testutil.Binding(t, "User:a", "TOPIC", "t2", "LITERAL", "WRITE", "ALLOW")
	stale := testutil.Binding(t, "User:a", "GROUP", "g", "LITERAL", "READ", "ALLOW")
	foreign := testutil.Binding(t, "User:zed", "TOPIC", "x", "PREFIXED", "READ", "ALLOW")
	sc, err := acl.NewScope("User:a")
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Build(context.Background(), apply.ACLPlanner{Admin: viewAdmin{acl.NewSet(keep, stale, foreign)}, Desired: acl.NewSet(keep, add), Scope: sc})
	if err != nil {
		t.Fatal(err)
	}
	return p, add
}

func TestPlanTextRendersAddsRemovesAndDrift(t *testing.T) {
	p, _ := viewPlan(t)
	var out bytes.Buffer
	if err := writePlanText(&out, p, style{}); err != nil {
		t.Fatal(err)
	}
	want := `ACLs: (scope: User:a)
  + User:a ALLOW WRITE on LITERAL TOPIC "t2" from host *
  - User:a ALLOW READ on LITERAL GROUP "g" from host *

Drift outside kafkaguard's scope (never removed; --prune-unmanaged would remove it):
  ~ User:zed ALLOW READ on PREFIXED TOPIC "x" from host *

Plan: 1 to add, 1 to remove.
`
	if out.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", out.String(), want)
	}
	var color bytes.Buffer
	if err := writePlanText(&color, p, style{color: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(color.String(), "\x1b[32m  + User:a") || !strings.Contains(color.String(), "\x1b[31m  - User:a") {
		t.Errorf("no green add or red remove line: %q", color.String())
	}
}

func TestPlanJSONIsTheDocumentedDocument(t *testing.T) {
	p, add := viewPlan(t)
	var js bytes.Buffer
	if err := writePlanJSON(&js, p, style{}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		FormatVersion int          `json:"format_version"`
		Changes       bool         `json:"changes"`
		Summary       plan.Summary `json:"summary"`
		ACLs          struct{ Add []acl.Binding }
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.FormatVersion != 1 || !doc.Changes || doc.Summary != (plan.Summary{Add: 1, Remove: 1, Unmanaged: 1}) || len(doc.ACLs.Add) != 1 || doc.ACLs.Add[0] != add {
		t.Fatalf("json: %s", js.String())
	}
}

func TestUsersPlanTextMarksChangesAndSummarises(t *testing.T) {
	sc, _ := acl.NewScope("*")
	p := scram.PlanUsers([]scram.DesiredUser{{Name: "a", Mechanism: scram.SHA512, Iterations: 4096}, {Name: "b", Mechanism: scram.SHA512, Iterations: 8192}},
		map[string][]cluster.SCRAMCredentialInfo{"b": {{Mechanism: scram.SHA512, Iterations: 4096}}, "c": {{Mechanism: scram.SHA256, Iterations: 4096}}}, sc, true, "")
	var buf bytes.Buffer
	if err := writeUsersPlan(&buf, "text", p, style{}); err != nil {
		t.Fatal(err)
	}
	want := `SCRAM users:
  + User:a  SCRAM-SHA-512, 4096 iterations
  ~ User:b  iterations 4096 -> 8192
  - User:c  SCRAM-SHA-256/4096 (not declared, inside the managed scope)
Users: 1 to create, 1 to change, 1 to remove.
`
	if buf.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", buf.String(), want)
	}
	buf.Reset()
	if err := writeUsersPlan(&buf, "markdown", p, style{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "```diff\n+ User:a  SCRAM-SHA-512, 4096 iterations\n") {
		t.Errorf("markdown users plan:\n%s", buf.String())
	}
}
