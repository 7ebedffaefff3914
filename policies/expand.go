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
// with its ACLs and provenance. evalErr is an evaluation error; err one in
// what the rules produced (an invalid binding, a grant that gives nothing).
func (e *Engine) expand(ctx context.Context, in ast.Value, inv *inventory.Inventory) (res *Result, err, evalErr error) {
	rs, evalErr := evalQuery(ctx, e.expansion, in)
	if evalErr != nil {
		return nil, nil, evalErr
	}
	get := rs.get

	res = &Result{Provenance: make(map[acl.Binding][]Provenance, 10*len(inv.Grants))}
	bindings, err := expandGrants(inv, get("grant_resources_planned"), get("grant_resources_other"), res.Provenance)
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
			if !slices.Contains(res.Provenance[b], prov) {
				res.Provenance[b] = append(res.Provenance[b], prov)
			}
		}
		bindings = append(bindings, bs...)
	}
	res.ACLs = acl.NewSet(bindings...)
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

// expandGrants multiplies the compact grant_resources entries
// ([resource_type, [names as written], [ops]], one per role entry) out into
// bindings: one per name, operation and host, with the grant's principal and
// permission, each validated as Kafka would. grant_resources comes in its two
// parts: planned (an array, one entry per grant) and other (by grant index,
// taking precedence).
func expandGrants(inv *inventory.Inventory, v, otherV ast.Value, prov map[acl.Binding][]Provenance) ([]acl.Binding, error) {
	if v == nil {
		return nil, nil
	}
	arr, ok := v.(*ast.Array)
	if !ok || arr.Len() != len(inv.Grants) {
		return nil, fmt.Errorf("rule data.kafkaguard.grant_resources_planned: want an array with one entry per grant, got %s", ast.ValueName(v))
	}
	other, ok := otherV.(ast.Object)
	if otherV != nil && !ok {
		return nil, fmt.Errorf("rule data.kafkaguard.grant_resources_other: want an object, got %s", ast.ValueName(otherV))
	}
	out := make([]acl.Binding, 0, arr.Len()*10)
	limits := inv.Limits.WithDefaults()
	var ops []acl.Operation // reused by every entry
	for idx := range arr.Len() {
		rv := arr.Elem(idx)
		if other != nil {
			if t := other.Get(ast.InternedTerm(idx)); t != nil {
				rv = t
			}
		}
		g := &inv.Grants[idx]
		x := grantExpansion{g: g, p: grantProvenance(g.Source, g.Role), principal: "User:" + g.Principal, perm: acl.PermAllow}
		x.ps = []Provenance{x.p} // shared by the grant's bindings; cap 1, so append copies
		if g.Permission == "DENY" {
			x.perm = acl.PermDeny
		}
		entries, ok := rv.Value.(*ast.Array)
		if !ok {
			return out, fmt.Errorf("%s: grant: the role expansion is not a list", g.Source)
		}
		before := len(out)
		x.start, x.limits = before, limits
		for i := range entries.Len() {
			var err error
			if out, ops, err = x.entry(entries.Elem(i), out, ops[:0], prov); err != nil {
				return out, err
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
}

// entry appends to out the bindings of one role expansion entry, [type,
// [names], [operations]], recording their provenance. ops is scratch space
// for the entry's operations.
func (x grantExpansion) entry(e *ast.Term, out []acl.Binding, ops []acl.Operation, prov map[acl.Binding][]Provenance) ([]acl.Binding, []acl.Operation, error) {
	src := x.g.Source
	parts, ok := e.Value.(*ast.Array)
	if !ok || parts.Len() != 3 {
		return out, ops, fmt.Errorf("%s: grant: malformed role expansion entry %s", src, e)
	}
	rtName, _ := parts.Elem(0).Value.(ast.String)
	rt, ok := resourceTypeByName[string(rtName)]
	if !ok {
		return out, ops, fmt.Errorf("%s: grant: unknown resource type %s", src, parts.Elem(0))
	}
	names, ok1 := parts.Elem(1).Value.(*ast.Array)
	opTerms, ok2 := parts.Elem(2).Value.(*ast.Array)
	if !ok1 || !ok2 {
		return out, ops, fmt.Errorf("%s: grant: malformed role expansion entry %s (want [type, [names], [operations]])", src, e)
	}
	for i := range opTerms.Len() {
		o := opTerms.Elem(i)
		os, _ := o.Value.(ast.String)
		op, ok := operationByName[string(os)]
		if !ok {
			op, ok = operationByName[strings.ToUpper(string(os))]
		}
		if !ok {
			return out, ops, fmt.Errorf("%s: grant: unknown operation %s", src, o)
		}
		ops = append(ops, op)
	}
	// The limits hold what roles multiply out too, before it is.
	if grew := names.Len() * len(ops) * len(x.g.Hosts); len(out)-x.start+grew > x.limits.MaxGrantBindings {
		return out, ops, &inventory.LimitError{Where: src, What: fmt.Sprintf("grant (%s) would produce %d bindings or more", x.p.what(), len(out)-x.start+grew),
			Limit: int64(x.limits.MaxGrantBindings), Flag: inventory.FlagMaxGrantBindings}
	} else if len(out)+grew > x.limits.MaxBindings {
		return out, ops, &inventory.LimitError{Where: src, What: fmt.Sprintf("the grants up to this one would produce %d bindings or more", len(out)+grew),
			Limit: int64(x.limits.MaxBindings), Flag: inventory.FlagMaxBindings}
	}
	for i := range names.Len() {
		n := names.Elem(i)
		written, ok := n.Value.(ast.String)
		if !ok {
			return out, ops, fmt.Errorf("%s: grant: resource name %s is not a string", src, n)
		}
		name, pt := inventory.SplitName(string(written))
		for _, op := range ops {
			for _, h := range x.g.Hosts {
				b := acl.Binding{Principal: x.principal, Host: h, ResourceType: rt, ResourceName: name, PatternType: pt, Operation: op, Permission: x.perm}
				if err := b.ValidateStored(); err != nil {
					return out, ops, fmt.Errorf("%s: grant (%s) produces an invalid binding: %v", src, x.p.what(), err)
				}
				if old, ok := prov[b]; !ok {
					prov[b] = x.ps[:1:1]
				} else if !slices.Contains(old, x.p) {
					prov[b] = append(old, x.p)
				}
				out = append(out, b)
			}
		}
	}
	return out, ops, nil
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
