package analysis

import (
	"cmp"
	"slices"
	"strings"

	"github.com/kafkaguard/kafkaguard/acl"
)

// OpDecision is the answer for one operation and the bindings that gave it.
type OpDecision struct {
	Operation acl.Operation
	Deciding  []acl.Binding
}

// Permission is what a principal may do on the names of one resource
// pattern, from one host.
type Permission struct {
	ResourceType acl.ResourceType
	ResourceName string
	PatternType  acl.PatternType // LITERAL "*" stands for the names no other listed pattern covers
	Host         string          // "*": any host that no host-specific binding names
	Example      string          // a resource name the row is true for
	Allowed      []OpDecision    // in wire-code order
	Denied       []OpDecision    // denied by a DENY binding (other operations are simply not granted)
}

// Listing is a principal's effective permissions.
type Listing struct {
	Principal   string
	SuperUser   bool // in super.users: every operation on every resource, Permissions is empty
	Permissions []Permission
}

// List returns what principal may do, grouped by the resource patterns of
// its own and User:* bindings, with the operations a DENY binding takes
// away. A pattern's row applies to the names it covers that no more specific
// listed pattern covers; a row that says the same as the pattern above it
// (or host-specific rows that say the same as host *) is left out.
func (x *Index) List(principal string) Listing {
	out := Listing{Principal: principal}
	if slices.Contains(x.opts.SuperUsers, principal) {
		out.SuperUser = true
		return out
	}
	mine := acl.NewSet(slices.Concat(x.bindingsOf(principal), x.bindingsOf(Anyone))...)
	u := newUniverse(mine)
	hosts := []string{acl.Wildcard}
	for _, b := range mine.Bindings() {
		hosts = append(hosts, b.Host)
	}
	slices.Sort(hosts)
	hosts = slices.Compact(hosts)

	rows := map[class]map[string]Permission{} // class -> host -> row
	row := func(c class, host string) Permission {
		if r, ok := rows[c][host]; ok {
			return r
		}
		name, pt := c.pattern()
		p := Permission{ResourceType: c.typ, ResourceName: name, PatternType: pt, Host: host, Example: u.example(c)}
		for _, op := range c.typ.Operations() {
			d := x.az.Authorize(acl.Request{Principal: principal, Host: host, Operation: op, ResourceType: c.typ, ResourceName: p.Example})
			switch {
			case d.Allowed:
				p.Allowed = append(p.Allowed, OpDecision{op, d.Deciding})
			case d.Reason == acl.ReasonDenied:
				p.Denied = append(p.Denied, OpDecision{op, d.Deciding})
			}
		}
		if rows[c] == nil {
			rows[c] = map[string]Permission{}
		}
		rows[c][host] = p
		return p
	}
	for _, typ := range acl.ResourceTypes() {
		tp := u.types[typ]
		if tp == nil {
			continue
		}
		u.eachClass(typ, func(c class) {
			if c.kind == classOther && !tp.wildcard {
				return // no binding of the principal's covers them
			}
			for _, h := range hosts {
				r := row(c, h)
				if len(r.Allowed) == 0 && len(r.Denied) == 0 {
					continue
				}
				if h != acl.Wildcard && sameOps(r, row(c, acl.Wildcard)) {
					continue
				}
				if pc, ok := u.parent(c); ok && (pc.kind != classOther || tp.wildcard) && sameOps(r, row(pc, h)) {
					continue
				}
				out.Permissions = append(out.Permissions, r)
			}
		})
	}
	slices.SortFunc(out.Permissions, func(a, b Permission) int {
		return cmp.Or(cmp.Compare(a.ResourceType, b.ResourceType), cmp.Compare(a.ResourceName, b.ResourceName),
			cmp.Compare(a.PatternType, b.PatternType), cmp.Compare(a.Host, b.Host))
	})
	return out
}

func sameOps(a, b Permission) bool {
	eq := func(x, y OpDecision) bool { return x.Operation == y.Operation }
	return slices.EqualFunc(a.Allowed, b.Allowed, eq) && slices.EqualFunc(a.Denied, b.Denied, eq)
}

// bindingsOf returns the bindings whose principal is p: a contiguous run of
// the set, which is sorted by principal first. The run is the set's own
// memory: never append to it.
func (x *Index) bindingsOf(p string) []acl.Binding {
	bs := x.set.Bindings()
	lo, _ := slices.BinarySearchFunc(bs, p, func(b acl.Binding, p string) int { return strings.Compare(b.Principal, p) })
	hi := lo
	for hi < len(bs) && bs[hi].Principal == p {
		hi++
	}
	return bs[lo:hi:hi]
}
