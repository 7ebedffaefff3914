package analysis

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/kafkaguard/kafkaguard/acl"
)

// gen makes random valid bindings from a small alphabet so that patterns,
// principals and hosts overlap often.
type gen struct{ r *rand.Rand }

func newGen(seed uint64) *gen { return &gen{rand.New(rand.NewPCG(seed, seed*7+1))} }

var (
	genNames      = []string{"a", "ab", "abc", "b", "ba", "orders", "orders.events", "orders.e", "*"}
	genPrincipals = []string{"User:u0", "User:u1", "User:u2", "User:*"}
	genHosts      = []string{"*", "*", "10.0.0.1", "10.0.0.2"}
	genTypes      = []acl.ResourceType{acl.ResourceTopic, acl.ResourceTopic, acl.ResourceGroup, acl.ResourceCluster}
)

func (g *gen) pick(s []string) string { return s[g.r.IntN(len(s))] }

func (g *gen) binding() acl.Binding {
	for {
		rt := genTypes[g.r.IntN(len(genTypes))]
		ops := append(rt.Operations(), acl.OpAll)
		b := acl.Binding{
			Principal:    g.pick(genPrincipals),
			Host:         g.pick(genHosts),
			ResourceType: rt,
			ResourceName: g.pick(genNames),
			PatternType:  []acl.PatternType{acl.PatternLiteral, acl.PatternPrefixed}[g.r.IntN(2)],
			Operation:    ops[g.r.IntN(len(ops))],
			Permission:   []acl.Permission{acl.PermAllow, acl.PermAllow, acl.PermDeny}[g.r.IntN(3)],
		}
		if rt == acl.ResourceCluster {
			b.ResourceName, b.PatternType = acl.ClusterName, acl.PatternLiteral
		}
		if b.Validate() == nil {
			return b
		}
	}
}

func (g *gen) set(n int) acl.Set {
	bs := make([]acl.Binding, n)
	for i := range bs {
		bs[i] = g.binding()
	}
	return acl.NewSet(bs...)
}

// mutate returns a head made from base the ways pull requests change ACLs:
// bindings dropped and added, ALL split into its operations, a LITERAL turned
// PREFIXED, a host-specific binding widened.
func (g *gen) mutate(base acl.Set) acl.Set {
	var out []acl.Binding
	for _, b := range base.Bindings() {
		switch g.r.IntN(10) {
		case 0: // dropped
		case 1:
			if b.Operation == acl.OpAll {
				for _, op := range b.ResourceType.Operations() {
					nb := b
					nb.Operation = op
					out = append(out, nb)
				}
				continue
			}
			out = append(out, b)
		case 2:
			if b.PatternType == acl.PatternLiteral && b.ResourceName != acl.Wildcard && b.ResourceType != acl.ResourceCluster {
				b.PatternType = acl.PatternPrefixed
			}
			out = append(out, b)
		case 3:
			b.Host = acl.Wildcard
			out = append(out, b)
		default:
			out = append(out, b)
		}
	}
	for range g.r.IntN(4) {
		out = append(out, g.binding())
	}
	return acl.NewSet(out...)
}

// names returns resource names worth asking about for s: every pattern's
// name, names just under and beside them, and names no pattern covers.
func gridNames(sets ...acl.Set) []string {
	ns := []string{"*", "zzz", "o", acl.ClusterName}
	for _, s := range sets {
		for _, b := range s.Bindings() {
			ns = append(ns, b.ResourceName, b.ResourceName+"x", b.ResourceName+"_", b.ResourceName+"xx")
		}
	}
	slices.Sort(ns)
	return slices.Compact(ns)
}

func gridPrincipals(sets ...acl.Set) []string {
	ps := []string{"User:fresh"}
	for _, s := range sets {
		for _, b := range s.Bindings() {
			if b.Principal != Anyone {
				ps = append(ps, b.Principal)
			}
		}
	}
	slices.Sort(ps)
	return slices.Compact(ps)
}

func gridHosts(sets ...acl.Set) []string {
	hs := []string{"*", "10.9.9.9"}
	for _, s := range sets {
		for _, b := range s.Bindings() {
			hs = append(hs, b.Host)
		}
	}
	slices.Sort(hs)
	return slices.Compact(hs)
}

func req(p, h string, op acl.Operation, rt acl.ResourceType, name string) acl.Request {
	return acl.Request{Principal: p, Host: h, Operation: op, ResourceType: rt, ResourceName: name}
}

func (c Change) String() string {
	dir := "lost"
	if c.Gained {
		dir = "gained"
	}
	return fmt.Sprintf("%s %s %s on %s %s %q (e.g. %q) from %s %v", c.Principal, dir, c.Operation, c.PatternType, c.ResourceType, c.ResourceName, c.Example, c.Host, c.Risks)
}
