package policies

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/inventory"
)

// genInventory builds a realistic inventory: teams of 20 principals, topics
// spread over the teams (5% restricted), and per principal a producer grant
// on five of its team's topics, a consumer grant on four topics of the next
// team with a group, every 10th principal a prefixed consumer grant on its
// team's prefix, and every 20th a streams app. About 20 bindings a principal.
func genInventory(principals, topics int) *inventory.Inventory {
	inv := &inventory.Inventory{Cluster: inventory.Cluster{Name: "bench"}}
	teams := max(principals/20, 1)
	perTeam := max(topics/teams, 1)
	topicName := func(team, i int) string { return fmt.Sprintf("team%d.topic-%d", team, i%perTeam) }
	for i := range principals {
		inv.Principals = append(inv.Principals, inventory.Principal{
			Name: fmt.Sprintf("svc-%06d", i), Auth: inventory.AuthSCRAMSHA512, Team: fmt.Sprintf("team%d", i%teams),
			Source: fmt.Sprintf("gen.yaml:%d", i+1),
		})
	}
	for i := range topics {
		team := i % teams
		c := "internal"
		if i%20 == 0 {
			c = "restricted"
		}
		inv.Topics = append(inv.Topics, inventory.Topic{Name: topicName(team, i/teams), Team: fmt.Sprintf("team%d", team), Classification: c, Source: fmt.Sprintf("gen.yaml:%d", principals+i+1)})
	}
	line := principals + topics + 1
	add := func(g inventory.Grant) {
		g.Index = len(inv.Grants)
		g.Permission = "ALLOW"
		g.Hosts = []string{"*"}
		g.Source = fmt.Sprintf("gen.yaml:%d", line)
		line++
		inv.Grants = append(inv.Grants, g)
	}
	for i, p := range inv.Principals {
		team := i % teams
		next := (team + 1) % teams
		k := i / teams // the principal's index within its team
		var produce []string
		for j := range 5 {
			produce = append(produce, topicName(team, k*5+j))
		}
		add(inventory.Grant{Principal: p.Name, Role: "producer", Topics: produce})
		add(inventory.Grant{Principal: p.Name, Role: "consumer", ApprovedBy: "bench",
			Topics: []string{topicName(next, i), topicName(next, i+1), topicName(next, i+2), topicName(next, i+3)},
			Groups: []string{p.Name}})
		if i%10 == 0 {
			add(inventory.Grant{Principal: p.Name, Role: "consumer", Topics: []string{fmt.Sprintf("team%d.*", team)}, Groups: []string{p.Name + "-replay"}})
		}
		if i%20 == 0 {
			add(inventory.Grant{Principal: p.Name, Role: "streams-app", ApplicationID: p.Name + "-app",
				Inputs: []string{topicName(team, i+2)}, Outputs: []string{topicName(team, i+3)}})
		}
	}
	// Sorted as Load leaves them.
	return inv
}

// goExpand is the plain Go expansion of the same grants, the baseline the
// Rego compiler is measured against.
func goExpand(inv *inventory.Inventory) acl.Set {
	type entry struct {
		sel string
		ops []acl.Operation
	}
	roles := map[string][]entry{
		"producer": {{"topics", []acl.Operation{acl.OpWrite, acl.OpDescribe}}},
		"consumer": {{"topics", []acl.Operation{acl.OpRead, acl.OpDescribe}}, {"groups", []acl.Operation{acl.OpRead}}},
		"streams-app": {
			{"inputs", []acl.Operation{acl.OpRead, acl.OpDescribe}},
			{"outputs", []acl.Operation{acl.OpWrite, acl.OpDescribe}},
			{"app-topics", []acl.Operation{acl.OpRead, acl.OpWrite, acl.OpCreate, acl.OpDelete, acl.OpDescribe, acl.OpDescribeConfigs}},
			{"app-group", []acl.Operation{acl.OpRead, acl.OpDescribe}},
		},
	}
	var out []acl.Binding
	for _, g := range inv.Grants {
		for _, e := range roles[g.Role] {
			emit := func(rt acl.ResourceType, names []string) {
				for _, n := range names {
					name, pt := inventory.SplitName(n)
					for _, op := range e.ops {
						for _, h := range g.Hosts {
							out = append(out, acl.Binding{Principal: "User:" + g.Principal, Host: h, ResourceType: rt, ResourceName: name, PatternType: pt, Operation: op, Permission: acl.PermAllow})
						}
					}
				}
			}
			switch e.sel {
			case "topics":
				emit(acl.ResourceTopic, g.Topics)
			case "groups":
				emit(acl.ResourceGroup, g.Groups)
			case "inputs":
				emit(acl.ResourceTopic, g.Inputs)
			case "outputs":
				emit(acl.ResourceTopic, g.Outputs)
			case "app-topics": // PREFIXED <application_id>-
				emit(acl.ResourceTopic, []string{g.ApplicationID + "-*"})
			case "app-group": // LITERAL <application_id>
				emit(acl.ResourceGroup, []string{g.ApplicationID})
			}
		}
	}
	return acl.NewSet(out...)
}

// peakHeap samples the live heap until stop is called and returns the peak.
func peakHeap() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak.Load()
	}
}

func benchCompile(b *testing.B, principals, topics int) {
	inv := genInventory(principals, topics)
	ctx := context.Background()
	var res *Result
	runtime.GC()
	stop := peakHeap()
	start := time.Now()
	for b.Loop() {
		var err error
		res, err = Compile(ctx, inv, Options{Timeout: 5 * time.Minute})
		if err != nil {
			b.Fatal(err)
		}
	}
	regoTime := time.Since(start) / time.Duration(max(b.N, 1))
	peak := stop()

	// The baseline, in the same run: the best of three, as a single run of a
	// few hundred milliseconds is at the mercy of the GC and the neighbours.
	var want acl.Set
	goTime := time.Duration(1<<63 - 1)
	for range 3 {
		goStart := time.Now()
		want = goExpand(inv)
		goTime = min(goTime, time.Since(goStart))
	}
	if !res.ACLs.Equal(want) {
		b.Fatalf("rego expansion (%d bindings) differs from the Go expansion (%d)", res.ACLs.Len(), want.Len())
	}
	if len(res.Deny) != 0 {
		b.Fatalf("generated inventory has %d deny findings, first: %s", len(res.Deny), res.Deny[0].Message)
	}
	b.ReportMetric(float64(res.ACLs.Len()), "bindings")
	b.ReportMetric(float64(res.ACLs.Len())/regoTime.Seconds(), "bindings/s")
	b.ReportMetric(regoTime.Seconds()*1000, "compile-ms")
	b.ReportMetric(goTime.Seconds()*1000, "go-expand-ms")
	b.ReportMetric(float64(regoTime)/float64(goTime), "x-go")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// BenchmarkCompile1kPrincipals: 1k principals, 5k topics, ~20k bindings
// (target: 0.5 s).
func BenchmarkCompile1kPrincipals(b *testing.B) { benchCompile(b, 1000, 5000) }

// BenchmarkCompile10kPrincipals: 10k principals, 50k topics, ~200k bindings
// (target: 5 s, 1 GiB).
func BenchmarkCompile10kPrincipals(b *testing.B) { benchCompile(b, 10000, 50000) }
