package analysis

import (
	"cmp"
	"slices"
	"strings"

	"github.com/kafkaguard/kafkaguard/acl"
)

// Risk kinds a Change may carry.
const (
	RiskPrefix        = "prefix"         // gained on a PREFIXED pattern: names that may not exist yet
	RiskWildcard      = "wildcard"       // gained on every name of the type (LITERAL "*")
	RiskAnyone        = "anyone"         // gained by User:*: every principal
	RiskCrossTeam     = "cross-team"     // gained on a restricted or confidential topic of another team
	RiskBreaksService = "breaks-service" // lost by a principal that still runs (declared or bound in head)
)

// Change is one effective access change: Principal, connecting from Host,
// gained or lost Operation on the names of a resource pattern.
type Change struct {
	// Principal is the principal, or User:* for every principal that has
	// no binding of its own on the resource (anyone).
	Principal string
	// Host is the client address, or "*" for every address that no
	// host-specific binding names.
	Host         string
	ResourceType acl.ResourceType
	// ResourceName and PatternType are the pattern: a LITERAL name, a
	// PREFIXED prefix (the names under it that no more specific pattern of
	// either set covers), or LITERAL "*" (the names no other pattern of
	// either set covers).
	ResourceName string
	PatternType  acl.PatternType
	Operation    acl.Operation
	Gained       bool     // true: denied in base, allowed in head; false: the reverse
	Example      string   // a resource name the change is true for, to check with `access can`
	Risks        []string // sorted
}

// Metadata is what an inventory tells about principals and topics, for risk
// flags. The zero value flags only what the bindings alone show.
type Metadata struct {
	Teams    map[string]string // principal ("User:x") -> team
	Topics   []Topic
	Declared map[string]bool // principals the head declares: they still run
}

// Topic is a declared topic or topic family (PREFIXED).
type Topic struct {
	Name           string
	PatternType    acl.PatternType
	Team           string
	Classification string // public | internal | confidential | restricted
}

// DiffOptions are the broker settings both sides are decided under, and the
// metadata for risk flags.
type DiffOptions struct {
	Broker acl.AuthorizerOptions
	Meta   Metadata
}

// Diff returns the effective access changes from base to head, sorted by
// principal, resource type, resource name, pattern type, host and operation.
//
// It asks the authorizer, never compares bindings: only a request whose
// answer differs between the two sets is a change. The questions come from
// the bindings that differ: each touches the classes of resource names its
// pattern covers (names are grouped by the patterns of both sets, so a
// prefix stands for every name under it, existing or not), its principal
// (or, for User:*, every principal with a binding on those names, and
// anyone) and its operation with the ones an ALLOW implies. Every principal,
// host and name that is not asked about gets the answer of one that is.
//
// A change is left out when a more general one says the same: User:*
// (anyone) for a principal, host * for a specific host, and the pattern
// covering a name's pattern (a prefix for a literal under it, LITERAL "*"
// for everything). So a grant that changes nobody's answer (a redundant
// grant, ALL split into the same operations, a literal under an existing
// prefix) reports nothing, and a new prefix reports one row, not one per
// topic.
func Diff(base, head acl.Set, opts DiffOptions) []Change {
	opts.Broker.SuperUsers = slices.DeleteFunc(slices.Clone(opts.Broker.SuperUsers), func(p string) bool { return strings.TrimSpace(p) == Anyone })
	d := &differ{
		base: acl.NewAuthorizer(base, opts.Broker),
		head: acl.NewAuthorizer(head, opts.Broker),
		u:    newUniverse(base, head),
		memo: map[who][2]acl.OperationSet{},
	}
	touched := d.touched(base.Minus(head).Union(head.Minus(base)))
	var out []Change
	for _, c := range sortedClasses(touched) {
		out = append(out, d.classChanges(c, touched[c], opts.Broker.AllowEveryoneIfNoACL)...)
	}
	headPrincipals := map[string]bool{}
	for _, b := range head.Bindings() {
		headPrincipals[b.Principal] = true
	}
	for i := range out {
		out[i].Risks = d.risks(out[i], opts.Meta, headPrincipals)
	}
	slices.SortFunc(out, compareChanges)
	return out
}

func compareChanges(a, b Change) int {
	return cmp.Or(strings.Compare(a.Principal, b.Principal), cmp.Compare(a.ResourceType, b.ResourceType),
		strings.Compare(a.ResourceName, b.ResourceName), cmp.Compare(a.PatternType, b.PatternType),
		strings.Compare(a.Host, b.Host), cmp.Compare(a.Operation, b.Operation))
}

// opMask is a set of operations, one bit per wire code.
type opMask uint32

func maskOf(ops ...acl.Operation) opMask {
	var m opMask
	for _, o := range ops {
		m |= 1 << uint(o)
	}
	return m
}

