package policies

import (
	"cmp"
	"fmt"
	"slices"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Guardrail is one of the embedded library's deny or warn rules. Their IDs
// are KG6xx (deny KG601..., warn KG651...), a range of their own beside the
// audit's (KG1xx ACL drift ... KG5xx live guardrails), so a report can carry
// both without prefixes.
//
// The table is read from the library's `# METADATA` annotations (title,
// description, custom.id, custom.check), so the Rego is its only copy.
type Guardrail struct {
	ID          string // custom.id, e.g. "KG601"
	Check       string // custom.check, e.g. "allow-everyone"
	Rule        string // "deny" (an error) or "warn" (a warning)
	Title       string // one line
	Description string
	Location    string // "kafkaguard:policies/guardrails.rego:row" of the annotated rule
}

// LibraryGuardrails returns the embedded guardrails in ID order.
func LibraryGuardrails() []Guardrail { return slices.Clone(libraryGuardrails()) }

// LibraryChecks maps the ID of every embedded guardrail to its check.
func LibraryChecks() map[string]string {
	return guardrailMap(func(g Guardrail) string { return g.Check })
}

// LibraryRules maps the ID of every embedded guardrail to its title.
func LibraryRules() map[string]string {
	return guardrailMap(func(g Guardrail) string { return g.Title })
}

func guardrailMap(f func(Guardrail) string) map[string]string {
	gs := libraryGuardrails()
	m := make(map[string]string, len(gs))
	for _, g := range gs {
		m[g.ID] = f(g)
	}
	return m
}

// libraryGuardrails parses the embedded library once. The library is part
// of the binary and its tests pin the table, so a malformed annotation is a
// programming error.
var libraryGuardrails = sync.OnceValue(func() []Guardrail {
	gs, err := guardrailsOf(embeddedModules())
	if err != nil {
		panic("policies: embedded guardrail annotations: " + err.Error())
	}
	return gs
})

// embeddedModules parses the embedded library without its tests.
func embeddedModules() map[string]*ast.Module {
	mods, err := loadModules(nil, false)
	if err != nil {
		panic("policies: embedded library: " + err.Error())
	}
	return mods
}

// guardrailsOf reads the rule annotations of the deny and warn rules in
// mods that carry a custom.id, in ID order. An annotated rule without a
// title or check, or an ID given twice, is an error.
func guardrailsOf(mods map[string]*ast.Module) ([]Guardrail, error) {
	var out []Guardrail
	seen := map[string]string{}
	for _, m := range mods {
		for _, a := range m.Annotations {
			if a.Scope != "rule" {
				continue
			}
			path := a.GetTargetPath()
			if len(path) == 0 {
				continue
			}
			rule := path[len(path)-1].Value.String()
			if rule != `"deny"` && rule != `"warn"` {
				continue
			}
			id, _ := a.Custom["id"].(string)
			if id == "" {
				continue
			}
			g := Guardrail{ID: id, Rule: rule[1 : len(rule)-1], Title: a.Title, Description: a.Description, Location: fileRow(a.Location)}
			g.Check, _ = a.Custom["check"].(string)
			if g.Title == "" || g.Check == "" {
				return nil, fmt.Errorf("%s: guardrail %s needs a title and custom.check", g.Location, id)
			}
			if prev, ok := seen[id]; ok {
				return nil, fmt.Errorf("%s: guardrail %s is already annotated at %s", g.Location, id, prev)
			}
			seen[id] = g.Location
			out = append(out, g)
		}
	}
	slices.SortFunc(out, func(a, b Guardrail) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}
