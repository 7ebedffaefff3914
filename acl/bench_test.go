package acl

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// synthBindings makes n distinct, valid bindings shaped like a large
// cluster's: per principal a producer/consumer grant on literal and prefixed
// topics, a consumer group and a transactional id. Offset shifts the
// principals, so two calls overlap by (n - offset*perPrincipal) bindings.
func synthBindings(n, offset int) []Binding {
	const perPrincipal = 10
	out := make([]Binding, 0, n)
	for p := offset; len(out) < n; p++ {
		principal := fmt.Sprintf("User:svc-%06d", p)
		team := fmt.Sprintf("team%03d", p%500)
		topic := fmt.Sprintf("%s.events-%d", team, p%37)
		for _, x := range []Binding{
			{principal, "*", ResourceTopic, topic, PatternLiteral, OpWrite, PermAllow},
			{principal, "*", ResourceTopic, topic, PatternLiteral, OpDescribe, PermAllow},
			{principal, "*", ResourceTopic, team + ".", PatternPrefixed, OpRead, PermAllow},
			{principal, "*", ResourceTopic, team + ".", PatternPrefixed, OpDescribe, PermAllow},
			{principal, "*", ResourceGroup, principal[5:] + "-", PatternPrefixed, OpRead, PermAllow},
			{principal, "*", ResourceTransactionalID, principal[5:], PatternLiteral, OpWrite, PermAllow},
			{principal, "*", ResourceTransactionalID, principal[5:], PatternLiteral, OpDescribe, PermAllow},
			{principal, "*", ResourceCluster, ClusterName, PatternLiteral, OpIdempotentWrite, PermAllow},
			{principal, "10.1.0.0", ResourceTopic, "restricted." + team, PatternPrefixed, OpRead, PermDeny},
			{principal, "*", ResourceTopic, "audit-" + team, PatternLiteral, OpRead, PermAllow},
		}[:min(perPrincipal, n-len(out))] {
			out = append(out, x)
		}
	}
	return out
}

type diffFixture struct {
	desired, actual Set
	newSetTime      time.Duration // NewSet of the 1M desired bindings (shuffled)
}

var diff1M = sync.OnceValue(func() diffFixture {
	const n = 1_000_000
	d := synthBindings(n, 0)
	a := synthBindings(n, n/10/10) // principals shifted by 10%: ~90% overlap
	r := rand.New(rand.NewPCG(1, 2))
	r.Shuffle(len(d), func(i, j int) { d[i], d[j] = d[j], d[i] })
	r.Shuffle(len(a), func(i, j int) { a[i], a[j] = a[j], a[i] })
	start := time.Now()
	desired := NewSet(d...)
	took := time.Since(start)
	return diffFixture{desired: desired, actual: NewSet(a...), newSetTime: took}
})

// BenchmarkDiff1M diffs 1M desired against 1M actual bindings (90% shared)
// on prebuilt sets; one iteration is one whole Diff. newset-ms is the time
// NewSet took to sort and deduplicate the 1M shuffled desired bindings.
func BenchmarkDiff1M(b *testing.B) {
	f := diff1M()
	scope, err := NewScope("User:svc-0*")
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var p Plan
	for b.Loop() {
		p = Diff(f.desired, f.actual, scope)
	}
	b.StopTimer()
	if len(p.Unchanged) < 850_000 || len(p.Add) == 0 || len(p.Remove)+len(p.Unmanaged) == 0 {
		b.Fatalf("unexpected plan: %d add, %d remove, %d unchanged, %d unmanaged", len(p.Add), len(p.Remove), len(p.Unchanged), len(p.Unmanaged))
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "diff-ms")
	b.ReportMetric(float64(f.newSetTime.Milliseconds()), "newset-ms")
	b.ReportMetric(float64(f.desired.Len()+f.actual.Len())*float64(b.N)/b.Elapsed().Seconds(), "bindings/s")
}

type authzFixture struct {
	a    *Authorizer
	reqs []Request
}

var authz100k = sync.OnceValue(func() authzFixture {
	bs := synthBindings(100_000, 0)
	// Some everyone-bindings and a wildcard, as real clusters have.
	bs = append(bs,
		Binding{"User:*", "*", ResourceTopic, "public.", PatternPrefixed, OpRead, PermAllow},
		Binding{"User:*", "*", ResourceTopic, "*", PatternLiteral, OpDescribe, PermAllow},
		Binding{"User:*", "*", ResourceGroup, "*", PatternLiteral, OpDescribe, PermAllow},
	)
	a := NewAuthorizer(NewSet(bs...), AuthorizerOptions{SuperUsers: []string{"User:admin"}})
	r := rand.New(rand.NewPCG(3, 4))
	ops := []Operation{OpRead, OpWrite, OpDescribe, OpCreate}
	reqs := make([]Request, 4096)
	for i := range reqs {
		p := r.IntN(11_000) // ~10% unknown principals
		team := fmt.Sprintf("team%03d", p%500)
		name := []string{
			fmt.Sprintf("%s.events-%d", team, p%37),
			fmt.Sprintf("%s.events-%d", team, r.IntN(37)),
			"restricted." + team + ".payments",
			"public.weather",
			"audit-" + team,
		}[r.IntN(5)]
		reqs[i] = Request{
			Principal: fmt.Sprintf("User:svc-%06d", p), Host: []string{"10.1.0.0", "10.2.3.4"}[r.IntN(2)],
			Operation: ops[r.IntN(len(ops))], ResourceType: ResourceTopic, ResourceName: name,
		}
	}
	return authzFixture{a: a, reqs: reqs}
})

// BenchmarkAuthorize100k decides requests against ~100k bindings. One
// iteration is 100k decisions, so a -benchtime=1x run is meaningful;
// ns/decision is the figure to watch (budget: 5000).
func BenchmarkAuthorize100k(b *testing.B) {
	f := authz100k()
	const perOp = 100_000
	allowed := 0
	b.ResetTimer()
	for b.Loop() {
		for i := range perOp {
			if f.a.Authorize(f.reqs[i%len(f.reqs)]).Allowed {
				allowed++
			}
		}
	}
	b.StopTimer()
	if allowed == 0 || allowed == perOp*b.N {
		b.Fatalf("%d of %d requests allowed: the fixture does not exercise both outcomes", allowed, perOp*b.N)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(perOp*b.N), "ns/decision")
}

// BenchmarkNewAuthorizer100k indexes ~100k bindings.
func BenchmarkNewAuthorizer100k(b *testing.B) {
	s := NewSet(synthBindings(100_000, 0)...)
	b.ResetTimer()
	for b.Loop() {
		_ = NewAuthorizer(s, AuthorizerOptions{})
	}
	b.ReportMetric(float64(s.Len())*float64(b.N)/b.Elapsed().Seconds(), "bindings/s")
}
