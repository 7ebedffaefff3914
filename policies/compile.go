package policies

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown/cache"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/report"
	"github.com/kafkaguard/kafkaguard/inventory"
)

// DefaultTimeout bounds a policy evaluation when Options.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Options configures Compile.
type Options struct {
	PolicyDirs []string      // user policy directories or .rego files, beside the embedded library
	Timeout    time.Duration // evaluation deadline; 0 = DefaultTimeout
	// Capabilities is an OPA capabilities JSON file; "" = the sandbox
	// (SandboxCapabilities: no network or runtime builtins).
	Capabilities string
}

// Result is what the inventory and the policies produce.
type Result struct {
	ACLs acl.Set
	// Provenance names, for every binding, what produced it:
	// "grant inventory.yaml:14 (role producer)" or
	// "rule data.mypkg.acls (policies/x.rego:3)".
	Provenance map[acl.Binding][]string
	Deny, Warn []report.Finding
	// Checks names every check that ran: the library's (LibraryChecks) and
	// "<package>.deny" / "<package>.warn" for each user package.
	Checks []string
}

// Guardrail is one of the embedded library's deny or warn rules. Their IDs
// are KG6xx (deny KG601..., warn KG651...), a range of their own beside the
// audit's (KG1xx ACL drift ... KG5xx live guardrails), so a report can carry
// both without prefixes.
type Guardrail struct {
	ID       string
	Check    string
	Severity report.Severity // SeverityError for deny, SeverityWarning for warn
	Title    string
}

// LibraryGuardrails are the embedded guardrails in ID order.
var LibraryGuardrails = []Guardrail{
	{"KG601", "allow-everyone", report.SeverityError, "No ALLOW binding for every principal (User:*)"},
	{"KG602", "wildcard-resource", report.SeverityError, "No literal \"*\" topic or group for principals that are not superusers"},
	{"KG603", "restricted-cross-team-read", report.SeverityError, "Reading another team's restricted topic needs approved_by"},
	{"KG604", "superuser-weak-auth", report.SeverityError, "Superusers authenticate with SCRAM or mTLS"},
	{"KG651", "principal-without-grants", report.SeverityWarning, "Every principal has a grant"},
	{"KG652", "topic-without-writer", report.SeverityWarning, "Every declared topic has a writer"},
	{"KG653", "prefix-matches-nothing", report.SeverityWarning, "Every granted topic prefix matches a declared topic"},
}

// LibraryChecks are the checks of the embedded guardrails, by rule ID.
var LibraryChecks = guardrailMap(func(g Guardrail) string { return g.Check })

// LibraryRules are one-line titles of the embedded guardrails, by rule ID.
var LibraryRules = guardrailMap(func(g Guardrail) string { return g.Title })

func guardrailMap(f func(Guardrail) string) map[string]string {
	m := make(map[string]string, len(LibraryGuardrails))
	for _, g := range LibraryGuardrails {
		m[g.ID] = f(g)
	}
	return m
}

