package apply

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/plan"
	"github.com/kafkaguard/kafkaguard/internal/testutil"
)

// goneAdmin answers its first answered CreateACLs calls, then gets no
// answer (cluster.ErrNoAnswer) for every call.
type goneAdmin struct {
	*fakeAdmin
	answered int
	creates  int
	deletes  int
}

func (g *goneAdmin) CreateACLs(ctx context.Context, bs []acl.Binding) []cluster.ACLResult {
	g.creates++
	if g.creates <= g.answered {
		return g.fakeAdmin.CreateACLs(ctx, bs)
	}
	out := make([]cluster.ACLResult, len(bs))
	for i, b := range bs {
		out[i] = cluster.ACLResult{Binding: b, Err: fmt.Errorf("create ACLs: %w: %w", cluster.ErrNoAnswer, context.DeadlineExceeded)}
	}
	return out
}

func (g *goneAdmin) DeleteACLs(ctx context.Context, bs []acl.Binding) []cluster.ACLResult {
	g.deletes++
	return g.fakeAdmin.DeleteACLs(ctx, bs)
}

// TestApplyStopsAtTheFirstUnansweredBatch: the third chunk gets no answer:
// its bindings are unknown (not failed), no later chunk and no deletion is
// attempted, and the plan stops with a StoppedError that counts them and
// still reaches the cause.
func TestApplyStopsAtTheFirstUnansweredBatch(t *testing.T) {
	var desired []acl.Binding
	for i := range 10 {
		desired = append(desired, testutil.Binding(t, "User:a", "TOPIC", fmt.Sprintf("t%d", i), "LITERAL", "READ", "ALLOW"))
	}
	stale := testutil.Binding(t, "User:a", "GROUP", "g", "LITERAL", "READ", "ALLOW")
	g := &goneAdmin{fakeAdmin: &fakeAdmin{acls: acl.NewSet(stale)}, answered: 2}
	p, err := plan.Build(context.Background(), ACLPlanner{Admin: g, Desired: acl.NewSet(desired...), Scope: testutil.Scope(t, "User:a"), Chunk: 2})
	if err != nil {
		t.Fatal(err)
	}

	out, err := p.Apply(context.Background(), nil)
	var stopped *plan.StoppedError
	if !errors.As(err, &stopped) || !errors.Is(err, plan.ErrClusterGone) || !errors.Is(err, cluster.ErrNoAnswer) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("apply: %v, want a StoppedError reaching ErrClusterGone, ErrNoAnswer and the deadline", err)
	}
	if *stopped != (plan.StoppedError{Section: "acls", Done: 4, Total: 11, Unknown: 2, Skipped: 5, Err: stopped.Err}) {
		t.Errorf("stopped %+v", *stopped)
	}
	if g.creates != 3 || g.deletes != 0 {
		t.Errorf("%d create and %d delete calls after the unanswered one, want 3 and 0", g.creates, g.deletes)
	}
	if len(out.Results) != 6 || out.Done() != 4 || out.Unknown() != 2 || out.Failed() != 0 {
		t.Fatalf("%d results: %d done, %d unknown, %d failed", len(out.Results), out.Done(), out.Unknown(), out.Failed())
	}
	for _, r := range out.Results[4:] {
		if r.Status() != plan.Unknown || !errors.Is(r.Err, plan.ErrOutcomeUnknown) {
			t.Errorf("in-flight result %+v: status %d, want unknown", r, r.Status())
		}
	}

	// Once the cluster answers again, a new plan converges.
	again := buildPlan(t, g.fakeAdmin, ACLPlanner{Desired: acl.NewSet(desired...), Scope: testutil.Scope(t, "User:a")})
	if s := again.Summary(); s.Add != 6 || s.Remove != 1 {
		t.Fatalf("re-plan %+v, want the 6 not made and the removal", s)
	}
	if _, err := again.Apply(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if final := buildPlan(t, g.fakeAdmin, ACLPlanner{Desired: acl.NewSet(desired...), Scope: testutil.Scope(t, "User:a")}); final.HasChanges() {
		t.Errorf("after the re-run: %s", final.SummaryLine())
	}
}

// TestARefusedBatchIsFailedAndTheRestStillRuns: a broker's refusal is not
// a lost cluster: the item fails, the next chunks run.
func TestARefusedBatchIsFailedAndTheRestStillRuns(t *testing.T) {
	x := testutil.Binding(t, "User:a", "TOPIC", "x", "LITERAL", "READ", "ALLOW")
	y := testutil.Binding(t, "User:a", "TOPIC", "y", "LITERAL", "READ", "ALLOW")
	f := &fakeAdmin{failCreate: func(b acl.Binding) bool { return b == x }}
	p := buildPlan(t, f, ACLPlanner{Desired: acl.NewSet(x, y), Scope: testutil.Scope(t, "User:a"), Chunk: 1})
	out, err := p.Apply(context.Background(), nil)
	var stopped *plan.StoppedError
	if err == nil || errors.As(err, &stopped) || out.Failed() != 1 || out.Done() != 1 || out.Unknown() != 0 {
		t.Fatalf("apply: %v; %d failed, %d done, %d unknown", err, out.Failed(), out.Done(), out.Unknown())
	}
}
