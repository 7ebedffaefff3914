package acl

import (
	"slices"
	"strings"
)

// Request is one authorization question: may Principal, connected from Host,
// perform Operation on the resource ResourceType/ResourceName? Resource names
// in requests are literal, as in Kafka.
type Request struct {
	Principal    string // "User:alice"
	Host         string // the client's address; "" or "*" = unknown: only host "*" bindings apply
	Operation    Operation
	ResourceType ResourceType
	ResourceName string
}

// AuthorizerOptions are the broker settings that take part in decisions.
type AuthorizerOptions struct {
	SuperUsers           []string // super.users: principals that bypass ACLs
	AllowEveryoneIfNoACL bool     // allow.everyone.if.no.acl.found
}

// Reasons a Decision gives.
const (
	ReasonDenied       = "denied by DENY binding"
	ReasonAllowed      = "allowed by ALLOW binding"
	ReasonSuperUser    = "super user"
	ReasonNoMatch      = "no ACL matched"
	ReasonNoACLAllowed = "no ACLs on the resource and allow.everyone.if.no.acl.found=true"
	ReasonNoACLDenied  = "no ACLs on the resource and allow.everyone.if.no.acl.found=false"
)

// wildcardPrincipal is Kafka's principal for everyone (WILDCARD_KAFKA_PRINCIPAL).
const wildcardPrincipal = "User:*"

// Decision is the authorizer's answer. Deciding holds the bindings that
// decided it, sorted: every matching DENY binding when denied by ACL, every
// matching ALLOW binding when allowed by ACL, none otherwise.
type Decision struct {
	Allowed  bool
	Reason   string
	Deciding []Binding
}

// Authorizer decides requests the way Kafka's StandardAuthorizer does (see
// docs/design.md, "Kafka semantics to match"). It indexes the set once;
// a decision costs a few map lookups per distinct prefix length, whatever the
// number of bindings. It is safe for concurrent use.
type Authorizer struct {
	superUsers map[string]struct{}
	allowIfNo  bool
	byType     [maxResourceType + 1]*typeIndex // by wire code
}

// maxResourceType is the largest resource type wire code kafkaguard knows.
const maxResourceType = ResourceUser

// typeIndex holds the bindings of one resource type by pattern.
type typeIndex struct {
	literal    map[string]principalIndex // LITERAL name (not "*")
	prefixed   map[string]principalIndex // PREFIXED name
	prefixLens []int                     // distinct lengths of the PREFIXED names, ascending
	wildcard   principalIndex            // LITERAL "*"; nil when there is none
}

// principalIndex holds the bindings of one resource pattern by principal.
type principalIndex map[string][]Binding

// NewAuthorizer indexes s for decisions under opts.
func NewAuthorizer(s Set, opts AuthorizerOptions) *Authorizer {
	a := &Authorizer{
		superUsers: make(map[string]struct{}, len(opts.SuperUsers)),
		allowIfNo:  opts.AllowEveryoneIfNoACL,
	}
	for _, u := range opts.SuperUsers {
		a.superUsers[strings.TrimSpace(u)] = struct{}{}
	}
	for _, b := range s.bs {
		if b.ResourceType < 0 || b.ResourceType > maxResourceType {
			continue // not a type Kafka stores
		}
		ti := a.byType[b.ResourceType]
		if ti == nil {
			ti = &typeIndex{literal: map[string]principalIndex{}, prefixed: map[string]principalIndex{}}
			a.byType[b.ResourceType] = ti
		}
		var pi principalIndex
		switch {
		case b.PatternType == PatternLiteral && b.ResourceName == Wildcard:
			if ti.wildcard == nil {
				ti.wildcard = principalIndex{}
			}
			pi = ti.wildcard
		case b.PatternType == PatternLiteral:
			pi = ti.literal[b.ResourceName]
			if pi == nil {
				pi = principalIndex{}
				ti.literal[b.ResourceName] = pi
			}
		case b.PatternType == PatternPrefixed:
			pi = ti.prefixed[b.ResourceName]
			if pi == nil {
				pi = principalIndex{}
				ti.prefixed[b.ResourceName] = pi
				ti.prefixLens = append(ti.prefixLens, len(b.ResourceName))
			}
		default:
			continue // not a pattern Kafka stores
		}
		pi[b.Principal] = append(pi[b.Principal], b)
	}
	for _, ti := range a.byType {
		if ti == nil {
			continue
		}
		slices.Sort(ti.prefixLens)
		ti.prefixLens = slices.Compact(ti.prefixLens)
	}
	return a
}