// Compile evaluates the embedded library and the user's policies over inv:
// the ACL bindings the grants (and user `acls` rules) produce, with their
// provenance, and the deny and warn findings of every package. The query is
// prepared once and evaluated once.
//
// Errors (exit 1): an mtls dn that maps to another principal (CheckDNs),
// Rego parse and compile errors (file:row:col), grant
// errors the library reports (unknown role, missing application_id, ...),
// invalid bindings (naming the grant or rule), and a timeout.
func Compile(ctx context.Context, inv *inventory.Inventory, opts Options) (*Result, error) {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	if err := CheckDNs(inv); err != nil {
		return nil, err
	}
	caps, err := loadCapabilities(opts.Capabilities)
	if err != nil {
		return nil, err
	}
	mods, err := loadModules(opts.PolicyDirs, false)
	if err != nil {
		return nil, err
	}
	// Each user definition of a deny or warn rule defined more than once
	// in a package is evaluated on its own too, to locate string results.
	copies := addRuleCopies(mods, "deny", "warn")
	compiler, err := copies.compile(mods, caps)
	if err != nil {
		return nil, err
	}

	// Three queries, one binding per rule of interest: the expansion (grant
	// resources, user acls), the deny rules (and the grant errors) and the
	// warn rules. They share little but the input, so they run at the same time
	// (the cores take turns with three), and the expansion is multiplied out
	// in Go while the findings are still being evaluated.
	lib := ast.MustParseRef("data.kafkaguard")
	expansion := []queryTerm{
		{name: "grant_resources_planned", ref: lib.Append(ast.StringTerm("grant_resources_planned"))},
		{name: "grant_resources_other", ref: lib.Append(ast.StringTerm("grant_resources_other"))},
	}
	var userACLs []ruleSite
	for _, s := range rulesNamed(mods, "acls") {
		if s.embedded {
			continue
		}
		userACLs = append(userACLs, s)
		expansion = append(expansion, queryTerm{name: "acls" + strconv.Itoa(len(userACLs)-1), ref: s.pkg.Append(ast.StringTerm("acls"))})
	}
	// grant_errors go with the deny rules, off the expansion's path (the
	// longest); they are checked before the expansion's own errors.
	denies, warns := rulesNamed(mods, "deny"), rulesNamed(mods, "warn")
	denyTerms := append([]queryTerm{{name: "grant_errors", ref: lib.Append(ast.StringTerm("grant_errors"))}},
		findingTerms(denies, "deny", copies)...)
	warnTerms := findingTerms(warns, "warn", copies)
	var pqs [3]rego.PreparedEvalQuery
	for i, terms := range [][]queryTerm{expansion, denyTerms, warnTerms} {
		if pqs[i], err = prepareQuery(ctx, compiler, terms); err != nil {
			return nil, evalError(ctx, timeout, err)
		}
	}
	in := InputValue(inv)

	var (
		found   [3]results // deny at 1, warn at 2
		findErr [3]error
		wg      sync.WaitGroup
	)
	for i := 1; i <= 2; i++ {
		wg.Go(func() {
			// A panic here would end the process with the runtime's exit
			// code 2 (read as "findings"); it becomes this query's error.
			defer func() {
				if r := recover(); r != nil {
					findErr[i] = fmt.Errorf("internal error: policy evaluation panicked: %v", r)
				}
			}()
			found[i], findErr[i] = evalQuery(ctx, pqs[i], in)
		})
	}
	res, userBindingErr, expErr := expand(ctx, pqs[0], in, inv, userACLs)
	wg.Wait()
	// Errors in the order the rules were evaluated in before (one query:
	// expansion, deny, warn), so the same error wins.
	for _, err := range []error{expErr, findErr[1], findErr[2]} {
		if err != nil {
			return nil, evalError(ctx, timeout, err)
		}
	}
	if errs := stringsOf(found[1].get("grant_errors")); len(errs) > 0 {
		sort.Strings(errs)
		msg := errs[0]
		if len(errs) > 1 {
			msg += fmt.Sprintf(" (and %d more)", len(errs)-1)
		}
		return nil, errors.New(msg)
	}
	if userBindingErr != nil {
		return nil, userBindingErr
	}
	res.Deny = findingsOfRules(found[1], denies, "deny", report.SeverityError, copies)
	res.Warn = findingsOfRules(found[2], warns, "warn", report.SeverityWarning, copies)
	for _, c := range LibraryChecks {
		res.Checks = append(res.Checks, c)
	}
	res.Checks = append(res.Checks, userChecks(denies, "deny")...)
	res.Checks = append(res.Checks, userChecks(warns, "warn")...)
	sort.Strings(res.Checks)
	return res, nil
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
func findingsOfRules(found results, sites []ruleSite, kind string, sev report.Severity, copies *ruleCopies) []report.Finding {
	var out []report.Finding
	for i, s := range sites {
		out = append(out, findingsOf(found.get(kind+strconv.Itoa(i)), s, kind, sev, copies.locator(s.pkg, kind, found.get))...)
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

// expand evaluates the expansion query and multiplies it out: the result
// with its ACLs and provenance. evalErr is an evaluation error; err one in
// what the rules produced (an invalid binding, a grant that gives nothing).
func expand(ctx context.Context, pq rego.PreparedEvalQuery, in ast.Value, inv *inventory.Inventory, userACLs []ruleSite) (res *Result, err, evalErr error) {
	rs, evalErr := evalQuery(ctx, pq, in)
	if evalErr != nil {
		return nil, nil, evalErr
	}
	get := rs.get

	res = &Result{Provenance: make(map[acl.Binding][]string, 10*len(inv.Grants))}
	bindings, err := expandGrants(inv, get("grant_resources_planned"), get("grant_resources_other"), res.Provenance)
	if err != nil {
		return nil, err, nil
	}
	for i, s := range userACLs {
		prov := fmt.Sprintf("rule %s.acls (%s)", s.pkg, s.location)
		bs, err := userBindings(get("acls"+strconv.Itoa(i)), prov)
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

type queryTerm struct {
	name string
	ref  ast.Ref
}

// prepareQuery prepares one query binding each term's name to [x | x := ref]:
// wrapped in a comprehension so a rule that is undefined (e.g. a boolean
// deny) cannot make the whole query undefined.
func prepareQuery(ctx context.Context, compiler *ast.Compiler, terms []queryTerm) (rego.PreparedEvalQuery, error) {
	var q strings.Builder
	for i, t := range terms {
		if i > 0 {
			q.WriteString("; ")
		}
		fmt.Fprintf(&q, "%s := [x | x := %s]", t.name, t.ref)
	}
	if len(terms) == 0 {
		q.WriteString("true")
	}
	pq, err := rego.New(
		rego.Compiler(compiler),
		rego.Query(q.String()),
	).PrepareForEval(ctx)
	if err != nil {
		return pq, policyError("compile", err)
	}
	return pq, nil
}

// results are a query's bindings by name.
type results map[string]any

// get is the value a term's rule produced, nil when it is undefined.
func (r results) get(name string) ast.Value {
	t, _ := r[name].(*ast.Term)
	if t == nil {
		return nil
	}
	arr, ok := t.Value.(*ast.Array)
	if !ok || arr.Len() == 0 {
		return nil
	}
	return arr.Elem(0).Value
}

func evalQuery(ctx context.Context, pq rego.PreparedEvalQuery, in ast.Value) (results, error) {
	rs, err := pq.Eval(ctx,
		rego.EvalParsedInput(in),
		rego.EvalRuleIndexing(true),
		// Lets strings.any_prefix_match build a trie for a collection it sees
		// again (the written prefixes, once per declared topic).
		rego.EvalInterQueryBuiltinValueCache(cache.NewInterQueryValueCache(ctx, nil)),
		rego.EvalGenerateJSON(func(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil }),
	)
	if err != nil {
		return nil, err
	}
	if len(rs) != 1 {
		return nil, errors.New("policy evaluation returned no result")
	}
	return results(rs[0].Bindings), nil
}

func evalError(ctx context.Context, timeout time.Duration, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("policy evaluation did not finish within %s (raise --timeout, or look for a rule that loops over every topic)", timeout)
	}
	var pe *PolicyError
	if errors.As(err, &pe) {
		return err
	}
	return fmt.Errorf("policy evaluation: %s", strings.ReplaceAll(err.Error(), "\n", " "))
}

// Cached enum lookups: parsing names for every one of 200k bindings shows.
var (
	resourceTypeByName = map[string]acl.ResourceType{}
	patternTypeByName  = map[string]acl.PatternType{}
	operationByName    = map[string]acl.Operation{}
)

func init() {
	for _, rt := range acl.ResourceTypes() {
		resourceTypeByName[rt.String()] = rt
	}
	for _, pt := range []acl.PatternType{acl.PatternLiteral, acl.PatternPrefixed} {
		patternTypeByName[pt.String()] = pt
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
func expandGrants(inv *inventory.Inventory, v, otherV ast.Value, prov map[acl.Binding][]string) ([]acl.Binding, error) {
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
	var err error
	for idx := 0; idx < arr.Len() && err == nil; idx++ {
		rv := arr.Elem(idx)
		if other != nil {
			if t := other.Get(ast.InternedTerm(idx)); t != nil {
				rv = t
			}
		}
		g := inv.Grants[idx]
		what := "role " + g.Role
		if g.Role == "" {
			what = "operations"
		}
		p := "grant " + g.Source + " (" + what + ")"
		ps := []string{p} // shared by the grant's bindings; cap 1, so append copies
		principal := "User:" + g.Principal
		perm := acl.PermAllow
		if g.Permission == "DENY" {
			perm = acl.PermDeny
		}
		entries, ok := rv.Value.(*ast.Array)
		if !ok {
			err = fmt.Errorf("%s: grant: the role expansion is not a list", g.Source)
			break
		}
		before := len(out)
		var ops []acl.Operation
		entries.Foreach(func(e *ast.Term) {
			if err != nil {
				return
			}
			parts, ok := e.Value.(*ast.Array)
			if !ok || parts.Len() != 3 {
				err = fmt.Errorf("%s: grant: malformed role expansion entry %s", g.Source, e)
				return
			}
			rtName, _ := parts.Elem(0).Value.(ast.String)
			rt, ok := resourceTypeByName[string(rtName)]
			if !ok {
				err = fmt.Errorf("%s: grant: unknown resource type %s", g.Source, parts.Elem(0))
				return
			}
			names, ok1 := parts.Elem(1).Value.(*ast.Array)
			opTerms, ok2 := parts.Elem(2).Value.(*ast.Array)
			if !ok1 || !ok2 {
				err = fmt.Errorf("%s: grant: malformed role expansion entry %s (want [type, [names], [operations]])", g.Source, e)
				return
			}
			ops = ops[:0]
			opTerms.Foreach(func(o *ast.Term) {
				if err != nil {
					return
				}
				os, _ := o.Value.(ast.String)
				op, ok := operationByName[string(os)]
				if !ok {
					op, ok = operationByName[strings.ToUpper(string(os))]
				}
				if !ok {
					err = fmt.Errorf("%s: grant: unknown operation %s", g.Source, o)
					return
				}
				ops = append(ops, op)
			})
			names.Foreach(func(n *ast.Term) {
				if err != nil {
					return
				}
				written, ok := n.Value.(ast.String)
				if !ok {
					err = fmt.Errorf("%s: grant: resource name %s is not a string", g.Source, n)
					return
				}
				name, pt := inventory.SplitName(string(written))
				for _, op := range ops {
					for _, h := range g.Hosts {
						b := acl.Binding{Principal: principal, Host: h, ResourceType: rt, ResourceName: name, PatternType: pt, Operation: op, Permission: perm}
						if verr := b.Validate(); verr != nil {
							err = fmt.Errorf("%s: grant (%s) produces an invalid binding: %v", g.Source, what, verr)
							return
						}
						if old, ok := prov[b]; !ok {
							prov[b] = ps[:1:1]
						} else if !slices.Contains(old, p) {
							prov[b] = append(old, p)
						}
						out = append(out, b)
					}
				}
			})
		})
		if err == nil && len(out) == before {
			err = fmt.Errorf("%s: grant: %s gives %s nothing here (list the topics, groups or transactional_ids it applies to)", g.Source, what, g.Principal)
		}
	}
	return out, err
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

// findingsOf turns deny/warn results (conftest style: strings, or objects
// with msg and optional id, check, resource, fix, location) into findings.
// A result without a location of its own is located at the rule: at the
// definition that produced it when locate (ruleCopies.locator) knows it,
// else at site.
func findingsOf(v ast.Value, site ruleSite, kind string, sev report.Severity, locate func(*ast.Term) string) []report.Finding {
	rule := site.pkg.String() + "." + kind
	var out []report.Finding
	add := func(t *ast.Term) {
		f := report.Finding{Severity: sev, Check: strings.TrimPrefix(rule, "data."), Location: site.location}
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
			f.ID, f.Resource, f.Fix = get("id"), get("resource"), get("fix")
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

func sortFindings(fs []report.Finding) {
	slices.SortStableFunc(fs, func(a, b report.Finding) int {
		af, al, ac := report.SplitLocation(a.Location)
		bf, bl, bc := report.SplitLocation(b.Location)
		return cmp.Or(
			cmp.Compare(af, bf),
			cmp.Compare(al, bl),
			cmp.Compare(ac, bc),
			cmp.Compare(a.ID, b.ID),
			cmp.Compare(a.Message, b.Message),
		)
	})
}
