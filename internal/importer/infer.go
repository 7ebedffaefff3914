package importer

import (
	"slices"
	"strings"

	"github.com/kafkaguard/kafkaguard/acl"
)

// opSet is a set of operations, one bit per Kafka operation code.
type opSet uint32

func (s opSet) has(ops ...acl.Operation) bool {
	for _, o := range ops {
		if s&(1<<o) == 0 {
			return false
		}
	}
	return true
}

func (s opSet) without(ops ...acl.Operation) opSet {
	for _, o := range ops {
		s &^= 1 << o
	}
	return s
}

func (s opSet) list() []acl.Operation {
	var out []acl.Operation
	for o := acl.OpAll; o <= acl.OpDescribeTokens; o++ {
		if s.has(o) {
			out = append(out, o)
		}
	}
	return out
}

// resource is one resource pattern of a binding.
type resource struct {
	typ     acl.ResourceType
	name    string // as written: a trailing "*" for PREFIXED
	pattern acl.PatternType
}

// holder is who a group of bindings belongs to: grants are inferred per
// principal, permission and host, then merged across hosts.
type holder struct {
	principal string // inventory name, "*" for User:*
	perm      acl.Permission
	host      string
}

// infer turns sorted, checked bindings into grants. For ALLOW bindings it
// looks for the built-in roles' expansions (policies/roles.rego):
//
//   - producer: WRITE and DESCRIBE on a topic, with create: true also CREATE;
//   - consumer: READ and DESCRIBE on topics together with READ on groups;
//   - transactional-producer: a producer's topics plus WRITE and DESCRIBE on
//     transactional ids.
//
// A role's grant lists every resource it fits, and a resource's operations
// may be covered by several roles (a producer and a consumer of one topic);
// what no role covers becomes an operations grant. DENY bindings always
// become operations grants: a denial reads best as what it denies.
func infer(bs []acl.Binding) []Grant {
	type entry struct {
		ops   map[resource]opSet
		order []resource
	}
	groups := map[holder]*entry{}
	var holders []holder
	for _, b := range bs {
		name, _ := PrincipalName(b.Principal)
		h := holder{principal: name, perm: b.Permission, host: b.Host}
		e := groups[h]
		if e == nil {
			e = &entry{ops: map[resource]opSet{}}
			groups[h] = e
			holders = append(holders, h)
		}
		w, _ := WrittenName(b)
		r := resource{typ: b.ResourceType, name: w, pattern: b.PatternType}
		if _, ok := e.ops[r]; !ok {
			e.order = append(e.order, r)
		}
		e.ops[r] |= 1 << b.Operation
	}
	var grants []Grant
	for _, h := range holders {
		e := groups[h]
		var gs []Grant
		if h.perm == acl.PermAllow {
			gs = inferRoles(h, e.order, e.ops)
		}
		gs = append(gs, explicit(h, e.order, e.ops)...)
		for i := range gs {
			if h.host != acl.Wildcard {
				gs[i].Hosts = []string{h.host}
			}
		}
		grants = append(grants, gs...)
	}
	grants = mergeHosts(grants)
	slices.SortStableFunc(grants, func(a, b Grant) int {
		if c := strings.Compare(a.Principal, b.Principal); c != 0 {
			return c
		}
		return int(b.Permission) - int(a.Permission) // ALLOW before DENY
	})
	return grants
}

