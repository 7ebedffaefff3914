package policies

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/inventory"
)

// expand evaluates the expansion query and multiplies it out: the result
// with its ACLs and, when asked for, provenance. evalErr is an evaluation
// error; err one in what the rules produced (an invalid binding, a grant
// that gives nothing).
func (e *Engine) expand(ctx context.Context, in ast.Value, inv *inventory.Inventory, withProvenance bool) (res *Result, err, evalErr error) {
	rs, evalErr := evalQuery(ctx, e.expansion, in)
	if evalErr != nil {
		return nil, nil, evalErr
	}
	get := rs.get

	res = &Result{}
	if withProvenance {
		res.Provenance = make(map[acl.Binding][]Provenance, 10*len(inv.Grants))
	}
	bindings, err := expandGrants(inv, get("role_plans"), get("grant_resources_other"), res.Provenance)
	if err != nil {
		return nil, err, nil
	}
	bindings = append(bindings, streamsFences(inv, res.Provenance)...)
	for i, s := range e.userACLs {
		prov := ruleProvenance(s, "acls")
		bs, err := userBindings(get("acls"+strconv.Itoa(i)), prov.String())
		if err != nil {
			return nil, err, nil
		}
		for _, b := range bs {
			if res.Provenance != nil && !slices.Contains(res.Provenance[b], prov) {
				res.Provenance[b] = append(res.Provenance[b], prov)
			}
		}
		bindings = append(bindings, bs...)
	}
	res.ACLs = acl.SetOf(bindings)
	return res, nil, nil
}

// Cached enum lookups: parsing names for every one of 200k bindings shows.
var (
	resourceTypeByName = map[string]acl.ResourceType{}
	operationByName    = map[string]acl.Operation{}
)

func init() {
	for _, rt := range acl.ResourceTypes() {
		resourceTypeByName[rt.String()] = rt
	}
	for o := acl.OpAll; o <= acl.OpDescribeTokens; o++ {
		operationByName[o.String()] = o
	}
}

// expandGrants multiplies every grant out into bindings: one per name,
// operation and host, with the grant's principal and permission, each
// validated as Kafka would.
//
// The library says what each grant gives in two parts (acls.rego): plans,
// data.kafkaguard.role_plans, is the role table worked out once per role
// (role → create → exactly_once → the entries that apply) for the roles
// whose entries all select one of the grant's own lists; a grant of such a
// role is expanded here from its lists. otherV, grant_resources_other,
// has the expansion of every other grant by index, as compact entries
// ([resource_type, [names as written], [ops]], one per role entry).
func expandGrants(inv *inventory.Inventory, plansV, otherV ast.Value, prov map[acl.Binding][]Provenance) ([]acl.Binding, error) {
	plans, ok := plansV.(ast.Object)
	if plansV != nil && !ok {
		return nil, fmt.Errorf("rule data.kafkaguard.role_plans: want an object, got %s", ast.ValueName(plansV))
	}
	other, ok := otherV.(ast.Object)
	if otherV != nil && !ok {
		return nil, fmt.Errorf("rule data.kafkaguard.grant_resources_other: want an object, got %s", ast.ValueName(otherV))
	}
	out := make([]acl.Binding, 0, 10*len(inv.Grants))
	limits := inv.Limits.WithDefaults()
	rp := rolePlans{plans: plans, parsed: map[planKey][]planEntry{}}
	var ops []acl.Operation // reused by every entry
	for idx := range inv.Grants {
		g := &inv.Grants[idx]
		x := grantExpansion{g: g, p: grantProvenance(g.Source, g.Role), principal: "User:" + g.Principal, perm: acl.PermAllow, prov: prov}
		x.ps = []Provenance{x.p} // shared by the grant's bindings; cap 1, so append copies
		if g.Permission == "DENY" {
			x.perm = acl.PermDeny
		}
		before := len(out)
		x.start, x.limits = before, limits
		var rv *ast.Term
		if other != nil {
			rv = other.Get(ast.InternedTerm(idx))
		}
		if plan, ok := rp.get(g); ok && rv == nil {
			for i := range plan {
				var err error
				if out, err = x.planned(&plan[i], out); err != nil {
					return out, err
				}
			}
		} else if rv != nil {
			entries, ok := rv.Value.(*ast.Array)
			if !ok {
				return out, fmt.Errorf("%s: grant: the role expansion is not a list", g.Source)
			}
			for i := range entries.Len() {
				var err error
				if out, ops, err = x.entry(entries.Elem(i), out, ops[:0]); err != nil {
					return out, err
				}
			}
		}
		if len(out) == before {
			return out, fmt.Errorf("%s: grant: %s gives %s nothing here (list the topics, groups or transactional_ids it applies to)", g.Source, x.p.what(), g.Principal)
		}
	}
	return out, nil
}

