package apply

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
)

// fakeAdmin is an in-memory cluster. failCreate makes creating a binding
// fail while it returns true.
type fakeAdmin struct {
	mu         sync.Mutex
	acls       acl.Set
	principal  string
	failCreate func(acl.Binding) bool
	calls      map[string]int
}

func (f *fakeAdmin) DescribeACLs(context.Context) (acl.Set, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("describe")
	return f.acls, nil
}

func (f *fakeAdmin) count(k string) {
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[k]++
}

func (f *fakeAdmin) CreateACLs(_ context.Context, bs []acl.Binding) []cluster.ACLResult {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("create")
	var ok []acl.Binding
	out := make([]cluster.ACLResult, len(bs))
	for i, b := range bs {
		out[i].Binding = b
		if f.failCreate != nil && f.failCreate(b) {
			out[i].Err = errors.New("create ACL: POLICY_VIOLATION: refused by fake")
			continue
		}
		ok = append(ok, b)
	}
	f.acls = f.acls.Union(acl.NewSet(ok...))
	return out
}

func (f *fakeAdmin) DeleteACLs(_ context.Context, bs []acl.Binding) []cluster.ACLResult {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("delete")
	f.acls = f.acls.Minus(acl.NewSet(bs...))
	out := make([]cluster.ACLResult, len(bs))
	for i, b := range bs {
		out[i].Binding = b
	}
	return out
}

func (f *fakeAdmin) Principal() string { return f.principal }