// Authorize decides r: super users are allowed; otherwise a matching DENY
// binding denies, else a matching ALLOW binding allows; with no binding at
// all on the resource (any principal, host or operation),
// allow.everyone.if.no.acl.found decides; else the request is denied.
func (a *Authorizer) Authorize(r Request) Decision {
	if _, ok := a.superUsers[r.Principal]; ok {
		return Decision{Allowed: true, Reason: ReasonSuperUser}
	}
	m := matcher{r: r, collect: true}
	a.walk(r.ResourceType, r.ResourceName, m.check)
	switch {
	case m.denied:
		slices.SortFunc(m.deny, Compare)
		return Decision{Allowed: false, Reason: ReasonDenied, Deciding: m.deny}
	case m.allowed:
		slices.SortFunc(m.allow, Compare)
		return Decision{Allowed: true, Reason: ReasonAllowed, Deciding: m.allow}
	case !m.hasResourceACLs:
		return a.noACL()
	}
	return Decision{Allowed: false, Reason: ReasonNoMatch}
}

// Allowed reports whether r is allowed: Authorize's answer without the
// deciding bindings, for analyses that ask millions of questions.
func (a *Authorizer) Allowed(r Request) bool {
	if _, ok := a.superUsers[r.Principal]; ok {
		return true
	}
	m := matcher{r: r}
	a.walk(r.ResourceType, r.ResourceName, m.check)
	switch {
	case m.denied:
		return false
	case m.allowed:
		return true
	}
	return !m.hasResourceACLs && a.allowIfNo
}

// walk calls visit with the bindings of every pattern of typ that covers
// name: the LITERAL name, each PREFIXED prefix of it, LITERAL "*". visit may
// get nil (no binding on that pattern).
func (a *Authorizer) walk(typ ResourceType, name string, visit func(principalIndex)) {
	if typ < 0 || typ > maxResourceType || a.byType[typ] == nil {
		return
	}
	ti := a.byType[typ]
	visit(ti.literal[name])
	for _, l := range ti.prefixLens {
		if l > len(name) {
			break
		}
		visit(ti.prefixed[name[:l]])
	}
	visit(ti.wildcard)
}

func (a *Authorizer) noACL() Decision {
	if a.allowIfNo {
		return Decision{Allowed: true, Reason: ReasonNoACLAllowed}
	}
	return Decision{Allowed: false, Reason: ReasonNoACLDenied}
}

// matcher finds whether a DENY or an ALLOW binding of the resource's
// patterns decides r and, when collect is set, which ones.
type matcher struct {
	r               Request
	collect         bool
	hasResourceACLs bool
	allowed, denied bool
	allow, deny     []Binding
}

// check adds pi's bindings for r's principal and User:*; pi may be nil (no
// binding on that pattern).
func (m *matcher) check(pi principalIndex) {
	if len(pi) == 0 {
		return
	}
	m.hasResourceACLs = true
	m.add(pi[m.r.Principal])
	if m.r.Principal != wildcardPrincipal {
		m.add(pi[wildcardPrincipal])
	}
}

func (m *matcher) add(bs []Binding) {
	for _, b := range bs {
		if !hostMatches(b.Host, m.r.Host) {
			continue
		}
		switch {
		case b.Permission == PermDeny && operationMatches(b.Operation, m.r.Operation):
			m.denied = true
			if m.collect {
				m.deny = append(m.deny, b)
			}
		case b.Permission == PermAllow && allowImplies(b.Operation, m.r.Operation):
			m.allowed = true
			if m.collect {
				m.allow = append(m.allow, b)
			}
		}
	}
}

func hostMatches(binding, request string) bool {
	return binding == Wildcard || binding == request
}

func operationMatches(binding, request Operation) bool {
	return binding == OpAll || binding == request
}

// allowImplies reports whether an ALLOW binding for op grants req: ALL grants
// everything, READ, WRITE, DELETE and ALTER grant DESCRIBE, ALTER_CONFIGS
// grants DESCRIBE_CONFIGS (Kafka's AclOperation implication rules).
func allowImplies(op, req Operation) bool {
	if op == OpAll || op == req {
		return true
	}
	switch req {
	case OpDescribe:
		return op == OpRead || op == OpWrite || op == OpDelete || op == OpAlter
	case OpDescribeConfigs:
		return op == OpAlterConfigs
	}
	return false
}

