package policies

import (
	"fmt"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/kafkaguard/kafkaguard/inventory"
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
	kInputIndexed = ast.StringTerm(indexedInputKey)
	kIndexes      = ast.StringTerm(indexesKey)
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

// indexedInput wraps in, the input inputValueAt built from inv, with the
// deny query's indexes, or returns nil when in does not hold one value for
// each of inv's grants, topics and principals: the rules are then
// evaluated as written.
func indexedInput(in ast.Value, inv *inventory.Inventory) ast.Value {
	obj, ok := in.(ast.Object)
	if !ok {
		return nil
	}
	idx := denyIndexes(obj, inv)
	if idx == nil {
		return nil
	}
	return ast.NewObject(ast.Item(kInputIndexed, ast.NewTerm(in)), ast.Item(kIndexes, ast.NewTerm(idx)))
}

// denyIndexes builds the values of denyIndexRules, as the rules in
// acls.rego and guardrails.rego define them over in. What decides (a
// grant's role, a topic's classification, ...) is read from inv, whose
// fields inputValueAt copies as they are (reading it from the input's
// objects, a map lookup each, took 55-95 ms at 10k principals, and up to
// 0.35 s with both cores busy); the values are the input's own terms,
// found by position or by name. nil when in's grants, topics or
// principals are not inv's one for one.
func denyIndexes(in ast.Object, inv *inventory.Inventory) ast.Object {
	grants, ok := termValue(in.Get(kGrantsKey)).(*ast.Array)
	if !ok || grants.Len() != len(inv.Grants) {
		return nil
	}
	topics, ok := termValue(in.Get(kTopicsKey)).(ast.Object)
	if !ok || topics.Len() != len(inv.Topics) {
		return nil
	}
	principals, ok := termValue(in.Get(kPrincipalsKey)).(ast.Object)
	if !ok || principals.Len() != len(inv.Principals) {
		return nil
	}

	// granted_roles, grants_by_role (in input order), suffixed_lists,
	// resource_grants, everyone_grants.
	roles := ast.NewSet()
	byRole := map[string][]int{}
	var order []string
	var resourceGrants, everyoneGrants []*ast.Term
	for i := range inv.Grants {
		g, term := &inv.Grants[i], grants.Elem(i)
		if _, seen := byRole[g.Role]; !seen {
			order = append(order, g.Role)
			roles.Add(ast.StringTerm(g.Role))
		}
		byRole[g.Role] = append(byRole[g.Role], i)
		if g.Resource != nil { // an object: `g.resource` holds
			resourceGrants = append(resourceGrants, term)
		}
		if g.Principal == "*" {
			everyoneGrants = append(everyoneGrants, term)
		}
	}
	grantsByRole := ast.NewObjectWithCapacity(len(order))
	suffixed := ast.NewObject()
	for _, role := range order {
		terms := make([]*ast.Term, len(byRole[role]))
		var lists []*ast.Term
		for j, i := range byRole[role] {
			terms[j] = grants.Elem(i)
			g := &inv.Grants[i]
			// wildcard_list_selectors, in the order Rego iterates their set.
			for k, names := range [][]string{g.Groups, g.Inputs, g.Outputs, g.Topics} {
				if slices.ContainsFunc(names, func(n string) bool { return strings.HasSuffix(n, "*") }) {
					lists = append(lists, ast.ArrayTerm(terms[j], wildcardSelectors[k]))
				}
			}
		}
		grantsByRole.Insert(ast.StringTerm(role), ast.ArrayTerm(terms...))
		if len(lists) > 0 {
			suffixed.Insert(ast.StringTerm(role), ast.ArrayTerm(lists...))
		}
	}

	// The restricted topics, split as the rules split them, and the bases
	// of the declared prefixes.
	restricted, literals, prefixes := ast.NewObject(), ast.NewObject(), ast.NewObject()
	segment, withoutSegment, prefixBases := ast.NewObject(), ast.NewSet(), ast.NewSet()
	for _, t := range inv.Topics {
		prefix := strings.HasSuffix(t.Name, "*")
		if prefix {
			prefixBases.Add(ast.StringTerm(strings.TrimSuffix(t.Name, "*")))
		}
		if t.Classification != "restricted" {
			continue
		}
		k, term := entry(topics, t.Name)
		if term == nil {
			return nil
		}
		restricted.Insert(k, term)
		if prefix {
			prefixes.Insert(k, term)
		} else {
			literals.Insert(k, term)
		}
		if base := strings.TrimSuffix(t.Name, "*"); strings.Contains(base, ".") {
			segment.Insert(k, ast.StringTerm(strings.Split(t.Name, ".")[0]))
		} else {
			withoutSegment.Add(k)
		}
	}

	// superusers: p.superuser == true.
	superusers := ast.NewObject()
	for _, p := range inv.Principals {
		if p.Superuser {
			k, term := entry(principals, p.Name)
			if term == nil {
				return nil
			}
			superusers.Insert(k, term)
		}
	}

	return ast.NewObject(
		ast.Item(ast.StringTerm("granted_roles"), ast.NewTerm(roles)),
		ast.Item(ast.StringTerm("grants_by_role"), ast.NewTerm(grantsByRole)),
		ast.Item(ast.StringTerm("suffixed_lists"), ast.NewTerm(suffixed)),
		ast.Item(ast.StringTerm("resource_grants"), ast.ArrayTerm(resourceGrants...)),
		ast.Item(ast.StringTerm("everyone_grants"), ast.ArrayTerm(everyoneGrants...)),
		ast.Item(ast.StringTerm("restricted_topics"), ast.NewTerm(restricted)),
		ast.Item(ast.StringTerm("restricted_literals"), ast.NewTerm(literals)),
		ast.Item(ast.StringTerm("restricted_prefixes"), ast.NewTerm(prefixes)),
		ast.Item(ast.StringTerm("restricted_segment"), ast.NewTerm(segment)),
		ast.Item(ast.StringTerm("restricted_without_segment"), ast.NewTerm(withoutSegment)),
		ast.Item(ast.StringTerm("declared_prefix_bases"), ast.NewTerm(prefixBases)),
		ast.Item(ast.StringTerm("superusers"), ast.NewTerm(superusers)),
	)
}

var kGrantsKey, kTopicsKey, kPrincipalsKey = ast.StringTerm("grants"), ast.StringTerm("topics"), ast.StringTerm("principals")

// entry is the key name and its value in obj, nil when obj lacks it.
func entry(obj ast.Object, name string) (k, v *ast.Term) {
	k = ast.StringTerm(name)
	return k, obj.Get(k)
}

func termValue(t *ast.Term) ast.Value {
	if t == nil {
		return nil
	}
	return t.Value
}
