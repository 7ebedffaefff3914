package acl

import (
	"fmt"
	"math/rand/v2"
)

// randBindings makes valid random bindings from a small alphabet, so that
// random sets and requests overlap often.
type randBindings struct{ r *rand.Rand }

func newRandBindings(seed uint64) *randBindings {
	return &randBindings{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

var randNames = []string{"a", "ab", "abc", "abd", "b", "ba", "orders", "orders.events", "orders.e", "*"}

func (g *randBindings) principal() string {
	if g.r.IntN(6) == 0 {
		return "User:*"
	}
	return fmt.Sprintf("User:u%d", g.r.IntN(4))
}

func (g *randBindings) host() string {
	return []string{"*", "*", "10.0.0.1", "10.0.0.2"}[g.r.IntN(4)]
}

func (g *randBindings) binding() Binding {
	for {
		rt := ResourceTypes()[g.r.IntN(len(ResourceTypes()))]
		ops := append(rt.Operations(), OpAll)
		b := Binding{
			Principal:    g.principal(),
			Host:         g.host(),
			ResourceType: rt,
			ResourceName: randNames[g.r.IntN(len(randNames))],
			PatternType:  []PatternType{PatternLiteral, PatternPrefixed}[g.r.IntN(2)],
			Operation:    ops[g.r.IntN(len(ops))],
			Permission:   []Permission{PermAllow, PermAllow, PermDeny}[g.r.IntN(3)],
		}
		if rt == ResourceCluster {
			b.ResourceName, b.PatternType = ClusterName, PatternLiteral
		}
		if b.Validate() == nil {
			return b
		}
	}
}

func (g *randBindings) bindings(n int) []Binding {
	out := make([]Binding, n)
	for i := range out {
		out[i] = g.binding()
	}
	return out
}
