// Package analysis answers reviewers' and auditors' questions about a set of
// ACL bindings with the rules of package acl's authorizer (Kafka's
// StandardAuthorizer): who may do something to a resource, what a principal
// may do, and whose effective access changes between two sets. It does no
// I/O: callers load the sets and render the answers.
package analysis

import (
	"slices"
	"strings"

	"github.com/kafkaguard/kafkaguard/acl"
)

// Anyone is Kafka's wildcard principal. As a request principal it stands for
// every principal that has no binding of its own on the resource: the
// authorizer gives them all the same answer.
const Anyone = "User:*"

// Index is a set of bindings prepared for questions: the authorizer and the
// principals it knows.
type Index struct {
	set        acl.Set
	opts       acl.AuthorizerOptions
	az         *acl.Authorizer
	principals []string // known principals, sorted, without User:*
}

// NewIndex indexes s under the broker settings opts. The known principals
// are those of the bindings, the super users and extra (e.g. the principals
// an inventory declares); who-can lists the known principals that are
// allowed. "User:*" in opts.SuperUsers is dropped: it names the wildcard
// principal, which no client authenticates as.
func NewIndex(s acl.Set, opts acl.AuthorizerOptions, extra ...string) *Index {
	opts.SuperUsers = slices.DeleteFunc(slices.Clone(opts.SuperUsers), func(p string) bool { return strings.TrimSpace(p) == Anyone })
	var ps []string
	for _, b := range s.Bindings() {
		ps = append(ps, b.Principal)
	}
	for _, p := range opts.SuperUsers {
		ps = append(ps, strings.TrimSpace(p))
	}
	ps = append(ps, extra...)
	slices.Sort(ps)
	ps = slices.Compact(ps)
	ps = slices.DeleteFunc(ps, func(p string) bool { return p == Anyone || p == "" })
	return &Index{set: s, opts: opts, az: acl.NewAuthorizer(s, opts), principals: ps}
}

// Set returns the indexed bindings.
func (x *Index) Set() acl.Set { return x.set }

// Principals returns the known principals, sorted.
func (x *Index) Principals() []string { return slices.Clone(x.principals) }

// Authorizer returns the authorizer the answers come from.
func (x *Index) Authorizer() *acl.Authorizer { return x.az }

// PrincipalDecision is the authorizer's answer for one principal.
type PrincipalDecision struct {
	Principal string
	acl.Decision
}

// WhoCanResult answers "who may do Operation on the resource from Host?".
type WhoCanResult struct {
	Operation    acl.Operation
	ResourceType acl.ResourceType
	ResourceName string
	Host         string
	// Principals are the known principals that are allowed, sorted.
	Principals []string
	// Anyone is whether a principal with no binding of its own on the
	// resource is allowed (through User:* or allow.everyone.if.no.acl.found).
	Anyone bool
	// Decisions explain the answers that are not simply Anyone's: User:*
	// first, then every super user and every principal with a binding on
	// the resource, sorted.
	Decisions []PrincipalDecision
}

// WhoCan answers who may perform op on typ/name from host ("*" or "" for an
// unspecified host: only host * bindings apply), with Kafka's rules. A known
// principal without a binding of its own on the resource gets Anyone's
// answer, so only the others are asked about: the cost is one decision per
// principal with a binding on the resource, not per known principal.
func (x *Index) WhoCan(op acl.Operation, typ acl.ResourceType, name, host string) WhoCanResult {
	if host == "" {
		host = acl.Wildcard
	}
	ask := func(p string) acl.Decision {
		return x.az.Authorize(acl.Request{Principal: p, Host: host, Operation: op, ResourceType: typ, ResourceName: name})
	}
	res := WhoCanResult{Operation: op, ResourceType: typ, ResourceName: name, Host: host}
	anyone := ask(Anyone)
	res.Anyone = anyone.Allowed
	res.Decisions = append(res.Decisions, PrincipalDecision{Anyone, anyone})

	var own []string // principals with their own answer
	x.az.EachResourceBinding(typ, name, func(b *acl.Binding) { own = append(own, b.Principal) })
	for _, p := range x.opts.SuperUsers {
		own = append(own, strings.TrimSpace(p))
	}
	slices.Sort(own)
	own = slices.Compact(own)
	own = slices.DeleteFunc(own, func(p string) bool { return p == Anyone || p == "" })
	allowed := map[string]bool{}
	for _, p := range own {
		d := ask(p)
		allowed[p] = d.Allowed
		res.Decisions = append(res.Decisions, PrincipalDecision{p, d})
	}
	for _, p := range x.principals {
		ok, isOwn := allowed[p]
		if (isOwn && ok) || (!isOwn && res.Anyone) {
			res.Principals = append(res.Principals, p)
		}
	}
	return res
}
