package analysis

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/testutil"
)

// synth makes about n bindings shaped like a large cluster's (ten per
// principal: a producer on a literal topic, a consumer on its team's prefix,
// a group prefix, a transactional id, idempotent writes, a host-specific
// DENY), starting at principal first.
func synth(n, first int) []acl.Binding {
	out := make([]acl.Binding, 0, n)
	for p := first; len(out) < n; p++ {
		principal := fmt.Sprintf("User:svc-%06d", p)
		team := fmt.Sprintf("team%03d", p%500)
		topic := fmt.Sprintf("%s.events-%d", team, p%37)
		out = append(out,
			acl.Binding{Principal: principal, Host: "*", ResourceType: acl.ResourceTopic, ResourceName: topic, PatternType: acl.PatternLiteral, Operation: acl.OpWrite, Permission: acl.PermAllow},
			acl.Binding{Principal: principal, Host: "*", ResourceType: acl.ResourceTopic, ResourceName: topic, PatternType: acl.PatternLiteral, Operation: acl.OpDescribe, Permission: acl.PermAllow},
			acl.Binding{Principal: principal, Host: "*", ResourceType: acl.ResourceTopic, ResourceName: team + ".", PatternType: acl.PatternPrefixed, Operation: acl.OpRead, Permission: acl.PermAllow},
			acl.Binding{Principal: principal, Host: "*", ResourceType: acl.ResourceTopic, ResourceName: team + ".", PatternType: acl.PatternPrefixed, Operation: acl.OpDescribe, Permission: acl.PermAllow},
			acl.Binding{Principal: principal, Host: "*", ResourceType: acl.ResourceGroup, ResourceName: principal[5:] + "-", PatternType: acl.PatternPrefixed, Operation: acl.OpRead, Permission: acl.PermAllow},
			acl.Binding{Principal: principal, Host: "*", ResourceType: acl.ResourceTransactionalID, ResourceName: principal[5:], PatternType: acl.PatternLiteral, Operation: acl.OpWrite, Permission: acl.PermAllow},
			acl.Binding{Principal: principal, Host: "*", ResourceType: acl.ResourceTransactionalID, ResourceName: principal[5:], PatternType: acl.PatternLiteral, Operation: acl.OpDescribe, Permission: acl.PermAllow},
			acl.Binding{Principal: principal, Host: "*", ResourceType: acl.ResourceCluster, ResourceName: acl.ClusterName, PatternType: acl.PatternLiteral, Operation: acl.OpIdempotentWrite, Permission: acl.PermAllow},
			acl.Binding{Principal: principal, Host: "10.1.0.0", ResourceType: acl.ResourceTopic, ResourceName: "restricted." + team, PatternType: acl.PatternPrefixed, Operation: acl.OpRead, Permission: acl.PermDeny},
			acl.Binding{Principal: principal, Host: "*", ResourceType: acl.ResourceTopic, ResourceName: "audit-" + team, PatternType: acl.PatternLiteral, Operation: acl.OpRead, Permission: acl.PermAllow},
		)
	}
	return out[:n]
}

type diffPair struct{ base, head acl.Set }

// pair200k is two ~200k-binding sets as a large pull request leaves them:
// 2% of the principals replaced, every 50th producer's literal topic turned
// into its team prefix, every 100th principal's ALL split or DENY added, and
// everyone given DESCRIBE on a new prefix.
var pair200k = sync.OnceValue(func() diffPair {
	const n = 200_000
	base := synth(n, 0)
	head := synth(n, 400) // 400 principals (4000 bindings) replaced
	for i := 0; i < len(head); i += 500 {
		b := head[i] // the literal WRITE of a principal
		b.ResourceName, b.PatternType = b.ResourceName[:8], acl.PatternPrefixed
		head = append(head, b)
	}
	for i := 0; i < len(head); i += 1000 {
		b := head[i]
		b.ResourceName, b.Operation, b.Permission = "audit-"+b.ResourceName[:7], acl.OpRead, acl.PermDeny
		head = append(head, b)
	}
	head = append(head, acl.Binding{Principal: Anyone, Host: "*", ResourceType: acl.ResourceTopic, ResourceName: "public.", PatternType: acl.PatternPrefixed, Operation: acl.OpDescribe, Permission: acl.PermAllow})
	return diffPair{acl.NewSet(base...), acl.NewSet(head...)}
})