// Matches reports whether b applies to r by the pure match rule: same
// principal or User:*, same host or "*", same resource type, a pattern that
// covers the name (LITERAL equal, LITERAL "*", or PREFIXED prefix), and the
// same operation or ALL. Implied operations (READ => DESCRIBE) are not
// considered: Authorize applies those for ALLOW bindings.
func (b Binding) Matches(r Request) bool {
	return b.MatchesPrincipal(r.Principal) &&
		hostMatches(b.Host, r.Host) &&
		b.MatchesResource(r.ResourceType, r.ResourceName) &&
		operationMatches(b.Operation, r.Operation)
}

// MatchesPrincipal reports whether b is for principal: b's principal is
// principal or User:*, Kafka's principal for everyone.
func (b Binding) MatchesPrincipal(principal string) bool {
	return b.Principal == principal || b.Principal == wildcardPrincipal
}

// MatchesResource reports whether b's resource pattern covers the resource
// typ/name: same type, and LITERAL equal name, LITERAL "*", or PREFIXED with a
// prefix of name.
func (b Binding) MatchesResource(typ ResourceType, name string) bool {
	if b.ResourceType != typ {
		return false
	}
	switch b.PatternType {
	case PatternLiteral:
		return b.ResourceName == name || b.ResourceName == Wildcard
	case PatternPrefixed:
		return strings.HasPrefix(name, b.ResourceName)
	}
	return false
}

// ResourceBindings returns every binding whose pattern covers the resource
// typ/name, whatever its principal, host, operation or permission, in no
// particular order: the bindings that can take part in any decision on that
// resource. Analyses use it to find the principals and hosts worth asking
// about instead of asking about every one.
func (a *Authorizer) ResourceBindings(typ ResourceType, name string) []Binding {
	var out []Binding
	a.EachResourceBinding(typ, name, func(b *Binding) { out = append(out, *b) })
	return out
}

// EachResourceBinding calls fn with each binding ResourceBindings returns,
// without copying them; fn must not keep or change *b.
func (a *Authorizer) EachResourceBinding(typ ResourceType, name string, fn func(b *Binding)) {
	a.walk(typ, name, func(pi principalIndex) {
		for _, bs := range pi {
			for i := range bs {
				fn(&bs[i])
			}
		}
	})
}

// OperationSet is a set of operations, one bit per wire code.
type OperationSet uint32

// OperationSetOf returns the set of ops.
func OperationSetOf(ops ...Operation) OperationSet {
	var s OperationSet
	for _, o := range ops {
		s |= 1 << uint(o)
	}
	return s
}

// Has reports whether op is in s.
func (s OperationSet) Has(op Operation) bool { return s&(1<<uint(op)) != 0 }

// AllowedOperations answers Allowed for every operation of typ at once, for
// principal from host on typ/name: one walk over the resource's patterns
// instead of one per operation.
func (a *Authorizer) AllowedOperations(principal, host string, typ ResourceType, name string) OperationSet {
	all := OperationSetOf(typ.Operations()...)
	if _, ok := a.superUsers[principal]; ok {
		return all
	}
	var allow, deny OperationSet
	hasResourceACLs := false
	add := func(bs []Binding) {
		for _, b := range bs {
			if !hostMatches(b.Host, host) {
				continue
			}
			ops := OperationSetOf(b.Operation)
			switch {
			case b.Operation == OpAll:
				ops = all
			case b.Permission == PermAllow && (b.Operation == OpRead || b.Operation == OpWrite || b.Operation == OpDelete || b.Operation == OpAlter):
				ops |= OperationSetOf(OpDescribe)
			case b.Permission == PermAllow && b.Operation == OpAlterConfigs:
				ops |= OperationSetOf(OpDescribeConfigs)
			}
			if b.Permission == PermDeny {
				deny |= ops
			} else {
				allow |= ops
			}
		}
	}
	a.walk(typ, name, func(pi principalIndex) {
		if len(pi) == 0 {
			return
		}
		hasResourceACLs = true
		add(pi[principal])
		if principal != wildcardPrincipal {
			add(pi[wildcardPrincipal])
		}
	})
	if !hasResourceACLs && a.allowIfNo {
		return all
	}
	return allow &^ deny & all
}