// affected returns the operations of its type whose answer b can change: a
// DENY its operation (all for ALL), an ALLOW also the ones it implies.
func affected(b acl.Binding) opMask {
	if b.Operation == acl.OpAll {
		return maskOf(b.ResourceType.Operations()...)
	}
	m := maskOf(b.Operation)
	if b.Permission == acl.PermAllow {
		switch b.Operation {
		case acl.OpRead, acl.OpWrite, acl.OpDelete, acl.OpAlter:
			m |= maskOf(acl.OpDescribe)
		case acl.OpAlterConfigs:
			m |= maskOf(acl.OpDescribeConfigs)
		}
	}
	return m & maskOf(b.ResourceType.Operations()...)
}

// touch is what the differing bindings may have changed on one class: the
// operations per principal (User:* for everyone).
type touch map[string]opMask

type differ struct {
	base, head *acl.Authorizer
	u          *universe
	memo       map[who][2]acl.OperationSet // base's and head's answers
}

// who is a principal from a host on a class: one line of answers.
type who struct {
	principal, host string
	c               class
}

// point is one question: a principal from a host, an operation, a class.
type point struct {
	principal, host string
	c               class
	op              acl.Operation
}

// touched groups the differing bindings by pattern, then spreads each
// pattern's principals and operations over the classes it covers (once per
// pattern, however many bindings it has).
func (d *differ) touched(delta acl.Set) map[class]touch {
	type pat struct {
		typ  acl.ResourceType
		name string
		pt   acl.PatternType
	}
	byPattern := map[pat]touch{}
	var order []pat
	var first = map[pat]acl.Binding{}
	for _, b := range delta.Bindings() {
		k := pat{b.ResourceType, b.ResourceName, b.PatternType}
		t := byPattern[k]
		if t == nil {
			t = touch{}
			byPattern[k] = t
			order = append(order, k)
			first[k] = b
		}
		t[b.Principal] |= affected(b)
	}
	out := map[class]touch{}
	for _, k := range order {
		t := byPattern[k]
		d.u.classesCovered(first[k], func(c class) {
			ct := out[c]
			if ct == nil {
				ct = touch{}
				out[c] = ct
			}
			for p, m := range t {
				ct[p] |= m
			}
		})
	}
	return out
}

func sortedClasses(m map[class]touch) []class {
	cs := make([]class, 0, len(m))
	for c := range m {
		cs = append(cs, c)
	}
	slices.SortFunc(cs, func(a, b class) int {
		return cmp.Or(cmp.Compare(a.typ, b.typ), cmp.Compare(a.kind, b.kind), strings.Compare(a.name, b.name))
	})
	return cs
}

// classChanges asks the questions t calls for on class c and keeps the
// changes no more general question answers the same way.
func (d *differ) classChanges(c class, t touch, allowIfNo bool) []Change {
	ex := d.u.example(c)
	// The hosts each principal's bindings on these names name: other hosts
	// get host *'s answer. Every principal bound here gets a key.
	hostsOf := map[string][]string{}
	var inBase, inHead int
	collect := func(n *int) func(b *acl.Binding) {
		return func(b *acl.Binding) {
			*n++
			hs := hostsOf[b.Principal]
			if b.Host != acl.Wildcard && !slices.Contains(hs, b.Host) {
				hs = append(hs, b.Host)
			}
			hostsOf[b.Principal] = hs
		}
	}
	d.base.EachResourceBinding(c.typ, ex, collect(&inBase))
	d.head.EachResourceBinding(c.typ, ex, collect(&inHead))
	everyone := t[Anyone]
	if allowIfNo && (inBase == 0) != (inHead == 0) {
		// The first or last binding on these names: allow.everyone.if.no.acl.found
		// no longer (or now) decides, for every principal and operation.
		everyone = maskOf(c.typ.Operations()...)
	}
	asked := map[string]opMask{}
	for p, m := range t {
		asked[p] |= m | everyone
	}
	if everyone != 0 {
		asked[Anyone] |= everyone
		for p := range hostsOf {
			asked[p] |= everyone
		}
	}
	principals := make([]string, 0, len(asked))
	for p := range asked {
		principals = append(principals, p)
	}
	slices.Sort(principals)

	var out []Change
	for _, p := range principals {
		hosts := append([]string{acl.Wildcard}, hostsOf[p]...)
		if p != Anyone {
			hosts = append(hosts, hostsOf[Anyone]...)
		}
		slices.Sort(hosts)
		hosts = slices.Compact(hosts)
		for _, h := range hosts {
			for _, op := range c.typ.Operations() {
				if asked[p]&maskOf(op) == 0 {
					continue
				}
				q := point{p, h, c, op}
				ch := d.change(q)
				if ch == 0 || d.saidMoreGenerally(q, ch) {
					continue
				}
				name, pt := c.pattern()
				out = append(out, Change{Principal: p, Host: h, ResourceType: c.typ, ResourceName: name, PatternType: pt,
					Operation: op, Gained: ch > 0, Example: ex})
			}
		}
	}
	return out
}