// grantExpansion is one grant being multiplied out.
type grantExpansion struct {
	g         *inventory.Grant
	p         Provenance
	ps        []Provenance
	principal string
	perm      acl.Permission
	start     int              // len(out) when the grant began
	limits    inventory.Limits // with defaults
	prov      map[acl.Binding][]Provenance
}

// entry appends to out the bindings of one role expansion entry, [type,
// [names], [operations]], recording their provenance. ops is scratch space
// for the entry's operations.
func (x grantExpansion) entry(e *ast.Term, out []acl.Binding, ops []acl.Operation) ([]acl.Binding, []acl.Operation, error) {
	src := x.g.Source
	parts, ok := e.Value.(*ast.Array)
	if !ok || parts.Len() != 3 {
		return out, ops, fmt.Errorf("%s: grant: malformed role expansion entry %s", src, e)
	}
	rt, err := parseType(src, parts.Elem(0))
	if err != nil {
		return out, ops, err
	}
	names, ok1 := parts.Elem(1).Value.(*ast.Array)
	if _, ok2 := parts.Elem(2).Value.(*ast.Array); !ok1 || !ok2 {
		return out, ops, fmt.Errorf("%s: grant: malformed role expansion entry %s (want [type, [names], [operations]])", src, e)
	}
	if ops, err = parseOps(src, parts.Elem(2), ops); err != nil {
		return out, ops, err
	}
	if err := x.limit(len(out), names.Len(), len(ops)); err != nil {
		return out, ops, err
	}
	written := make([]string, 0, names.Len())
	for i := range names.Len() {
		n := names.Elem(i)
		s, ok := n.Value.(ast.String)
		if !ok {
			// The names before it are made (and checked) first.
			if out, err = x.emit(rt, written, ops, out); err != nil {
				return out, ops, err
			}
			return out, ops, fmt.Errorf("%s: grant: resource name %s is not a string", src, n)
		}
		written = append(written, string(s))
	}
	out, err = x.emit(rt, written, ops, out)
	return out, ops, err
}

// parseType reads the resource type of a role expansion entry.
func parseType(src string, typ *ast.Term) (acl.ResourceType, error) {
	rtName, _ := typ.Value.(ast.String)
	rt, ok := resourceTypeByName[string(rtName)]
	if !ok {
		return rt, fmt.Errorf("%s: grant: unknown resource type %s", src, typ)
	}
	return rt, nil
}

