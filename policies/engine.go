package policies

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/inventory"
)

// DefaultTimeout bounds a policy evaluation when Options.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Options configures Load (and Compile).
type Options struct {
	PolicyDirs []string // user policy directories or .rego files, beside the embedded library
	// Timeout bounds preparing the policies (Load) and each evaluation
	// (Engine.Compile); 0 = DefaultTimeout.
	Timeout time.Duration
	// Capabilities is an OPA capabilities JSON file; "" = the sandbox
	// (SandboxCapabilities: no network or runtime builtins).
	Capabilities string
	// Now is the time that decides which grants and waivers have expired
	// and which expire soon (their dates are days in UTC); zero = the
	// time of each Compile.
	Now time.Time
}

// Result is what the inventory and the policies produce.
type Result struct {
	ACLs acl.Set
	// Provenance names, for every binding, what produced it: the grants
	// and the user acls rules, in that order.
	Provenance map[acl.Binding][]Provenance
	Deny, Warn []Finding // sorted by location
	// Info are findings to know about that need no action: deny and warn
	// findings an effective waiver waived (their message says by which).
	Info []Finding
	// Expired are the grants whose expires date has passed: compile left
	// them out, so their ACLs are not in ACLs (guardrail KG656 says so).
	Expired []inventory.Grant
	// Checks names every check that ran: the library's (LibraryChecks) and
	// "<package>.deny" / "<package>.warn" for each user package.
	Checks []string
}

// Engine is the embedded library and the user's policies parsed, compiled
// and prepared once: Compile evaluates them over any number of inventories
// (one per cluster of an audit), also at the same time.
type Engine struct {
	timeout time.Duration
	now     time.Time // Options.Now
	// The three prepared queries, one binding per rule of interest: the
	// expansion (grant resources, user acls), the deny rules (and the grant
	// errors) and the warn rules. They share little but the input, so they
	// run at the same time, and the expansion is multiplied out in Go while
	// the findings are still being evaluated.
	expansion, deny, warn rego.PreparedEvalQuery
	// denyIndexed is the deny query with the library's input indexes
	// built in Go (denyindex.go); deny is the same query with the rules
	// evaluated as written, for an input the indexes are not built for.
	denyIndexed   rego.PreparedEvalQuery
	indexed       bool       // denyIndexed is prepared
	userACLs      []ruleSite // user packages with an acls rule
	denies, warns []ruleSite
	copies        *ruleCopies
	checks        []string
}