// change answers q on both sides: +1 gained, -1 lost, 0 the same. Each
// principal, host and class is decided once for all its operations.
func (d *differ) change(q point) int8 {
	k := who{q.principal, q.host, q.c}
	ans, ok := d.memo[k]
	if !ok {
		ex := d.u.example(q.c)
		ans = [2]acl.OperationSet{
			d.base.AllowedOperations(q.principal, q.host, q.c.typ, ex),
			d.head.AllowedOperations(q.principal, q.host, q.c.typ, ex),
		}
		d.memo[k] = ans
	}
	switch a, b := ans[0].Has(q.op), ans[1].Has(q.op); {
	case !a && b:
		return 1
	case a && !b:
		return -1
	}
	return 0
}

// saidMoreGenerally reports whether a more general question than q (anyone
// for the principal, host * for the host, an enclosing pattern for the
// class, or any mix) has the same change ch. The most general such question
// is reported itself, so q's change is not lost.
func (d *differ) saidMoreGenerally(q point, ch int8) bool {
	principals := []string{q.principal}
	if q.principal != Anyone {
		principals = append(principals, Anyone)
	}
	hosts := []string{q.host}
	if q.host != acl.Wildcard {
		hosts = append(hosts, acl.Wildcard)
	}
	for c, ok := q.c, true; ok; c, ok = d.u.parent(c) {
		for _, p := range principals {
			for _, h := range hosts {
				g := point{p, h, c, q.op}
				if g != q && d.change(g) == ch {
					return true
				}
			}
		}
	}
	return false
}

// risks returns the risk kinds of ch, sorted.
func (d *differ) risks(ch Change, meta Metadata, headPrincipals map[string]bool) []string {
	var rs []string
	if !ch.Gained {
		if ch.Principal != Anyone && (headPrincipals[ch.Principal] || meta.Declared[ch.Principal]) {
			rs = append(rs, RiskBreaksService)
		}
		return rs
	}
	if ch.Principal == Anyone {
		rs = append(rs, RiskAnyone)
	}
	if ch.ResourceType == acl.ResourceTopic && d.crossTeam(ch, meta) {
		rs = append(rs, RiskCrossTeam)
	}
	switch {
	case ch.PatternType == acl.PatternPrefixed:
		rs = append(rs, RiskPrefix)
	case ch.ResourceName == acl.Wildcard:
		rs = append(rs, RiskWildcard)
	}
	slices.Sort(rs)
	return rs
}

// crossTeam reports whether ch opens a restricted or confidential topic of
// a team other than the principal's (anyone and principals of no known team
// are of another team).
func (d *differ) crossTeam(ch Change, meta Metadata) bool {
	team := meta.Teams[ch.Principal]
	c := d.u.classOf(ch.ResourceType, ch.Example)
	for _, t := range meta.Topics {
		if t.Team == "" || t.Team == team || (t.Classification != "restricted" && t.Classification != "confidential") {
			continue
		}
		if d.u.overlaps(c, t) {
			return true
		}
	}
	return false
}

// classOf returns the class of a resource name.
func (u *universe) classOf(typ acl.ResourceType, name string) class {
	tp := u.types[typ]
	if typ == acl.ResourceCluster || tp == nil || tp.literal[name] {
		return class{typ: typ, kind: classLiteral, name: name}
	}
	if p, ok := u.coveringPrefix(typ, name, len(name)); ok {
		return class{typ: typ, kind: classPrefixed, name: p}
	}
	return class{typ: typ, kind: classOther}
}

// coveringPrefix returns the longest prefix of the universe, at most max
// long, that covers name.
func (u *universe) coveringPrefix(typ acl.ResourceType, name string, max int) (string, bool) {
	tp := u.types[typ]
	if tp == nil {
		return "", false
	}
	for i := len(tp.prefixLens) - 1; i >= 0; i-- {
		if l := tp.prefixLens[i]; l <= max && l <= len(name) && tp.prefixed[name[:l]] {
			return name[:l], true
		}
	}
	return "", false
}

// overlaps reports whether some topic name is both in class c and declared
// by t.
func (u *universe) overlaps(c class, t Topic) bool {
	if t.PatternType == acl.PatternLiteral {
		return u.classOf(c.typ, t.Name) == c
	}
	switch c.kind {
	case classLiteral:
		return strings.HasPrefix(c.name, t.Name)
	case classPrefixed:
		return strings.HasPrefix(c.name, t.Name) || strings.HasPrefix(t.Name, c.name)
	}
	// The other names: unless a prefix of the universe covers the whole family.
	_, covered := u.coveringPrefix(c.typ, t.Name, len(t.Name))
	return !covered
}
