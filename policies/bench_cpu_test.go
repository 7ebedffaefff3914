//go:build unix

package policies

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/kafkaguard/kafkaguard/internal/testutil"
)

// BenchmarkGuardrails10kPrincipals times the guardrail queries over the
// 10k-principal inventory, each alone and in CPU time (the machine is
// shared): the deny query (the deny rules and grant_errors, which Compile
// runs beside the expansion) and the warn query (run where warnings are
// printed), against the expansion query they run next to. Best of three.
func BenchmarkGuardrails10kPrincipals(b *testing.B) {
	inv := genInventory(10000, 50000)
	ctx := context.Background()
	e, err := Load(ctx, Options{Timeout: 5 * time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	in := inputValueAt(inv, time.Now(), nil)
	cpu := func(pq rego.PreparedEvalQuery) time.Duration {
		best := time.Duration(1<<63 - 1)
		for range 3 {
			runtime.GC() // each query pays for its own garbage only
			start := testutil.ProcessCPU()
			if _, err := evalQuery(ctx, pq, in); err != nil {
				b.Fatal(err)
			}
			best = min(best, testutil.ProcessCPU()-start)
		}
		return best
	}
	var deny, warn, expansion time.Duration
	for b.Loop() {
		deny, warn, expansion = cpu(e.deny), cpu(e.warn), cpu(e.expansion)
	}
	b.ReportMetric(deny.Seconds()*1000, "deny-cpu-ms")
	b.ReportMetric(warn.Seconds()*1000, "warn-cpu-ms")
	b.ReportMetric(expansion.Seconds()*1000, "expansion-cpu-ms")
	b.ReportMetric(float64(deny)/float64(expansion), "deny-x-expansion")
}