// Load parses and compiles the embedded library and the user's policies in
// opts.PolicyDirs and prepares their queries. Errors (exit 1): unreadable
// policy directories, Rego parse and compile errors (file:row:col), and a
// *TimeoutError.
func Load(ctx context.Context, opts Options) (*Engine, error) {
	e := &Engine{timeout: opts.Timeout, now: opts.Now}
	if e.timeout <= 0 {
		e.timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()

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
	e.copies = addRuleCopies(mods, "deny", "warn")
	compiler, err := e.copies.compile(mods, caps)
	if err != nil {
		return nil, err
	}

	lib := ast.MustParseRef("data.kafkaguard")
	expansion := []queryTerm{
		{name: "role_plans", ref: lib.Append(ast.StringTerm("role_plans"))},
		{name: "grant_resources_other", ref: lib.Append(ast.StringTerm("grant_resources_other"))},
	}
	for _, s := range rulesNamed(mods, "acls") {
		if s.embedded {
			continue
		}
		e.userACLs = append(e.userACLs, s)
		expansion = append(expansion, queryTerm{name: "acls" + strconv.Itoa(len(e.userACLs)-1), ref: s.pkg.Append(ast.StringTerm("acls"))})
	}
	// grant_errors go with the deny rules, off the expansion's path (the
	// longest); they are checked before the expansion's own errors.
	e.denies, e.warns = rulesNamed(mods, "deny"), rulesNamed(mods, "warn")
	denyTerms := append([]queryTerm{{name: "grant_errors", ref: lib.Append(ast.StringTerm("grant_errors"))}},
		findingTerms(e.denies, "deny", e.copies)...)
	warnTerms := findingTerms(e.warns, "warn", e.copies)
	type query struct {
		pq           *rego.PreparedEvalQuery
		terms        []queryTerm
		prefix, with string
	}
	queries := []query{{&e.expansion, expansion, "", ""}, {&e.deny, denyTerms, "", ""}, {&e.warn, warnTerms, "", ""}}
	if e.indexed = !userDefinesIndexRules(mods); e.indexed {
		prefix, with := denyIndexQuery()
		queries = append(queries, query{&e.denyIndexed, denyTerms, prefix, with})
	}
	for _, q := range queries {
		if *q.pq, err = prepareQuery(ctx, compiler, q.terms, q.prefix, q.with); err != nil {
			return nil, e.evalError(ctx, err)
		}
	}

	for _, c := range LibraryChecks() {
		e.checks = append(e.checks, c)
	}
	e.checks = append(e.checks, userChecks(e.denies, "deny")...)
	e.checks = append(e.checks, userChecks(e.warns, "warn")...)
	sort.Strings(e.checks)
	return e, nil
}

// Compile evaluates the engine's policies over inv: the ACL bindings the
// grants (and user acls rules) produce, with their provenance, and the deny
// and warn findings of every package.
//
// Errors (exit 1): an mtls dn that maps to another principal (CheckDNs),
// grant errors the library reports (unknown role, missing application_id,
// ...), invalid bindings (naming the grant or rule), and a *TimeoutError.
func (e *Engine) Compile(ctx context.Context, inv *inventory.Inventory) (*Result, error) {
	return e.CompileSkipping(ctx, inv, Skip{})
}

// Skip names what a command does not print, so that Compile need not work
// it out. The zero value skips nothing.
type Skip struct {
	// Provenance leaves Result.Provenance nil (compile without --explain,
	// plan, apply, policy check).
	Provenance bool
	// Warnings is for the commands that print only the expiry warnings
	// (KG655, KG656) and the waived findings (compile, plan, apply): the
	// warn rules are not evaluated when they could produce neither, that
	// is when no grant has an expires date, none has expired, there are no
	// waivers and no user package has warn rules. Result.Warn is then
	// empty; otherwise it is complete.
	Warnings bool
}

// CompileSkipping is Compile without what skip names.
func (e *Engine) CompileSkipping(ctx context.Context, inv *inventory.Inventory, skip Skip) (*Result, error) {
	if err := CheckDNs(inv); err != nil {
		return nil, err
	}
	return e.compile(ctx, inv, skip)
}

// Compile loads the policies of opts and compiles inv with them: Load and
// Engine.Compile in one call, for a single inventory. An mtls dn that maps
// to another principal is reported before any policy error.
func Compile(ctx context.Context, inv *inventory.Inventory, opts Options) (*Result, error) {
	if err := CheckDNs(inv); err != nil {
		return nil, err
	}
	e, err := Load(ctx, opts)
	if err != nil {
		return nil, err
	}
	return e.compile(ctx, inv, Skip{})
}

func (e *Engine) compile(ctx context.Context, inv *inventory.Inventory, skip Skip) (*Result, error) {
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	now := e.now
	if now.IsZero() {
		now = time.Now()
	}
	inv, expired := withoutExpiredGrants(inv, now)
	in := inputValueAt(inv, now, expired)

	var (
		denyRes, warnRes results
		denyErr, warnErr error
		wg               sync.WaitGroup
	)
	wg.Go(func() {
		denyRes, denyErr = recovered(func() (results, error) {
			if e.indexed {
				if indexed := indexedInput(in, inv); indexed != nil {
					return evalQuery(ctx, e.denyIndexed, indexed)
				}
			}
			return evalQuery(ctx, e.deny, in)
		})
	})
	if !skip.Warnings || e.warningsPrinted(inv, expired) {
		wg.Go(func() {
			warnRes, warnErr = recovered(func() (results, error) { return evalQuery(ctx, e.warn, in) })
		})
	}
	res, userBindingErr, expErr := e.expand(ctx, in, inv, !skip.Provenance)
	wg.Wait()
	// Errors in the order the rules were evaluated in before (one query:
	// expansion, deny, warn), so the same error wins.
	for _, err := range []error{expErr, denyErr, warnErr} {
		if err != nil {
			return nil, e.evalError(ctx, err)
		}
	}
	if errs := stringsOf(denyRes.get("grant_errors")); len(errs) > 0 {
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
	var waivedDeny, waivedWarn []Finding
	res.Deny, waivedDeny = applyWaivers(findingsOfRules(denyRes, e.denies, "deny", e.copies), inv.Waivers, now)
	res.Warn, waivedWarn = applyWaivers(findingsOfRules(warnRes, e.warns, "warn", e.copies), inv.Waivers, now)
	res.Info = append(waivedDeny, waivedWarn...)
	sortFindings(res.Info)
	res.Expired = expired
	res.Checks = append([]string(nil), e.checks...)
	return res, nil
}

// TimeoutError is a policy preparation or evaluation that did not finish
// within Options.Timeout. Its text names no flag: the caller says which
// setting raises the timeout.
type TimeoutError struct {
	Timeout time.Duration
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("policy evaluation did not finish within %s", e.Timeout)
}

// Is makes a TimeoutError match context.DeadlineExceeded.
func (e *TimeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

func (e *Engine) evalError(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &TimeoutError{Timeout: e.timeout}
	}
	var pe *PolicyError
	if errors.As(err, &pe) {
		return err
	}
	return fmt.Errorf("policy evaluation: %s", strings.ReplaceAll(err.Error(), "\n", " "))
}

type queryTerm struct {
	name string
	ref  ast.Ref
}

// prepareQuery prepares one query binding each term's name to [x | x := ref]:
// wrapped in a comprehension so a rule that is undefined (e.g. a boolean
// deny) cannot make the whole query undefined. prefix ("" or expressions)
// comes first, and with ("" or " with ... as ...") modifies the evaluation
// of each ref.
func prepareQuery(ctx context.Context, compiler *ast.Compiler, terms []queryTerm, prefix, with string) (rego.PreparedEvalQuery, error) {
	var q strings.Builder
	q.WriteString(prefix)
	for i, t := range terms {
		if i > 0 || prefix != "" {
			q.WriteString("; ")
		}
		fmt.Fprintf(&q, "%s := [x | x := %s%s]", t.name, t.ref, with)
	}
	if len(terms) == 0 && prefix == "" {
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

// warningsPrinted reports whether the warn rules could produce what the
// commands that skip warnings print (Skip.Warnings): an expiry warning, a
// waived finding, or anything from a user's warn rule.
func (e *Engine) warningsPrinted(inv *inventory.Inventory, expired []inventory.Grant) bool {
	if len(expired) > 0 || len(inv.Waivers) > 0 {
		return true
	}
	for _, s := range e.warns {
		if !s.embedded {
			return true
		}
	}
	for i := range inv.Grants {
		if inv.Grants[i].Expires != "" {
			return true
		}
	}
	return false
}

// evalQuery evaluates pq over in. No inter-query value cache is given:
// the builtin it would help, strings.any_prefix_match (which in OPA 1.22
// keeps a trie for a collection it sees again), is declared CanSkipBctx,
// so OPA never passes it a BuiltinContext and the cache would not reach it.
func evalQuery(ctx context.Context, pq rego.PreparedEvalQuery, in ast.Value) (results, error) {
	rs, err := pq.Eval(ctx,
		rego.EvalParsedInput(in),
		rego.EvalRuleIndexing(true),
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

// recovered runs f, turning a panic into its error: on another goroutine a
// panic would end the process with the runtime's exit code 2, which reads as
// "findings".
func recovered[T any](f func() (T, error)) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: policy evaluation panicked: %v", r)
		}
	}()
	return f()
}
