package policies

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// A deny or warn result without a location of its own (a string, or an
// object without "location") is located at the rule that produced it. When
// a package defines the rule once in the user's files, that is the rule's
// location (ruleSite). When it defines it several times, Compile evaluates
// each of those definitions on its own too: ruleCopies adds a copy of each
// under a generated name, in a module of its own beside the original (same
// package and imports, so the body means the same), and a result is located
// at the first definition (by file and row) whose copy produced it.
//
// Only user definitions are copied, and only in packages with two or more
// of them: the library's guardrails give every finding an explicit
// location, so the common case (a library without user rules, or user
// packages with one deny and one warn rule) evaluates nothing more.

// ruleCopy is one copied definition: its query term and where the original
// is.
type ruleCopy struct {
	term     string  // the query binding, "<kind>_at<i>"
	ref      ast.Ref // data.<pkg>.<generated name>
	location string  // "file:row" of the original definition
}

// ruleCopies are the copies by rule ("data.pkg.deny"), in file and row
// order, and the modules they live in (by module name).
type ruleCopies struct {
	byRule  map[string][]ruleCopy
	modules []string
}

// copyModuleSuffix names a module of copies: the original's name plus this.
const copyModuleSuffix = "#kafkaguard-rule-copies"

// addRuleCopies adds to mods the copies of the user definitions of the
// rules called one of kinds ("deny", "warn") in packages that define one of
// them more than once in user files. Function rules, ref heads
// (deny.x contains ...) and default rules are not copied: their results stay
// at the rule's location.
func addRuleCopies(mods map[string]*ast.Module, kinds ...string) *ruleCopies {
	rc := &ruleCopies{byRule: map[string][]ruleCopy{}}
	files := make([]string, 0, len(mods))
	for f := range mods {
		if !strings.HasPrefix(f, EmbeddedPrefix) {
			files = append(files, f)
		}
	}
	sort.Strings(files)
	copyable := func(r *ast.Rule, kind string) bool {
		ref := r.Head.Ref()
		if len(ref) != 1 || len(r.Head.Args) > 0 || r.Default {
			return false
		}
		v, ok := ref[0].Value.(ast.Var)
		return ok && string(v) == kind
	}
	// How many user definitions each rule has.
	count := map[string]int{}
	for _, f := range files {
		m := mods[f]
		for _, r := range m.Rules {
			for _, kind := range kinds {
				if copyable(r, kind) {
					count[m.Package.Path.String()+"."+kind]++
				}
			}
		}
	}
	n := 0
	for _, f := range files {
		m := mods[f]
		var copies []*ast.Rule
		for _, r := range m.Rules {
			for _, kind := range kinds {
				rule := m.Package.Path.String() + "." + kind
				if !copyable(r, kind) || count[rule] < 2 {
					continue
				}
				name := ast.Var(fmt.Sprintf("__kafkaguard_%s_at_%d__", kind, n))
				cp := r.Copy()
				cp.Annotations = nil
				for e := cp; e != nil; e = e.Else {
					e.Head.Name = name
					e.Head.Reference = ast.Ref{ast.NewTerm(name).SetLocation(e.Head.Reference[0].Location)}
				}
				copies = append(copies, cp)
				rc.byRule[rule] = append(rc.byRule[rule], ruleCopy{
					term:     kind + "_at" + strconv.Itoa(n),
					ref:      m.Package.Path.Append(ast.StringTerm(string(name))),
					location: fileRow(r.Location),
				})
				n++
			}
		}
		if len(copies) == 0 {
			continue
		}
		cm := m.Copy()
		cm.Annotations, cm.Comments = nil, nil
		cm.Rules = copies
		for _, r := range copies {
			for e := r; e != nil; e = e.Else {
				e.Module = cm
			}
		}
		name := f + copyModuleSuffix
		mods[name] = cm
		rc.modules = append(rc.modules, name)
	}
	return rc
}

// compile compiles mods with the copies. Should that fail, the error is
// the one the modules without the copies give (a copy repeats its
// original's errors, which would be counted twice).
func (rc *ruleCopies) compile(mods map[string]*ast.Module, caps *capabilities) (*ast.Compiler, error) {
	c, err := compileModules(mods, false, caps)
	if err == nil || len(rc.modules) == 0 {
		return c, err
	}
	without := make(map[string]*ast.Module, len(mods))
	for name, m := range mods {
		if !strings.HasSuffix(name, copyModuleSuffix) {
			without[name] = m
		}
	}
	if _, err2 := compileModules(without, false, caps); err2 != nil {
		return nil, err2
	}
	return nil, err
}

// terms are the query terms of the copies of the rule kind of pkg.
func (rc *ruleCopies) terms(pkg ast.Ref, kind string) []queryTerm {
	var out []queryTerm
	for _, c := range rc.byRule[pkg.String()+"."+kind] {
		out = append(out, queryTerm{name: c.term, ref: c.ref})
	}
	return out
}

// locator returns where a result of the rule kind of pkg comes from: the
// location of the first definition whose copy produced it, "" when unknown
// (no copies, or no copy produced it). get gives a query term's value.
func (rc *ruleCopies) locator(pkg ast.Ref, kind string, get func(string) ast.Value) func(*ast.Term) string {
	copies := rc.byRule[pkg.String()+"."+kind]
	if len(copies) == 0 {
		return nil
	}
	values := make([]ast.Value, len(copies))
	for i, c := range copies {
		values[i] = get(c.term)
	}
	return func(t *ast.Term) string {
		for i, v := range values {
			switch x := v.(type) {
			case nil:
			case ast.Set:
				if x.Contains(t) {
					return copies[i].location
				}
			case *ast.Array:
				for j := range x.Len() {
					if x.Elem(j).Equal(t) {
						return copies[i].location
					}
				}
			default:
				if ast.Compare(x, t.Value) == 0 {
					return copies[i].location
				}
			}
		}
		return ""
	}
}
