package apply_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/apply"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/devcluster"
	"github.com/kafkaguard/kafkaguard/internal/plan"
	"github.com/kafkaguard/kafkaguard/internal/testutil/devtest"
	"github.com/kafkaguard/kafkaguard/inventory"
	"github.com/kafkaguard/kafkaguard/policies"
)

type env struct {
	dc      *devcluster.Cluster
	admin   *cluster.Client
	desired acl.Set
	scope   acl.Scope
}

// startCluster starts a dev cluster (TLS + SCRAM + ACLs) and dials its admin.
func startCluster(tb testing.TB) (*devcluster.Cluster, *cluster.Client) {
	tb.Helper()
	dc := devtest.Start(context.Background(), tb)
	cl := devtest.DialAdmin(context.Background(), tb, dc)
	tb.Cleanup(cl.Close)
	return dc, cl
}

func setup(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	dc, admin := startCluster(t)
	inv, err := inventory.Load("testdata/inventory.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res, err := policies.Compile(ctx, inv, policies.Options{})
	if err != nil {
		t.Fatal(err)
	}
	scope, err := inv.ManagedScope()
	if err != nil {
		t.Fatal(err)
	}
	return &env{dc: dc, admin: admin, desired: res.ACLs, scope: scope}
}

func (e *env) plan(t *testing.T) *plan.Plan {
	t.Helper()
	p, err := plan.Build(context.Background(), apply.ACLPlanner{Admin: e.admin, Desired: e.desired, Scope: e.scope})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (e *env) apply(t *testing.T) *plan.Plan {
	t.Helper()
	p := e.plan(t)
	if err := p.Check(plan.Guards{MaxRemovals: 100}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Apply(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	return p
}

// userClient creates SCRAM user name (4096 iterations, as kfake requires)
// and returns a franz-go client logged in as it.
func (e *env) userClient(t *testing.T, name string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	ctx := context.Background()
	const pass = "test-password-of-user"
	res, err := e.admin.Kadm().AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{{User: name, Mechanism: kadm.ScramSha512, Iterations: 4096, Password: pass}})
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Error(); err != nil {
		t.Fatal(err)
	}
	cfg, err := e.dc.UserConfig(cluster.MechanismSCRAMSHA512, name, pass)
	if err != nil {
		t.Fatal(err)
	}
	base, err := cluster.NewClientOpts(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(append(append(base, kgo.RecordDeliveryTimeout(3*time.Second), kgo.RetryTimeout(3*time.Second)), opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func produce(cl *kgo.Client, topic string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte("v")}).FirstErr()
}

// consume polls until a record arrives or the first error.
func consume(cl *kgo.Client) error {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	for {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return err
		}
		var ferr error
		fs.EachError(func(_ string, _ int32, err error) {
			if ferr == nil {
				ferr = err
			}
		})
		if ferr != nil {
			return ferr
		}
		if fs.NumRecords() > 0 {
			return nil
		}
	}
}

func TestApplyLetsInventoryUsersProduceAndConsumeExactlyWherePolicyAllows(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	if _, err := e.admin.Kadm().CreateTopics(ctx, 1, 1, nil, "orders.events", "invoices"); err != nil {
		t.Fatal(err)
	}
	if p := e.apply(t); p.Summary().Add != e.desired.Len() {
		t.Fatalf("first apply added %d, want %d", p.Summary().Add, e.desired.Len())
	}

	producer := e.userClient(t, "orders-api")
	if err := produce(producer, "orders.events"); err != nil {
		t.Fatalf("orders-api cannot produce to orders.events: %v", err)
	}
	if err := produce(producer, "invoices"); !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("orders-api producing to invoices: err = %v, want TOPIC_AUTHORIZATION_FAILED", err)
	}

	consumer := e.userClient(t, "analytics", kgo.ConsumeTopics("orders.events"), kgo.ConsumerGroup("analytics-daily"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err := consume(consumer); err != nil {
		t.Fatalf("analytics cannot consume orders.events in group analytics-daily: %v", err)
	}
	// Without WRITE on any topic, the idempotent producer's InitProducerId
	// already fails (as on Kafka >= 2.8).
	if err := produce(e.userClient(t, "analytics"), "orders.events"); !errors.Is(err, kerr.ClusterAuthorizationFailed) {
		t.Fatalf("analytics producing: err = %v, want CLUSTER_AUTHORIZATION_FAILED", err)
	}
	wrongGroup := e.userClient(t, "analytics", kgo.ConsumeTopics("orders.events"), kgo.ConsumerGroup("billing-daily"))
	if err := consume(wrongGroup); !errors.Is(err, kerr.GroupAuthorizationFailed) {
		t.Fatalf("analytics in group billing-daily: err = %v, want GROUP_AUTHORIZATION_FAILED", err)
	}
	wrongTopic := e.userClient(t, "analytics", kgo.ConsumeTopics("invoices"), kgo.ConsumerGroup("analytics-x"))
	if err := consume(wrongTopic); !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("analytics reading invoices: err = %v, want TOPIC_AUTHORIZATION_FAILED", err)
	}
}

func TestPlanShowsHandMadeDriftAndApplyHealsIt(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	e.apply(t)
	if p := e.plan(t); p.HasChanges() {
		t.Fatalf("second plan not empty: %+v", p.Summary())
	}

	stray, _ := acl.FromStrings("User:orders-api", "*", "TOPIC", "invoices", "LITERAL", "READ", "ALLOW")
	foreign, _ := acl.FromStrings("User:legacy", "*", "TOPIC", "x", "LITERAL", "READ", "ALLOW")
	wanted := e.desired.Bindings()[0]
	devtest.ACLsDone(t, "create", e.admin.CreateACLs(ctx, []acl.Binding{stray, foreign}))
	devtest.ACLsDone(t, "delete", e.admin.DeleteACLs(ctx, []acl.Binding{wanted}))

	p := e.plan(t)
	sec := p.Sections[0]
	if got, want := sec.Changes(), []plan.Change{{Action: plan.Add, Item: wanted.String()}, {Action: plan.Remove, Item: stray.String()}}; !slices.Equal(got, want) {
		t.Errorf("changes %+v, want %+v", got, want)
	}
	if got := sec.Asides(); !slices.Equal(got, []plan.Aside{{Item: foreign.String()}}) {
		t.Errorf("asides %+v", got)
	}
	if p.SummaryLine() != "Plan: 1 to add, 1 to remove." {
		t.Errorf("summary %q", p.SummaryLine())
	}
	e.apply(t)
	p = e.plan(t)
	if p.HasChanges() {
		t.Fatalf("after heal: %+v", p.Summary())
	}
	got, _ := e.admin.DescribeACLs(ctx)
	if !got.Contains(foreign) {
		t.Error("apply removed an unmanaged binding")
	}
	if out, err := p.Apply(ctx, nil); err != nil || len(out.Results) != 0 {
		t.Fatalf("no-op apply: err %v, results %+v", err, out.Results)
	}
}

func TestLockoutGuardOnARealCluster(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	// ops manages ACLs through ACLs, not as a super user.
	manage := []acl.Binding{}
	for _, op := range []string{"ALTER", "DESCRIBE"} {
		b, _ := acl.FromStrings("User:ops", "*", "CLUSTER", "kafka-cluster", "LITERAL", op, "ALLOW")
		manage = append(manage, b)
	}
	devtest.ACLsDone(t, "create", e.admin.CreateACLs(ctx, manage))
	e.userClient(t, "ops").Close()
	cfg, _ := e.dc.UserConfig(cluster.MechanismSCRAMSHA512, "ops", "test-password-of-user")
	ops, err := cluster.Dial(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ops.Close()
	if _, err := ops.DescribeACLs(ctx); err != nil {
		t.Fatalf("ops cannot describe ACLs through its grant: %v", err)
	}
	scope, _ := acl.NewScope("User:ops")
	p, err := plan.Build(ctx, apply.ACLPlanner{Admin: ops, Scope: scope})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Check(plan.Guards{MaxRemovals: 100}); !errors.Is(err, apply.ErrLockout) {
		t.Fatalf("err = %v, want lockout", err)
	}
	if err := p.Check(plan.Guards{MaxRemovals: 1}); !errors.Is(err, plan.ErrTooManyRemovals) {
		t.Fatalf("err = %v, want too many removals", err)
	}
	// The dev cluster's admin is a super user with no ACL: it cannot be locked out.
	p, err = plan.Build(ctx, apply.ACLPlanner{Admin: e.admin, Scope: scope})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Check(plan.Guards{MaxRemovals: 100}); err != nil {
		t.Fatalf("admin: %v", err)
	}
}

func TestFailedCreateBatchOnTheClusterConvergesOnRerun(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	kf := e.dc.Kfake()
	// The first CreateAcls request is refused for every creation in it.
	kf.ControlKey(int16(kmsg.CreateACLs), func(req kmsg.Request) (kmsg.Response, error, bool) {
		r := req.(*kmsg.CreateACLsRequest)
		resp := r.ResponseKind().(*kmsg.CreateACLsResponse)
		for range r.Creations {
			res := kmsg.NewCreateACLsResponseResult()
			res.ErrorCode = kerr.PolicyViolation.Code
			res.ErrorMessage = kmsg.StringPtr("refused by test")
			resp.Results = append(resp.Results, res)
		}
		return resp, nil, true
	})
	planner := apply.ACLPlanner{Admin: e.admin, Desired: e.desired, Scope: e.scope, Chunk: 2}
	p, err := plan.Build(ctx, planner)
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Apply(ctx, nil)
	if err == nil || res.Failed() != 2 {
		t.Fatalf("first apply: failed %d, err %v", res.Failed(), err)
	}
	named := 0
	for _, r := range res.Results {
		if r.Err != nil && strings.Contains(r.Err.Error(), "POLICY_VIOLATION") {
			named++
		}
	}
	if named != 2 {
		t.Errorf("%d failures name the Kafka error, want 2: %+v", named, res.Results)
	}
	p, err = plan.Build(ctx, planner)
	if err != nil {
		t.Fatal(err)
	}
	if s := p.Summary(); s.Add != 2 || s.Remove != 0 {
		t.Fatalf("re-plan %+v, want the 2 failed additions", s)
	}
	if _, err := p.Apply(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if e.plan(t).HasChanges() {
		t.Fatal("not converged")
	}
}
