//go:build unix

package policies

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/kafkaguard/kafkaguard/internal/testutil"
)

// BenchmarkGuardrails10kPrincipals times the guardrail queries over the
// 10k-principal inventory, each alone and in CPU time (the machine is
// shared): the deny query as Compile runs it beside the expansion (the
// deny rules and grant_errors, with the indexes built in Go, their build
// included), the same query with the rules evaluated as written, and the
// warn query (run where warnings are printed), against the expansion query
// they run next to. Best of three.
func BenchmarkGuardrails10kPrincipals(b *testing.B) {
	inv := genInventory(10000, 50000)
	ctx := context.Background()
	e, err := Load(ctx, Options{Timeout: 5 * time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	in := inputValueAt(inv, time.Now(), nil)
	cpu := func(pq rego.PreparedEvalQuery, input func() ast.Value) time.Duration {
		best := time.Duration(1<<63 - 1)
		for range 3 {
			runtime.GC() // each query pays for its own garbage only
			start := testutil.ProcessCPU()
			if _, err := evalQuery(ctx, pq, input()); err != nil {
				b.Fatal(err)
			}
			best = min(best, testutil.ProcessCPU()-start)
		}
		return best
	}
	plain := func() ast.Value { return in }
	var deny, denyRules, warn, expansion time.Duration
	for b.Loop() {
		deny = cpu(e.denyIndexed, func() ast.Value { return indexedInput(in, inv) })
		denyRules, warn, expansion = cpu(e.deny, plain), cpu(e.warn, plain), cpu(e.expansion, plain)
	}
	b.ReportMetric(deny.Seconds()*1000, "deny-cpu-ms")
	b.ReportMetric(denyRules.Seconds()*1000, "deny-as-written-cpu-ms")
	b.ReportMetric(warn.Seconds()*1000, "warn-cpu-ms")
	b.ReportMetric(expansion.Seconds()*1000, "expansion-cpu-ms")
	b.ReportMetric(float64(deny)/float64(expansion), "deny-x-expansion")
}
