package policies

import (
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/inventory"
)

// rolePlans reads data.kafkaguard.role_plans, the role table as the library
// works it out once per role: role → create → exactly_once → the entries
// that apply to such a grant, for the roles whose entries all select one of
// the grant's own lists. Each plan is parsed once, at its first grant.
type rolePlans struct {
	plans  ast.Object // nil: no role has a plan
	parsed map[planKey][]planEntry
}

type planKey struct {
	role              string
	create, exactlyOn bool
}

// planEntry is one role entry of a plan: the operations it gives on the
// names of the grant's list sel, as resources of type rt.
type planEntry struct {
	sel string
	rt  acl.ResourceType
	ops []acl.Operation
	// typ and opsTerm are the entry as the library wrote it; bad marks one
	// that does not parse, reported for the grant that uses it as its row
	// [type, [names], [operations]] would be.
	typ, opsTerm *ast.Term
	bad          bool
}

var (
	kPlanType, kPlanResource, kPlanOperations = ast.StringTerm("type"), ast.StringTerm("resource"), ast.StringTerm("operations")
)

// get returns the plan for grant g: ok is false when its role has none
// (the library expands that grant itself, in grant_resources_other).
func (rp *rolePlans) get(g *inventory.Grant) ([]planEntry, bool) {
	if rp.plans == nil {
		return nil, false
	}
	k := planKey{g.Role, g.Create, g.ExactlyOnce}
	if es, ok := rp.parsed[k]; ok {
		return es, true
	}
	byRole, _ := termObject(rp.plans.Get(ast.StringTerm(g.Role)))
	byCreate, _ := termObject(lookup(byRole, ast.InternedTerm(g.Create)))
	t := lookup(byCreate, ast.InternedTerm(g.ExactlyOnce))
	if t == nil {
		return nil, false
	}
	arr, ok := t.Value.(*ast.Array)
	if !ok {
		return nil, false
	}
	es := make([]planEntry, 0, arr.Len())
	for i := range arr.Len() {
		obj, ok := arr.Elem(i).Value.(ast.Object)
		if !ok {
			continue
		}
		var sel ast.String
		if t := obj.Get(kPlanResource); t != nil {
			sel, _ = t.Value.(ast.String)
		}
		e := planEntry{sel: string(sel), typ: obj.Get(kPlanType), opsTerm: obj.Get(kPlanOperations)}
		if e.typ == nil || e.opsTerm == nil {
			continue // the library's row would be undefined: no bindings
		}
		var err error
		if e.rt, err = parseType("", e.typ); err == nil {
			if _, ok := e.opsTerm.Value.(*ast.Array); ok {
				e.ops, err = parseOps("", e.opsTerm, nil)
			} else {
				e.bad = true
			}
		}
		e.bad = e.bad || err != nil
		es = append(es, e)
	}
	rp.parsed[k] = es
	return es, true
}

func termObject(t *ast.Term) (ast.Object, bool) {
	if t == nil {
		return nil, false
	}
	o, ok := t.Value.(ast.Object)
	return o, ok
}

// lookup is o[k], nil when o is nil or has no k.
func lookup(o ast.Object, k *ast.Term) *ast.Term {
	if o == nil {
		return nil
	}
	return o.Get(k)
}

// grantList is the grant's own list a plan entry selects.
func grantList(g *inventory.Grant, sel string) []string {
	switch sel {
	case "topics":
		return g.Topics
	case "groups":
		return g.Groups
	case "transactional_ids":
		return g.TransactionalIDs
	case "inputs":
		return g.Inputs
	case "outputs":
		return g.Outputs
	}
	return nil
}

// planned appends the bindings of one plan entry for the grant.
func (x grantExpansion) planned(e *planEntry, out []acl.Binding) ([]acl.Binding, error) {
	names := grantList(x.g, e.sel)
	if e.bad {
		// The error the library's row for this grant gets.
		ts := make([]*ast.Term, len(names))
		for i, n := range names {
			ts[i] = ast.StringTerm(n)
		}
		out, _, err := x.entry(ast.ArrayTerm(e.typ, ast.ArrayTerm(ts...), e.opsTerm), out, nil)
		return out, err
	}
	if err := x.limit(len(out), len(names), len(e.ops)); err != nil {
		return out, err
	}
	return x.emit(e.rt, names, e.ops, out)
}