// inferRoles finds the role grants of one holder's ALLOW bindings and takes
// the operations they cover out of ops.
func inferRoles(h holder, order []resource, ops map[resource]opSet) []Grant {
	var producer [2][]string // [create]
	var consumerTopics, consumerGroups, txnIDs []string
	for _, r := range order {
		s := ops[r]
		switch r.typ {
		case acl.ResourceTopic:
			if s.has(acl.OpWrite, acl.OpDescribe) {
				c := 0
				if s.has(acl.OpCreate) {
					c = 1
				}
				producer[c] = append(producer[c], r.name)
			}
			if s.has(acl.OpRead, acl.OpDescribe) {
				consumerTopics = append(consumerTopics, r.name)
			}
		case acl.ResourceGroup:
			if s.has(acl.OpRead) {
				consumerGroups = append(consumerGroups, r.name)
			}
		case acl.ResourceTransactionalID:
			if s.has(acl.OpWrite, acl.OpDescribe) {
				txnIDs = append(txnIDs, r.name)
			}
		}
	}
	take := func(typ acl.ResourceType, names []string, covered ...acl.Operation) {
		for _, r := range order {
			if r.typ == typ && slices.Contains(names, r.name) {
				ops[r] = ops[r].without(covered...)
			}
		}
	}
	var out []Grant
	hasProducer := len(producer[0])+len(producer[1]) > 0
	for c, topics := range producer {
		if len(topics) == 0 {
			continue
		}
		g := Grant{Principal: h.principal, Permission: h.perm, Role: "producer", Create: c == 1, Topics: topics}
		if len(txnIDs) > 0 {
			g.Role, g.TransactionalIDs = "transactional-producer", txnIDs
		}
		out = append(out, g)
		if c == 1 {
			take(acl.ResourceTopic, topics, acl.OpWrite, acl.OpDescribe, acl.OpCreate)
		} else {
			take(acl.ResourceTopic, topics, acl.OpWrite, acl.OpDescribe)
		}
	}
	if hasProducer && len(txnIDs) > 0 {
		take(acl.ResourceTransactionalID, txnIDs, acl.OpWrite, acl.OpDescribe)
	}
	if len(consumerTopics) > 0 && len(consumerGroups) > 0 {
		out = append(out, Grant{Principal: h.principal, Permission: h.perm, Role: "consumer", Topics: consumerTopics, Groups: consumerGroups})
		take(acl.ResourceTopic, consumerTopics, acl.OpRead, acl.OpDescribe)
		take(acl.ResourceGroup, consumerGroups, acl.OpRead)
	}
	return out
}

// explicit writes what is left of ops as operations grants: the topics,
// groups and transactional ids with the same operations share a grant;
// other resource types get a grant each.
func explicit(h holder, order []resource, ops map[resource]opSet) []Grant {
	type key struct {
		typ      acl.ResourceType
		ops      opSet
		wildcard bool // "*" gets a grant of its own: guardrail exceptions stay narrow
	}
	byKey := map[key]int{}
	var out []Grant
	for _, r := range order {
		s := ops[r]
		if s == 0 {
			continue
		}
		switch r.typ {
		case acl.ResourceTopic, acl.ResourceGroup, acl.ResourceTransactionalID:
			k := key{r.typ, s, r.name == acl.Wildcard}
			i, ok := byKey[k]
			if !ok {
				i = len(out)
				byKey[k] = i
				out = append(out, Grant{Principal: h.principal, Permission: h.perm, Operations: s.list()})
			}
			g := &out[i]
			switch r.typ {
			case acl.ResourceTopic:
				g.Topics = append(g.Topics, r.name)
			case acl.ResourceGroup:
				g.Groups = append(g.Groups, r.name)
			default:
				g.TransactionalIDs = append(g.TransactionalIDs, r.name)
			}
		default:
			out = append(out, Grant{Principal: h.principal, Permission: h.perm, Operations: s.list(), Resource: &Resource{Type: r.typ, Name: r.name}})
		}
	}
	return out
}

// mergeHosts joins grants that differ only in their host into one grant
// listing the hosts.
func mergeHosts(gs []Grant) []Grant {
	idx := map[string]int{}
	var out []Grant
	for _, g := range gs {
		k := g.signature()
		if g.Hosts == nil {
			// "*" stays a grant of its own beside host-specific ones:
			// both bindings exist on the cluster.
			k += "\x00*"
		}
		if i, ok := idx[k]; ok {
			out[i].Hosts = append(out[i].Hosts, g.Hosts...)
			continue
		}
		idx[k] = len(out)
		out = append(out, g)
	}
	for i := range out {
		slices.Sort(out[i].Hosts)
	}
	return out
}

// signature is the grant without its hosts, as a comparable string.
func (g Grant) signature() string {
	var b strings.Builder
	w := func(s string) { b.WriteString(s); b.WriteByte(0) }
	w(g.Principal)
	w(g.Permission.String())
	w(g.Role)
	if g.Create {
		w("create")
	}
	for _, l := range [][]string{g.Topics, g.Groups, g.TransactionalIDs} {
		for _, s := range l {
			w(s)
		}
		w("|")
	}
	for _, o := range g.Operations {
		w(o.String())
	}
	if g.Resource != nil {
		w(g.Resource.Type.String())
		w(g.Resource.Name)
	}
	return b.String()
}