func b(t testing.TB, principal, rt, name, pt, op, perm string) acl.Binding {
	t.Helper()
	x, err := acl.FromStrings(principal, "*", rt, name, pt, op, perm)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func scope(t testing.TB, patterns ...string) acl.Scope {
	t.Helper()
	s, err := acl.NewScope(patterns...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func plan(t testing.TB, f *fakeAdmin, p ACLPlanner) *Plan {
	t.Helper()
	p.Admin = f
	pl, err := Build(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return pl
}

func TestPlanRendersAddsRemovesAndDrift(t *testing.T) {
	keep := b(t, "User:a", "TOPIC", "t1", "LITERAL", "READ", "ALLOW")
	add := b(t, "User:a", "TOPIC", "t2", "LITERAL", "WRITE", "ALLOW")
	stale := b(t, "User:a", "GROUP", "g", "LITERAL", "READ", "ALLOW")
	foreign := b(t, "User:zed", "TOPIC", "x", "PREFIXED", "READ", "ALLOW")
	f := &fakeAdmin{acls: acl.NewSet(keep, stale, foreign)}
	p := plan(t, f, ACLPlanner{Desired: acl.NewSet(keep, add), Scope: scope(t, "User:a")})

	var out bytes.Buffer
	p.WriteText(&out, Style{})
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
	if f.calls["describe"] != 1 {
		t.Errorf("plan sent %d describe requests, want 1", f.calls["describe"])
	}

	var js bytes.Buffer
	if err := p.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		FormatVersion int     `json:"format_version"`
		Changes       bool    `json:"changes"`
		Summary       Summary `json:"summary"`
		ACLs          struct {
			Add, Remove, Unmanaged []acl.Binding
			Unchanged              int
		} `json:"acls"`
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.FormatVersion != 1 || !doc.Changes || doc.Summary != (Summary{Add: 1, Remove: 1, Unmanaged: 1}) ||
		len(doc.ACLs.Add) != 1 || doc.ACLs.Add[0] != add || doc.ACLs.Remove[0] != stale || doc.ACLs.Unmanaged[0] != foreign || doc.ACLs.Unchanged != 1 {
		t.Fatalf("json: %s", js.String())
	}
}

func TestPlanWithNoChangesSaysSo(t *testing.T) {
	keep := b(t, "User:a", "TOPIC", "t1", "LITERAL", "READ", "ALLOW")
	f := &fakeAdmin{acls: acl.NewSet(keep)}
	p := plan(t, f, ACLPlanner{Desired: acl.NewSet(keep), Scope: scope(t, "User:a")})
	var out bytes.Buffer
	p.WriteText(&out, Style{})
	if out.String() != "No changes. The cluster matches policy.\n" || p.HasChanges() {
		t.Fatalf("got %q", out.String())
	}
}

func TestColorOnlyWhenAsked(t *testing.T) {
	f := &fakeAdmin{}
	p := plan(t, f, ACLPlanner{Desired: acl.NewSet(b(t, "User:a", "TOPIC", "t", "LITERAL", "READ", "ALLOW")), Scope: scope(t, "User:a")})
	var plain, color bytes.Buffer
	p.WriteText(&plain, Style{})
	p.WriteText(&color, Style{Color: true})
	if strings.Contains(plain.String(), "\x1b[") {
		t.Error("escape codes without colour")
	}
	if !strings.Contains(color.String(), "\x1b[32m  + User:a") {
		t.Errorf("no green add line: %q", color.String())
	}
}

func TestPruneUnmanagedRemovesDriftToo(t *testing.T) {
	foreign := b(t, "User:zed", "TOPIC", "x", "LITERAL", "READ", "ALLOW")
	f := &fakeAdmin{acls: acl.NewSet(foreign)}
	p := plan(t, f, ACLPlanner{Scope: scope(t, "User:a"), PruneUnmanaged: true})
	if s := p.Summary(); s.Remove != 1 || s.Unmanaged != 0 {
		t.Fatalf("summary %+v", s)
	}
	if _, err := p.Apply(context.Background(), &bytes.Buffer{}, Style{}, nil); err != nil {
		t.Fatal(err)
	}
	if f.acls.Len() != 0 {
		t.Fatalf("left %v", f.acls.Bindings())
	}
}

func TestMaxRemovalsGuard(t *testing.T) {
	var actual []acl.Binding
	for i := range 5 {
		actual = append(actual, b(t, "User:a", "TOPIC", fmt.Sprint("t", i), "LITERAL", "READ", "ALLOW"))
	}
	f := &fakeAdmin{acls: acl.NewSet(actual...), principal: "User:admin"}
	p := plan(t, f, ACLPlanner{Scope: scope(t, "User:a")})
	tests := []struct {
		max  int
		want error
	}{{4, ErrTooManyRemovals}, {5, nil}, {0, ErrTooManyRemovals}, {-1, nil}, {-2, ErrInvalidGuard}, {-100, ErrInvalidGuard}}
	for _, tt := range tests {
		if err := p.Check(Guards{MaxRemovals: tt.max}); !errors.Is(err, tt.want) && !(tt.want == nil && err == nil) {
			t.Errorf("max %d: err = %v, want %v", tt.max, err, tt.want)
		}
	}
}

func TestLockoutGuard(t *testing.T) {
	alter := b(t, "User:ops", "CLUSTER", "kafka-cluster", "LITERAL", "ALTER", "ALLOW")
	describe := b(t, "User:ops", "CLUSTER", "kafka-cluster", "LITERAL", "DESCRIBE", "ALLOW")
	all := b(t, "User:ops", "CLUSTER", "kafka-cluster", "LITERAL", "ALL", "ALLOW")
	denyAlter := b(t, "User:ops", "CLUSTER", "kafka-cluster", "LITERAL", "ALTER", "DENY")
	other := b(t, "User:ops", "TOPIC", "t", "LITERAL", "READ", "ALLOW")
	hostAlter := alter
	hostAlter.Host = "10.0.0.5"
	denyAll := b(t, "User:*", "CLUSTER", "kafka-cluster", "LITERAL", "ALTER", "DENY")
	tests := []struct {
		name            string
		principal       string
		actual, desired []acl.Binding
		guards          Guards
		wantLockout     bool
	}{
		{"removing own ALTER", "User:ops", []acl.Binding{alter, describe}, []acl.Binding{describe}, Guards{}, true},
		{"adding a DENY on own ALTER", "User:ops", []acl.Binding{alter}, []acl.Binding{alter, denyAlter}, Guards{}, true},
		{"replacing with ALL keeps access", "User:ops", []acl.Binding{alter, describe}, []acl.Binding{all}, Guards{}, false},
		{"unrelated change", "User:ops", []acl.Binding{alter, describe}, []acl.Binding{alter, describe, other}, Guards{}, false},
		{"super user by hint", "User:ops", []acl.Binding{alter}, nil, Guards{SuperUsers: []string{"User:ops"}}, false},
		{"allowed explicitly", "User:ops", []acl.Binding{alter}, nil, Guards{AllowLockout: true}, false},
		{"no ACL today means super user", "User:admin", []acl.Binding{b(t, "User:admin", "TOPIC", "t", "LITERAL", "READ", "ALLOW")}, nil, Guards{}, false},
		{"unknown principal refuses a CLUSTER change", "", []acl.Binding{alter}, nil, Guards{}, true},
		{"unknown principal may change topics", "", []acl.Binding{other}, nil, Guards{}, false},
		{"removing a host-specific grant", "User:ops", []acl.Binding{hostAlter, describe}, []acl.Binding{describe}, Guards{}, true},
		{"a DENY for everyone", "User:ops", []acl.Binding{alter, describe}, []acl.Binding{alter, describe, denyAll}, Guards{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeAdmin{acls: acl.NewSet(tt.actual...), principal: tt.principal}
			p := plan(t, f, ACLPlanner{Desired: acl.NewSet(tt.desired...), Scope: scope(t, "*")})
			tt.guards.MaxRemovals = -1
			err := p.Check(tt.guards)
			if got := errors.Is(err, ErrLockout); got != tt.wantLockout {
				t.Fatalf("lockout = %v (%v), want %v", got, err, tt.wantLockout)
			}
		})
	}
}

func TestPartialFailureReportsEachBindingAndConvergesOnRerun(t *testing.T) {
	var desired []acl.Binding
	for i := range 2500 {
		desired = append(desired, b(t, "User:a", "TOPIC", fmt.Sprintf("t%04d", i), "LITERAL", "WRITE", "ALLOW"))
	}
	stale := b(t, "User:a", "GROUP", "old", "LITERAL", "READ", "ALLOW")
	failing := true
	f := &fakeAdmin{acls: acl.NewSet(stale), principal: "User:admin",
		failCreate: func(x acl.Binding) bool { return failing && strings.HasSuffix(x.ResourceName, "7") }}
	planner := ACLPlanner{Desired: acl.NewSet(desired...), Scope: scope(t, "User:a")}

	p := plan(t, f, planner)
	var out bytes.Buffer
	var progress []int
	res, err := p.Apply(context.Background(), &out, Style{}, func(_ string, done, total int) { progress = append(progress, done) })
	if err == nil || !strings.Contains(err.Error(), "250 of 2501 changes failed") {
		t.Fatalf("err = %v", err)
	}
	if res.Failed != 250 {
		t.Errorf("failed = %d", res.Failed)
	}
	if got := strings.Count(out.String(), "! failed"); got != 250 {
		t.Errorf("%d failure lines, want 250", got)
	}
	if !strings.Contains(out.String(), `! failed   + User:a ALLOW WRITE on LITERAL TOPIC "t0007" from host *: create ACL: POLICY_VIOLATION`) {
		t.Errorf("failure line missing binding or cause:\n%s", out.String()[:400])
	}
	if f.calls["create"] != 3 || f.calls["delete"] != 1 {
		t.Errorf("requests: %v, want 3 creates (1000 per chunk) and 1 delete", f.calls)
	}
	if fmt.Sprint(progress) != "[1000 2000 2500 2501]" {
		t.Errorf("progress %v", progress)
	}
	if f.acls.Contains(stale) {
		t.Error("the removal was skipped because creations failed")
	}

	failing = false
	p = plan(t, f, planner)
	if s := p.Summary(); s.Add != 250 || s.Remove != 0 {
		t.Fatalf("re-plan: %+v", s)
	}
	if _, err := p.Apply(context.Background(), &bytes.Buffer{}, Style{}, nil); err != nil {
		t.Fatal(err)
	}
	if p := plan(t, f, planner); p.HasChanges() {
		t.Fatalf("third plan still has changes: %+v", p.Summary())
	}
}

func TestVerifyCatchesAClusterThatDidNotChange(t *testing.T) {
	f := &fakeAdmin{principal: "User:admin"}
	lying := &lyingAdmin{fakeAdmin: f}
	p, err := Build(context.Background(), ACLPlanner{Admin: lying, Desired: acl.NewSet(b(t, "User:a", "TOPIC", "t", "LITERAL", "READ", "ALLOW")), Scope: scope(t, "User:a")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Apply(context.Background(), &bytes.Buffer{}, Style{}, nil)
	if !errors.Is(err, ErrNotConverged) {
		t.Fatalf("err = %v", err)
	}
}

// lyingAdmin reports success but changes nothing.
type lyingAdmin struct{ *fakeAdmin }

func (l *lyingAdmin) CreateACLs(_ context.Context, bs []acl.Binding) []cluster.ACLResult {
	out := make([]cluster.ACLResult, len(bs))
	for i, x := range bs {
		out[i].Binding = x
	}
	return out
}
