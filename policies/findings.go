package policies

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/kafkaguard/kafkaguard/internal/location"
)

// Finding is one result of a deny or warn rule. A rule may produce a
// string (the message) or, conftest style, an object with msg and optional
// id, check, resource, fix and location.
type Finding struct {
	ID       string // "id", e.g. KG601 for the library's guardrails
	Check    string // "check", else "<package>.deny" or "<package>.warn"
	Resource string // "resource": what it is about, e.g. "User:orders-api"
	Message  string // "msg", or the string itself
	Fix      string // "fix": what to do about it
	// Location is "location", else "file:row" of the rule definition that
	// produced it.
	Location string
	// Topic is "topic": the topic (as declared) a finding about a grant is
	// also about, so that a waiver for the topic can match it.
	Topic string
}

// findingTerms are the query terms of the rules called kind at sites,
// "<kind><i>", and of their copies.
func findingTerms(sites []ruleSite, kind string, copies *ruleCopies) []queryTerm {
	var out []queryTerm
	for i, s := range sites {
		out = append(out, queryTerm{name: kind + strconv.Itoa(i), ref: s.pkg.Append(ast.StringTerm(kind))})
		out = append(out, copies.terms(s.pkg, kind)...)
	}
	return out
}

// findingsOfRules are the findings of the rules called kind at sites, from
// the query of findingTerms, sorted by location.
func findingsOfRules(found results, sites []ruleSite, kind string, copies *ruleCopies) []Finding {
	var out []Finding
	for i, s := range sites {
		out = append(out, findingsOf(found.get(kind+strconv.Itoa(i)), s, kind, copies.locator(s.pkg, kind, found.get))...)
	}
	sortFindings(out)
	return out
}

// userChecks name the checks of the rules called kind at sites,
// "<package>.<kind>", but the library's own (LibraryChecks names those).
func userChecks(sites []ruleSite, kind string) []string {
	var out []string
	for _, s := range sites {
		if !s.embedded || s.pkg.String() != "data.kafkaguard" {
			out = append(out, strings.TrimPrefix(s.pkg.String(), "data.")+"."+kind)
		}
	}
	return out
}

func stringsOf(v ast.Value) []string {
	var out []string
	each(v, func(t *ast.Term) {
		if s, ok := t.Value.(ast.String); ok {
			out = append(out, string(s))
		} else {
			out = append(out, t.String())
		}
	})
	return out
}

func each(v ast.Value, f func(*ast.Term)) {
	switch c := v.(type) {
	case ast.Set:
		c.Foreach(f)
	case *ast.Array:
		c.Foreach(f)
	}
}

// findingsOf turns deny/warn results into findings. A result without a
// location of its own is located at the rule: at the definition that
// produced it when locate (ruleCopies.locator) knows it, else at site.
func findingsOf(v ast.Value, site ruleSite, kind string, locate func(*ast.Term) string) []Finding {
	rule := site.pkg.String() + "." + kind
	var out []Finding
	add := func(t *ast.Term) {
		f := Finding{Check: strings.TrimPrefix(rule, "data."), Location: site.location}
		if locate != nil {
			if l := locate(t); l != "" {
				f.Location = l
			}
		}
		switch x := t.Value.(type) {
		case ast.String:
			f.Message = string(x)
		case ast.Object:
			get := func(k string) string {
				if t := x.Get(ast.StringTerm(k)); t != nil {
					if s, ok := t.Value.(ast.String); ok {
						return string(s)
					}
					return t.String()
				}
				return ""
			}
			f.Message = get("msg")
			if f.Message == "" {
				f.Message = t.String()
			}
			f.ID, f.Resource, f.Fix, f.Topic = get("id"), get("resource"), get("fix"), get("topic")
			if c := get("check"); c != "" {
				f.Check = c
			}
			if l := get("location"); l != "" {
				f.Location = l
			}
		case ast.Boolean:
			if !x {
				return
			}
			f.Message = "rule " + rule + " is true"
		default:
			f.Message = t.String()
		}
		out = append(out, f)
	}
	switch c := v.(type) {
	case ast.Set, *ast.Array:
		each(c, add)
	case nil:
	default:
		add(ast.NewTerm(v))
	}
	return out
}

func sortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		af, al, ac := location.Split(a.Location)
		bf, bl, bc := location.Split(b.Location)
		return cmp.Or(
			cmp.Compare(af, bf),
			cmp.Compare(al, bl),
			cmp.Compare(ac, bc),
			cmp.Compare(a.ID, b.ID),
			cmp.Compare(a.Message, b.Message),
		)
	})
}