// parseOps appends to ops the operations of a role expansion entry (an
// array; Kafka's names, in any case).
func parseOps(src string, opsTerm *ast.Term, ops []acl.Operation) ([]acl.Operation, error) {
	opTerms, _ := opsTerm.Value.(*ast.Array)
	for i := range opTerms.Len() {
		o := opTerms.Elem(i)
		os, _ := o.Value.(ast.String)
		op, ok := operationByName[string(os)]
		if !ok {
			op, ok = operationByName[strings.ToUpper(string(os))]
		}
		if !ok {
			return ops, fmt.Errorf("%s: grant: unknown operation %s", src, o)
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// limit holds the grant and the inventory to the binding limits before
// names × ops × hosts more bindings are made: the limits hold what roles
// multiply out too.
func (x grantExpansion) limit(n, names, ops int) error {
	if grew := names * ops * len(x.g.Hosts); n-x.start+grew > x.limits.MaxGrantBindings {
		return &inventory.LimitError{Where: x.g.Source, What: fmt.Sprintf("grant (%s) would produce %d bindings or more", x.p.what(), n-x.start+grew),
			Limit: int64(x.limits.MaxGrantBindings), Kind: inventory.LimitGrantBindings}
	} else if n+grew > x.limits.MaxBindings {
		return &inventory.LimitError{Where: x.g.Source, What: fmt.Sprintf("the grants up to this one would produce %d bindings or more", n+grew),
			Limit: int64(x.limits.MaxBindings), Kind: inventory.LimitBindings}
	}
	return nil
}

// emit appends the bindings of names (as written) × ops × the grant's
// hosts, recording their provenance. The caller checked the limits.
func (x grantExpansion) emit(rt acl.ResourceType, names []string, ops []acl.Operation, out []acl.Binding) ([]acl.Binding, error) {
	for _, written := range names {
		name, pt := inventory.SplitName(written)
		for _, op := range ops {
			for _, h := range x.g.Hosts {
				b := acl.Binding{Principal: x.principal, Host: h, ResourceType: rt, ResourceName: name, PatternType: pt, Operation: op, Permission: x.perm}
				if err := b.ValidateStored(); err != nil {
					return out, fmt.Errorf("%s: grant (%s) produces an invalid binding: %v", x.g.Source, x.p.what(), err)
				}
				if x.prov == nil {
					// no provenance asked for
				} else if old, ok := x.prov[b]; !ok {
					x.prov[b] = x.ps[:1:1]
				} else if !slices.Contains(old, x.p) {
					x.prov[b] = append(old, x.p)
				}
				out = append(out, b)
			}
		}
	}
	return out, nil
}

// userBindings reads a user `acls` rule: a set (or array) of binding objects.
func userBindings(v ast.Value, rule string) ([]acl.Binding, error) {
	if v == nil {
		return nil, nil
	}
	var items []*ast.Term
	switch c := v.(type) {
	case ast.Set:
		items = c.Slice()
	case *ast.Array:
		for i := 0; i < c.Len(); i++ {
			items = append(items, c.Elem(i))
		}
	default:
		return nil, fmt.Errorf("%s: want a set of binding objects, got %s", rule, ast.ValueName(v))
	}
	out := make([]acl.Binding, 0, len(items))
	for _, it := range items {
		obj, ok := it.Value.(ast.Object)
		if !ok {
			return nil, fmt.Errorf("%s: produced %s, want a binding object {principal, host, resource_type, resource_name, pattern_type, operation, permission}", rule, it)
		}
		field := func(k string) string {
			t := obj.Get(ast.StringTerm(k))
			if t == nil {
				return ""
			}
			s, _ := t.Value.(ast.String)
			return string(s)
		}
		var unknown []string
		obj.Foreach(func(k, _ *ast.Term) {
			switch s, _ := k.Value.(ast.String); string(s) {
			case "principal", "host", "resource_type", "resource_name", "pattern_type", "operation", "permission":
			default:
				unknown = append(unknown, k.String())
			}
		})
		if len(unknown) > 0 {
			return nil, fmt.Errorf("%s: binding %s has unknown keys %s", rule, it, strings.Join(unknown, ", "))
		}
		perm := field("permission")
		if perm == "" {
			perm = "ALLOW"
		}
		b, err := acl.FromStrings(field("principal"), field("host"), field("resource_type"), field("resource_name"), field("pattern_type"), field("operation"), perm)
		if err != nil {
			return nil, fmt.Errorf("%s: produced a malformed binding %s: %v", rule, it, err)
		}
		out = append(out, b)
	}
	return out, nil
}
