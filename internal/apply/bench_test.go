package apply_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/apply"
	"github.com/kafkaguard/kafkaguard/internal/devcluster"
	"github.com/kafkaguard/kafkaguard/internal/plan"
)

// bindings makes n distinct valid bindings spread over n/10 principals.
func bindings(n int, prefix string) []acl.Binding {
	ops := []acl.Operation{acl.OpRead, acl.OpWrite, acl.OpDescribe, acl.OpCreate, acl.OpDelete}
	out := make([]acl.Binding, 0, n)
	for i := range n {
		out = append(out, acl.Binding{
			Principal: fmt.Sprintf("User:%s%05d", prefix, i/10), Host: "*",
			ResourceType: acl.ResourceTopic, ResourceName: fmt.Sprintf("topic-%06d", i/len(ops)),
			PatternType: acl.PatternLiteral, Operation: ops[i%len(ops)], Permission: acl.PermAllow,
		})
	}
	return out
}

// slowCommits makes every CreateAcls and DeleteAcls request take commit
// longer (as a KRaft metadata commit does) and counts them.
func slowCommits(dc *devcluster.Cluster, commit time.Duration) *atomic.Int64 {
	var n atomic.Int64
	kf := dc.Kfake()
	for _, key := range []int16{int16(kmsg.CreateACLs), int16(kmsg.DeleteACLs)} {
		kf.ControlKey(key, func(kmsg.Request) (kmsg.Response, error, bool) {
			kf.KeepControl()
			n.Add(1)
			time.Sleep(commit)
			return nil, nil, false
		})
	}
	return &n
}

func applyAll(b *testing.B, admin apply.ACLAdmin, desired []acl.Binding, chunk int) {
	b.Helper()
	p, err := plan.Build(context.Background(), apply.ACLPlanner{Admin: admin, Desired: acl.NewSet(desired...), Scope: acl.Scope{}, Chunk: chunk})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := p.Apply(context.Background(), nil); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkApply10kBindings applies 10,000 new bindings in batches (one
// CreateAcls request per 1000) and, for comparison in the same run, 1,000
// bindings with one request each (extrapolated to 10,000), with and without a
// simulated 5 ms commit per request.
func BenchmarkApply10kBindings(b *testing.B) {
	const n, baselineN = 10_000, 1_000
	for _, commit := range []time.Duration{5 * time.Millisecond, 0} {
		name := "unsimulated"
		if commit > 0 {
			name = fmt.Sprintf("commit=%s", commit)
		}
		b.Run(name, func(b *testing.B) {
			var batchedTime, singleTime time.Duration
			var batchedReqs, singleReqs int64
			for range b.N {
				b.StopTimer()
				dc, admin := startCluster(b)
				reqs := slowCommits(dc, commit)
				desired := bindings(n, "batched")
				b.StartTimer()

				start := time.Now()
				applyAll(b, admin, desired, 0)
				batchedTime += time.Since(start)
				batchedReqs += reqs.Load()

				b.StopTimer()
				reqs.Store(0)
				admin.BatchSize = 1
				start = time.Now()
				applyAll(b, admin, bindings(baselineN, "single"), 1)
				singleTime += time.Since(start) * (n / baselineN)
				singleReqs += reqs.Load() * (n / baselineN)
				admin.BatchSize = 0
				b.StartTimer()
			}
			b.ReportMetric(float64(batchedTime.Milliseconds())/float64(b.N), "batched-ms")
			b.ReportMetric(float64(batchedReqs)/float64(b.N), "batched-requests")
			b.ReportMetric(float64(singleTime.Milliseconds())/float64(b.N), "per-binding-ms(extrapolated)")
			b.ReportMetric(float64(singleReqs)/float64(b.N), "per-binding-requests")
			b.ReportMetric(float64(singleTime)/float64(batchedTime), "speedup-x")
			b.ReportMetric(float64(n*b.N)/batchedTime.Seconds(), "bindings/s")
		})
	}
}

// BenchmarkPlan100kACLs plans against a cluster holding 100,000 ACLs: one
// DescribeAcls request, then the diff against a desired set that differs by
// 1% each way. Most of its wall time is the setup: kfake keeps ACLs in a flat
// slice and checks every new one against all others (quadratic seeding).
func BenchmarkPlan100kACLs(b *testing.B) {
	if testing.Short() {
		b.Skip("loading 100k ACLs into kfake takes about two minutes")
	}
	const n = 100_000
	dc, admin := startCluster(b)
	live := bindings(n, "p")
	for _, r := range admin.CreateACLs(context.Background(), live) {
		if r.Err != nil {
			b.Fatal(r.Err)
		}
	}
	desired := append(append([]acl.Binding{}, live[n/100:]...), bindings(n/100, "new")...)
	desiredSet := acl.NewSet(desired...)
	scope, _ := acl.NewScope("User:p*", "User:new*")
	var describes atomic.Int64
	kf := dc.Kfake()
	kf.ControlKey(int16(kmsg.DescribeACLs), func(kmsg.Request) (kmsg.Response, error, bool) {
		kf.KeepControl()
		describes.Add(1)
		return nil, nil, false
	})
	var planTime, diffTime time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		p, err := plan.Build(context.Background(), apply.ACLPlanner{Admin: admin, Desired: desiredSet, Scope: scope})
		if err != nil {
			b.Fatal(err)
		}
		planTime += time.Since(start)
		if s := p.Summary(); s.Add != n/100 || s.Remove != n/100 {
			b.Fatalf("summary %+v", s)
		}
	}
	b.StopTimer()
	perPlan := float64(describes.Load()) / float64(b.N)
	actual, err := admin.DescribeACLs(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	if actual.Len() != n {
		b.Fatalf("cluster holds %d ACLs, want %d", actual.Len(), n)
	}
	for range b.N {
		start := time.Now()
		apply.NewACLSection(apply.ACLPlanner{Admin: admin, Desired: desiredSet, Scope: scope}, actual)
		diffTime += time.Since(start)
	}
	b.ReportMetric(perPlan, "describe-requests/plan")
	b.ReportMetric(float64(planTime.Microseconds())/1000/float64(b.N), "plan-ms")
	b.ReportMetric(float64(diffTime.Microseconds())/1000/float64(b.N), "diff-ms")
}
