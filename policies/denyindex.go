package policies

import (
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// The deny query's indexes: helper rules of the library whose values depend
// on the input alone and which the deny rules (and grant_errors) read. Each
// is a pass over the grants or the topics in Rego (together about a third
// of the deny query's time at 10k principals); Go builds the same values in
// a few milliseconds, and Compile's deny query takes them in place of the
// rules (`with data.kafkaguard.<rule> as ...`). The Rego rules stay the
// definition: they are what `policy test`, the other queries and user
// policies read, and TestDenyIndexesMatchRules holds the two equal.
//
// Only complete rules are replaced, and only while no user policy defines
// one of them too (userDefinesIndexRules): the value built from the input is
// then the rule's whole value.
var denyIndexRules = []string{
	"granted_roles",
	"grants_by_role",
	"resource_grants",
	"restricted_topics",
	"restricted_literals",
	"restricted_prefixes",
	"restricted_segment",
	"restricted_without_segment",
	"declared_prefix_bases",
	"suffixed_lists",
	"everyone_grants",
	"superusers",
}

// wildcardSelectors are wildcard_list_selectors (guardrails.rego),
// in the order Rego iterates their set.
var wildcardSelectors = []*ast.Term{ast.StringTerm("groups"), ast.StringTerm("inputs"), ast.StringTerm("outputs"), ast.StringTerm("topics")}

// userDefinesIndexRules reports whether a user policy adds a definition to
// one of denyIndexRules (in package kafkaguard): the deny query then
// evaluates them as written, with the user's definitions.
func userDefinesIndexRules(mods map[string]*ast.Module) bool {
	for _, r := range denyIndexRules {
		for _, s := range rulesNamed(mods, r) {
			if !s.embedded && s.pkg.Equal(libraryPackage) {
				return true
			}
		}
	}
	return false
}

var libraryPackage = ast.MustParseRef("data.kafkaguard")

// Keys of the input object the deny query is given when it takes the
// indexes: the input itself, and the indexes by rule name.
const (
	indexedInputKey = "input"
	indexesKey      = "indexes"
)

var (
	kClassificationRestricted = ast.StringTerm("restricted")
	kInputIndexed             = ast.StringTerm(indexedInputKey)
	kIndexes                  = ast.StringTerm(indexesKey)
)

// denyIndexQuery returns the deny query's prefix that binds the user's
// input and each index to a variable, and the modifiers each term of the
// query is evaluated with: the user's input as input, each index in place of
// its rule. (A with value that is a reference would be evaluated under the
// replaced input: variables hold the values themselves.)
func denyIndexQuery() (prefix, with string) {
	var p, w strings.Builder
	p.WriteString("__kg_input := input." + indexedInputKey)
	w.WriteString(" with input as __kg_input")
	for _, r := range denyIndexRules {
		fmt.Fprintf(&p, "; __kg_%s := input.%s.%s", r, indexesKey, r)
		fmt.Fprintf(&w, " with data.kafkaguard.%s as __kg_%s", r, r)
	}
	return p.String(), w.String()
}

// indexedInput wraps in with the deny query's indexes, or returns nil when
// in is not an input kafkaguard builds (an object whose grants are an array
// of objects and whose topics an object keyed by strings): the rules are
// then evaluated as written.
func indexedInput(in ast.Value) ast.Value {
	obj, ok := in.(ast.Object)
	if !ok {
		return nil
	}
	idx := denyIndexes(obj)
	if idx == nil {
		return nil
	}
	return ast.NewObject(ast.Item(kInputIndexed, ast.NewTerm(in)), ast.Item(kIndexes, ast.NewTerm(idx)))
}

// denyIndexes builds the values of denyIndexRules from the input, as the
// rules in acls.rego and guardrails.rego define them; nil when the input is
// not of the shape that the rules' values are built for here.
func denyIndexes(in ast.Object) ast.Object {
	grants, ok := termValue(in.Get(kGrantsKey)).(*ast.Array)
	if !ok {
		return nil
	}
	topics, ok := termValue(in.Get(kTopicsKey)).(ast.Object)
	if !ok {
		return nil
	}

	// granted_roles, grants_by_role (in input order), resource_grants.
	roles := ast.NewSet()
	byRole := map[ast.Value][]*ast.Term{}
	var order []*ast.Term
	var resourceGrants, everyoneGrants []*ast.Term
	shaped := true
	grants.Foreach(func(g *ast.Term) {
		o, ok := g.Value.(ast.Object)
		if !ok {
			shaped = false
			return
		}
		if role := o.Get(kRole); role != nil {
			if _, ok := role.Value.(ast.String); !ok {
				shaped = false // compared as Rego compares, not as Go keys
				return
			}
			if _, seen := byRole[role.Value]; !seen {
				order = append(order, role)
				roles.Add(role)
			}
			byRole[role.Value] = append(byRole[role.Value], g)
		}
		// `g.resource` as an expression: defined and not false.
		if r := o.Get(kResource); r != nil && !ast.ValueEqual(ast.Boolean(false), r.Value) {
			resourceGrants = append(resourceGrants, g)
		}
		if p := o.Get(kPrincipal); p != nil && ast.ValueEqual(p.Value, everyone) {
			everyoneGrants = append(everyoneGrants, g)
		}
	})
	if !shaped {
		return nil
	}
	grantsByRole := ast.NewObjectWithCapacity(len(order))
	suffixed := ast.NewObject()
	for _, role := range order {
		grantsByRole.Insert(role, ast.ArrayTerm(byRole[role.Value]...))
		lists, ok := suffixedLists(byRole[role.Value])
		if !ok {
			return nil
		}
		if len(lists) > 0 {
			suffixed.Insert(role, ast.ArrayTerm(lists...))
		}
	}

	// The restricted topics, split as the rules split them, and the bases
	// of the declared prefixes.
	restricted, literals, prefixes := ast.NewObject(), ast.NewObject(), ast.NewObject()
	segment, withoutSegment, prefixBases := ast.NewObject(), ast.NewSet(), ast.NewSet()
	topics.Foreach(func(k, t *ast.Term) {
		name, ok := k.Value.(ast.String)
		if !ok {
			shaped = false
			return
		}
		n := string(name)
		prefix := strings.HasSuffix(n, "*")
		if prefix {
			prefixBases.Add(ast.StringTerm(strings.TrimSuffix(n, "*")))
		}
		o, ok := t.Value.(ast.Object)
		if !ok {
			return // t.classification is undefined: not restricted
		}
		c := o.Get(kClassification)
		if c == nil || !ast.ValueEqual(c.Value, kClassificationRestricted.Value) {
			return
		}
		restricted.Insert(k, t)
		if prefix {
			prefixes.Insert(k, t)
		} else {
			literals.Insert(k, t)
		}
		if base := strings.TrimSuffix(n, "*"); strings.Contains(base, ".") {
			segment.Insert(k, ast.StringTerm(strings.Split(n, ".")[0]))
		} else {
			withoutSegment.Add(k)
		}
	})
	if !shaped {
		return nil
	}

	// superusers: p.superuser == true.
	principals, ok := termValue(in.Get(kPrincipalsKey)).(ast.Object)
	if !ok {
		return nil
	}
	superusers := ast.NewObject()
	principals.Foreach(func(name, p *ast.Term) {
		if o, ok := p.Value.(ast.Object); ok {
			if su := o.Get(kSuperuser); su != nil && ast.ValueEqual(su.Value, ast.Boolean(true)) {
				superusers.Insert(name, p)
			}
		}
	})

	return ast.NewObject(
		ast.Item(ast.StringTerm("everyone_grants"), ast.ArrayTerm(everyoneGrants...)),
		ast.Item(ast.StringTerm("superusers"), ast.NewTerm(superusers)),
		ast.Item(ast.StringTerm("granted_roles"), ast.NewTerm(roles)),
		ast.Item(ast.StringTerm("grants_by_role"), ast.NewTerm(grantsByRole)),
		ast.Item(ast.StringTerm("resource_grants"), ast.ArrayTerm(resourceGrants...)),
		ast.Item(ast.StringTerm("restricted_topics"), ast.NewTerm(restricted)),
		ast.Item(ast.StringTerm("restricted_literals"), ast.NewTerm(literals)),
		ast.Item(ast.StringTerm("restricted_prefixes"), ast.NewTerm(prefixes)),
		ast.Item(ast.StringTerm("restricted_segment"), ast.NewTerm(segment)),
		ast.Item(ast.StringTerm("restricted_without_segment"), ast.NewTerm(withoutSegment)),
		ast.Item(ast.StringTerm("declared_prefix_bases"), ast.NewTerm(prefixBases)),
		ast.Item(ast.StringTerm("suffixed_lists"), ast.NewTerm(suffixed)),
	)
}

// suffixedLists are suffixed_lists[role] for the grants of one role: the
// [grant, selector] of each list that names something ending with "*"; ok
// is false for a list that strings.any_suffix_match would not take as an
// array of strings.
func suffixedLists(grants []*ast.Term) (lists []*ast.Term, ok bool) {
	for _, g := range grants {
		o := g.Value.(ast.Object) // checked by denyIndexes
		for _, sel := range wildcardSelectors {
			l := o.Get(sel)
			if l == nil {
				continue // g[sel] is undefined: so is the call
			}
			arr, isArray := l.Value.(*ast.Array)
			if !isArray {
				return nil, false
			}
			found := false
			for i := range arr.Len() {
				s, isString := arr.Elem(i).Value.(ast.String)
				if !isString {
					return nil, false
				}
				found = found || strings.HasSuffix(string(s), "*")
			}
			if found {
				lists = append(lists, ast.ArrayTerm(g, sel))
			}
		}
	}
	return lists, true
}

var (
	kGrantsKey, kTopicsKey, kPrincipalsKey = ast.StringTerm("grants"), ast.StringTerm("topics"), ast.StringTerm("principals")
	everyone                               = ast.String("*")
)

func termValue(t *ast.Term) ast.Value {
	if t == nil {
		return nil
	}
	return t.Value
}
