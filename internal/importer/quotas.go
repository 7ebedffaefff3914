package importer

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/inventory"
)

// clusterQuotas turns the cluster's client quotas into the inventory's:
// users (principals.<name>.quotas), the user default (quotas.default),
// client ids and their default (quotas.clients). Entities the inventory
// cannot express (user and client id together, ip) are returned as left
// out: the plan's quota section never manages them (internal/quotas), so
// leaving them out removes nothing. A user or client-id quota the inventory
// cannot write exactly (a key it does not know, a fractional byte rate, a
// client id it cannot name) is an error: left out, plan would remove it.
func clusterQuotas(qs []cluster.ClientQuota) (out []inventory.Quota, leftOut []string, err error) {
	for _, q := range qs {
		if len(q.Values) == 0 {
			continue
		}
		if len(q.Entity) != 1 || (q.Entity[0].Type != inventory.QuotaUser && q.Entity[0].Type != inventory.QuotaClientID) {
			leftOut = append(leftOut, cluster.QuotaKey(q.Entity))
			continue
		}
		c := q.Entity[0]
		e := inventory.QuotaEntity{Type: c.Type, Default: c.Name == nil}
		if c.Name != nil {
			e.Name = *c.Name
		}
		switch {
		case e.Type == inventory.QuotaUser && !e.Default:
			if _, err := PrincipalName("User:" + e.Name); err != nil {
				return nil, nil, fmt.Errorf("client quota of %s: %v", cluster.QuotaKey(q.Entity), err)
			}
		case e.Type == inventory.QuotaClientID && !e.Default:
			if inventory.ValidIDPattern("client id", e.Name) != nil || strings.Contains(e.Name, "*") || e.Name == "<default>" {
				return nil, nil, fmt.Errorf("client quota of %s: the inventory cannot name this client id", cluster.QuotaKey(q.Entity))
			}
		}
		vals := map[string]float64{}
		for k, v := range q.Values {
			if !slices.Contains(inventory.QuotaKeys, k) {
				return nil, nil, fmt.Errorf("client quota of %s: key %q is not one the inventory declares (%s)", cluster.QuotaKey(q.Entity), k, strings.Join(inventory.QuotaKeys, ", "))
			}
			if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) || ((k == inventory.QuotaProducerByteRate || k == inventory.QuotaConsumerByteRate) && v != math.Trunc(v)) {
				return nil, nil, fmt.Errorf("client quota of %s: %s=%v cannot be declared (want a positive number, whole for byte rates)", cluster.QuotaKey(q.Entity), k, v)
			}
			vals[k] = v
		}
		out = append(out, inventory.Quota{Entity: e, Values: vals})
	}
	slices.SortFunc(out, func(a, b inventory.Quota) int { return strings.Compare(a.Entity.String(), b.Entity.String()) })
	slices.Sort(leftOut)
	return out, leftOut, nil
}

// HostChange is a binding host import rewrote to the form a broker
// compares (acl.NormalizeHost).
type HostChange struct {
	From, To string
}

// normalizeHosts rewrites every binding host that is an IP address not in
// Java's getHostAddress() form ("::1") to that form ("0:0:0:0:0:0:0:1"), as
// the inventory writes hosts. Kafka compares the client's getHostAddress()
// string with the stored one, so the stored short form never matched a
// client; the inventory keeps what was evidently meant and plan replaces the
// stored binding.
func normalizeHosts(bs []acl.Binding) ([]acl.Binding, []HostChange) {
	seen := map[string]bool{}
	var changes []HostChange
	out := make([]acl.Binding, len(bs))
	for i, b := range bs {
		if n, err := acl.NormalizeHost(b.Host); err == nil && n != b.Host {
			if !seen[b.Host] {
				seen[b.Host] = true
				changes = append(changes, HostChange{From: b.Host, To: n})
			}
			b.Host = n
		}
		out[i] = b
	}
	slices.SortFunc(changes, func(a, b HostChange) int { return strings.Compare(a.From, b.From) })
	return out, changes
}

// equalQuotas reports whether the loaded inventory declares exactly want.
func equalQuotas(got, want []inventory.Quota) error {
	if len(got) != len(want) {
		return fmt.Errorf("the imported inventory declares %d client quotas, not the %d read", len(got), len(want))
	}
	for _, w := range want {
		var g *inventory.Quota
		for i := range got {
			if got[i].Entity == w.Entity {
				g = &got[i]
			}
		}
		if g == nil || len(g.Values) != len(w.Values) {
			return fmt.Errorf("the imported inventory's client quota of %s differs from the cluster's", w.Entity)
		}
		for k, v := range w.Values {
			if g.Values[k] != v {
				return fmt.Errorf("the imported inventory's client quota of %s differs from the cluster's (%s)", w.Entity, k)
			}
		}
	}
	return nil
}
