package apply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/plan"
	"github.com/kafkaguard/kafkaguard/internal/testutil"
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

func buildPlan(t testing.TB, f *fakeAdmin, p ACLPlanner) *plan.Plan {
	t.Helper()
	p.Admin = f
	pl, err := plan.Build(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return pl
}

func TestPlanStatesAddsRemovesAndDrift(t *testing.T) {
	keep := testutil.Binding(t, "User:a", "TOPIC", "t1", "LITERAL", "READ", "ALLOW")
	add := testutil.Binding(t, "User:a", "TOPIC", "t2", "LITERAL", "WRITE", "ALLOW")
	stale := testutil.Binding(t, "User:a", "GROUP", "g", "LITERAL", "READ", "ALLOW")
	foreign := testutil.Binding(t, "User:zed", "TOPIC", "x", "PREFIXED", "READ", "ALLOW")
	f := &fakeAdmin{acls: acl.NewSet(keep, stale, foreign)}
	p := buildPlan(t, f, ACLPlanner{Desired: acl.NewSet(keep, add), Scope: testutil.Scope(t, "User:a")})

	sec := p.Sections[0]
	want := []plan.Change{{Action: plan.Add, Item: add.String()}, {Action: plan.Remove, Item: stale.String()}}
	if got := sec.Changes(); !slices.Equal(got, want) {
		t.Fatalf("changes %+v, want %+v", got, want)
	}
	if got := sec.Asides(); !slices.Equal(got, []plan.Aside{{Item: foreign.String()}}) {
		t.Fatalf("asides %+v", got)
	}
	if p.SummaryLine() != "Plan: 1 to add, 1 to remove." {
		t.Errorf("summary line %q", p.SummaryLine())
	}
	if f.calls["describe"] != 1 {
		t.Errorf("plan sent %d describe requests, want 1", f.calls["describe"])
	}

	js, err := json.Marshal(sec.JSON())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Add, Remove, Unmanaged []acl.Binding
		Unchanged              int
	}
	if err := json.Unmarshal(js, &doc); err != nil {
		t.Fatal(err)
	}
	if p.Summary() != (plan.Summary{Add: 1, Remove: 1, Unmanaged: 1}) ||
		len(doc.Add) != 1 || doc.Add[0] != add || doc.Remove[0] != stale || doc.Unmanaged[0] != foreign || doc.Unchanged != 1 {
		t.Fatalf("json: %s", js)
	}
}

func TestPlanWithNoChangesSaysSo(t *testing.T) {
	keep := testutil.Binding(t, "User:a", "TOPIC", "t1", "LITERAL", "READ", "ALLOW")
	f := &fakeAdmin{acls: acl.NewSet(keep)}
	p := buildPlan(t, f, ACLPlanner{Desired: acl.NewSet(keep), Scope: testutil.Scope(t, "User:a")})
	if p.SummaryLine() != "No changes. The cluster matches policy." || p.HasChanges() || len(p.Sections[0].Changes()) != 0 {
		t.Fatalf("got %q", p.SummaryLine())
	}
}