// BenchmarkAccessDiff200k is the effective-access diff of two ~200k-binding
// sets (prebuilt); one iteration is one whole Diff, authorizers included.
func BenchmarkAccessDiff200k(b *testing.B) {
	f := pair200k()
	var got []Change
	b.ResetTimer()
	cpu := testutil.ProcessCPU()
	for b.Loop() {
		got = Diff(f.base, f.head, DiffOptions{})
	}
	cpu = testutil.ProcessCPU() - cpu
	b.StopTimer()
	gained, lost := 0, 0
	for _, c := range got {
		if c.Gained {
			gained++
		} else {
			lost++
		}
	}
	if gained == 0 || lost == 0 {
		b.Fatalf("%d gained, %d lost: the fixture does not exercise both", gained, lost)
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "diff-ms")
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms")
	b.ReportMetric(float64(f.base.Len()+f.head.Len()), "bindings")
	b.ReportMetric(float64(len(got)), "changes")
}

// BenchmarkWhoCan100k asks who-can against ~100k bindings after NewIndex;
// one iteration is 1000 questions on busy topics (a team prefix read by
// ~40 principals, a wildcard DESCRIBE for everyone). ms/query is the figure.
func BenchmarkWhoCan100k(b *testing.B) {
	bs := append(synth(100_000, 0),
		acl.Binding{Principal: Anyone, Host: "*", ResourceType: acl.ResourceTopic, ResourceName: "*", PatternType: acl.PatternLiteral, Operation: acl.OpDescribe, Permission: acl.PermAllow})
	start := time.Now()
	x := NewIndex(acl.NewSet(bs...), acl.AuthorizerOptions{})
	load := time.Since(start)
	const perOp = 1000
	listed := 0
	b.ResetTimer()
	cpu := testutil.ProcessCPU()
	for b.Loop() {
		for i := range perOp {
			op := []acl.Operation{acl.OpRead, acl.OpWrite, acl.OpDescribe}[i%3]
			w := x.WhoCan(op, acl.ResourceTopic, fmt.Sprintf("team%03d.events-%d", i%500, i%37), "")
			listed += len(w.Principals)
		}
	}
	cpu = testutil.ProcessCPU() - cpu
	b.StopTimer()
	if listed == 0 {
		b.Fatal("nobody may do anything: the fixture is wrong")
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(perOp*b.N), "ms/query")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(perOp*b.N), "cpu-ms/query")
	b.ReportMetric(float64(load.Milliseconds()), "index-ms")
}

// BenchmarkAccessDiffDeepPrefixes is a hostile shape: 400 nested prefixes
// ("a", "aa", ...), each also a literal name on several hosts, and a
// User:* ALL on the shortest: every class is touched and every decision
// walks 400 prefix lengths.
func BenchmarkAccessDiffDeepPrefixes(b *testing.B) {
	var base []acl.Binding
	for i := 1; i <= 400; i++ {
		for _, pt := range []acl.PatternType{acl.PatternLiteral, acl.PatternPrefixed} {
			base = append(base, acl.Binding{Principal: fmt.Sprintf("User:p%d", i%7), Host: fmt.Sprintf("10.0.0.%d", i%5),
				ResourceType: acl.ResourceTopic, ResourceName: strings.Repeat("a", i), PatternType: pt, Operation: acl.OpRead, Permission: acl.PermAllow})
		}
	}
	head := append(slices.Clone(base),
		acl.Binding{Principal: Anyone, Host: "*", ResourceType: acl.ResourceTopic, ResourceName: "a", PatternType: acl.PatternPrefixed, Operation: acl.OpAll, Permission: acl.PermAllow},
		acl.Binding{Principal: "User:p1", Host: "*", ResourceType: acl.ResourceTopic, ResourceName: "aaa", PatternType: acl.PatternPrefixed, Operation: acl.OpRead, Permission: acl.PermDeny})
	bs, hs := acl.NewSet(base...), acl.NewSet(head...)
	var got []Change
	b.ResetTimer()
	cpu := testutil.ProcessCPU()
	for b.Loop() {
		got = Diff(bs, hs, DiffOptions{})
	}
	cpu = testutil.ProcessCPU() - cpu
	if len(got) == 0 {
		b.Fatal("no changes")
	}
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms")
}