func TestPruneUnmanagedRemovesDriftToo(t *testing.T) {
	foreign := testutil.Binding(t, "User:zed", "TOPIC", "x", "LITERAL", "READ", "ALLOW")
	f := &fakeAdmin{acls: acl.NewSet(foreign)}
	p := buildPlan(t, f, ACLPlanner{Scope: testutil.Scope(t, "User:a"), PruneUnmanaged: true})
	if s := p.Summary(); s.Remove != 1 || s.Unmanaged != 0 {
		t.Fatalf("summary %+v", s)
	}
	if _, err := p.Apply(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if f.acls.Len() != 0 {
		t.Fatalf("left %v", f.acls.Bindings())
	}
}

func TestMaxRemovalsGuard(t *testing.T) {
	var actual []acl.Binding
	for i := range 5 {
		actual = append(actual, testutil.Binding(t, "User:a", "TOPIC", fmt.Sprint("t", i), "LITERAL", "READ", "ALLOW"))
	}
	f := &fakeAdmin{acls: acl.NewSet(actual...), principal: "User:admin"}
	p := buildPlan(t, f, ACLPlanner{Scope: testutil.Scope(t, "User:a")})
	tests := []struct {
		max  int
		want error
	}{{4, plan.ErrTooManyRemovals}, {5, nil}, {0, plan.ErrTooManyRemovals}, {-1, nil}, {-2, plan.ErrInvalidGuard}, {-100, plan.ErrInvalidGuard}}
	for _, tt := range tests {
		if err := p.Check(plan.Guards{MaxRemovals: tt.max}); !errors.Is(err, tt.want) && !(tt.want == nil && err == nil) {
			t.Errorf("max %d: err = %v, want %v", tt.max, err, tt.want)
		}
	}
}

func TestLockoutGuard(t *testing.T) {
	alter := testutil.Binding(t, "User:ops", "CLUSTER", "kafka-cluster", "LITERAL", "ALTER", "ALLOW")
	describe := testutil.Binding(t, "User:ops", "CLUSTER", "kafka-cluster", "LITERAL", "DESCRIBE", "ALLOW")
	all := testutil.Binding(t, "User:ops", "CLUSTER", "kafka-cluster", "LITERAL", "ALL", "ALLOW")
	denyAlter := testutil.Binding(t, "User:ops", "CLUSTER", "kafka-cluster", "LITERAL", "ALTER", "DENY")
	other := testutil.Binding(t, "User:ops", "TOPIC", "t", "LITERAL", "READ", "ALLOW")
	hostAlter := alter
	hostAlter.Host = "10.0.0.5"
	denyAll := testutil.Binding(t, "User:*", "CLUSTER", "kafka-cluster", "LITERAL", "ALTER", "DENY")
	tests := []struct {
		name            string
		principal       string
		actual, desired []acl.Binding
		guards          plan.Guards
		wantLockout     bool
	}{
		{"removing own ALTER", "User:ops", []acl.Binding{alter, describe}, []acl.Binding{describe}, plan.Guards{}, true},
		{"adding a DENY on own ALTER", "User:ops", []acl.Binding{alter}, []acl.Binding{alter, denyAlter}, plan.Guards{}, true},
		{"replacing with ALL keeps access", "User:ops", []acl.Binding{alter, describe}, []acl.Binding{all}, plan.Guards{}, false},
		{"unrelated change", "User:ops", []acl.Binding{alter, describe}, []acl.Binding{alter, describe, other}, plan.Guards{}, false},
		{"super user by hint", "User:ops", []acl.Binding{alter}, nil, plan.Guards{SuperUsers: []string{"User:ops"}}, false},
		{"allowed explicitly", "User:ops", []acl.Binding{alter}, nil, plan.Guards{AllowLockout: true}, false},
		{"no ACL today means super user", "User:admin", []acl.Binding{testutil.Binding(t, "User:admin", "TOPIC", "t", "LITERAL", "READ", "ALLOW")}, nil, plan.Guards{}, false},
		{"unknown principal refuses a CLUSTER change", "", []acl.Binding{alter}, nil, plan.Guards{}, true},
		{"unknown principal may change topics", "", []acl.Binding{other}, nil, plan.Guards{}, false},
		{"removing a host-specific grant", "User:ops", []acl.Binding{hostAlter, describe}, []acl.Binding{describe}, plan.Guards{}, true},
		{"a DENY for everyone", "User:ops", []acl.Binding{alter, describe}, []acl.Binding{alter, describe, denyAll}, plan.Guards{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeAdmin{acls: acl.NewSet(tt.actual...), principal: tt.principal}
			p := buildPlan(t, f, ACLPlanner{Desired: acl.NewSet(tt.desired...), Scope: testutil.Scope(t, "*")})
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
		desired = append(desired, testutil.Binding(t, "User:a", "TOPIC", fmt.Sprintf("t%04d", i), "LITERAL", "WRITE", "ALLOW"))
	}
	stale := testutil.Binding(t, "User:a", "GROUP", "old", "LITERAL", "READ", "ALLOW")
	failing := true
	f := &fakeAdmin{acls: acl.NewSet(stale), principal: "User:admin",
		failCreate: func(x acl.Binding) bool { return failing && strings.HasSuffix(x.ResourceName, "7") }}
	planner := ACLPlanner{Desired: acl.NewSet(desired...), Scope: testutil.Scope(t, "User:a")}

	p := buildPlan(t, f, planner)
	var progress []int
	res, err := p.Apply(context.Background(), func(_ string, done, total int) { progress = append(progress, done) })
	if err == nil || !strings.Contains(err.Error(), "250 of 2501 changes failed") {
		t.Fatalf("err = %v", err)
	}
	if res.Failed() != 250 || len(res.Results) != 2501 {
		t.Errorf("failed = %d of %d results", res.Failed(), len(res.Results))
	}
	i := slices.IndexFunc(res.Results, func(r plan.Result) bool { return r.Err != nil })
	if r := res.Results[i]; r.Item != `User:a ALLOW WRITE on LITERAL TOPIC "t0007" from host *` || r.Action != plan.Add || !strings.Contains(r.Err.Error(), "create ACL: POLICY_VIOLATION") {
		t.Errorf("first failure %+v", r)
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
	p = buildPlan(t, f, planner)
	if s := p.Summary(); s.Add != 250 || s.Remove != 0 {
		t.Fatalf("re-plan: %+v", s)
	}
	if _, err := p.Apply(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if p := buildPlan(t, f, planner); p.HasChanges() {
		t.Fatalf("third plan still has changes: %+v", p.Summary())
	}
}

func TestVerifyCatchesAClusterThatDidNotChange(t *testing.T) {
	f := &fakeAdmin{principal: "User:admin"}
	lying := &lyingAdmin{fakeAdmin: f}
	p, err := plan.Build(context.Background(), ACLPlanner{Admin: lying, Desired: acl.NewSet(testutil.Binding(t, "User:a", "TOPIC", "t", "LITERAL", "READ", "ALLOW")), Scope: testutil.Scope(t, "User:a")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Apply(context.Background(), nil)
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

// cancellingAdmin cancels the apply's context during its first create
// request, as a Ctrl-C would.
type cancellingAdmin struct {
	*fakeAdmin
	cancel context.CancelFunc
}

func (c *cancellingAdmin) CreateACLs(ctx context.Context, bs []acl.Binding) []cluster.ACLResult {
	c.cancel()
	if ctx.Err() != nil {
		return []cluster.ACLResult{{Binding: bs[0], Err: ctx.Err()}} // the request in flight was cancelled
	}
	return c.fakeAdmin.CreateACLs(ctx, bs)
}

// Ctrl-C during apply: the chunk in flight is sent to its end (its context
// is not cancelled), every binding of it has its result, no further chunk is
// sent, and a re-run converges.
func TestInterruptedApplyFinishesTheRequestInFlight(t *testing.T) {
	var desired []acl.Binding
	for i := range 25 {
		desired = append(desired, testutil.Binding(t, "User:a", "TOPIC", fmt.Sprintf("t%02d", i), "LITERAL", "WRITE", "ALLOW"))
	}
	f := &fakeAdmin{principal: "User:admin"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	planner := ACLPlanner{Desired: acl.NewSet(desired...), Scope: testutil.Scope(t, "User:a"), Chunk: 10}
	p, err := plan.Build(ctx, ACLPlanner{Admin: &cancellingAdmin{fakeAdmin: f, cancel: cancel}, Desired: planner.Desired, Scope: planner.Scope, Chunk: 10})
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Apply(ctx, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if len(out.Results) != 10 || out.Failed() != 0 || f.acls.Len() != 10 || f.calls["create"] != 1 {
		t.Fatalf("%d results (%d failed), %d bindings on the cluster, %d creates; want the first chunk of 10, whole", len(out.Results), out.Failed(), f.acls.Len(), f.calls["create"])
	}
	again := buildPlan(t, f, planner)
	if s := again.Summary(); s.Add != 15 {
		t.Fatalf("re-plan: %+v", s)
	}
	if _, err := again.Apply(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if buildPlan(t, f, planner).HasChanges() {
		t.Fatal("the re-run did not converge")
	}
}
