package acl

import (
	"slices"
	"testing"
)

// b is a compact binding constructor for authorizer tables:
// b("User:a", "10.0.0.1", "TOPIC", "orders", "PREFIXED", "READ", "ALLOW").
func b(principal, host, rt, name, pt, op, perm string) Binding {
	x, err := FromStrings(principal, host, rt, name, pt, op, perm)
	if err != nil {
		panic(err)
	}
	return x
}

func req(principal, host, op, rt, name string) Request {
	o, err := ParseOperation(op)
	if err != nil {
		panic(err)
	}
	t, err := ParseResourceType(rt)
	if err != nil {
		panic(err)
	}
	return Request{Principal: principal, Host: host, Operation: o, ResourceType: t, ResourceName: name}
}

type authzCase struct {
	name     string
	bindings []Binding
	opts     AuthorizerOptions
	req      Request
	allowed  bool
	reason   string
	deciding []Binding // nil: not checked unless allowed/denied by ACL
}

func runAuthzCases(t *testing.T, cases []authzCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := NewAuthorizer(NewSet(tc.bindings...), tc.opts).Authorize(tc.req)
			if d.Allowed != tc.allowed || d.Reason != tc.reason {
				t.Fatalf("Authorize(%+v) = allowed %v (%s), want allowed %v (%s)", tc.req, d.Allowed, d.Reason, tc.allowed, tc.reason)
			}
			if tc.deciding != nil {
				want := slices.Clone(tc.deciding)
				slices.SortFunc(want, Compare)
				if !slices.Equal(d.Deciding, want) {
					t.Fatalf("Deciding = %v, want %v", d.Deciding, want)
				}
			}
			if naive := naiveAuthorize(tc.bindings, tc.opts, tc.req); naive.Allowed != d.Allowed || naive.Reason != d.Reason {
				t.Fatalf("naive scan says allowed %v (%s)", naive.Allowed, naive.Reason)
			}
		})
	}
}

var (
	allowRead   = b("User:alice", "*", "TOPIC", "orders", "LITERAL", "READ", "ALLOW")
	denyRead    = b("User:alice", "*", "TOPIC", "orders", "LITERAL", "READ", "DENY")
	bobRead     = b("User:bob", "*", "TOPIC", "orders", "LITERAL", "READ", "ALLOW")
	aliceOnHost = b("User:alice", "10.0.0.1", "TOPIC", "orders", "LITERAL", "READ", "ALLOW")
)

func TestDenyWinsOverAllow(t *testing.T) {
	runAuthzCases(t, []authzCase{
		{name: "same binding both ways", bindings: []Binding{allowRead, denyRead}, req: req("User:alice", "10.0.0.1", "READ", "TOPIC", "orders"), reason: ReasonDenied, deciding: []Binding{denyRead}},
		{name: "DENY ALL over ALLOW READ", bindings: []Binding{allowRead, b("User:alice", "*", "TOPIC", "orders", "LITERAL", "ALL", "DENY")}, req: req("User:alice", "10.0.0.1", "READ", "TOPIC", "orders"), reason: ReasonDenied},
		{name: "DENY for User:* over ALLOW for the user", bindings: []Binding{allowRead, b("User:*", "*", "TOPIC", "orders", "LITERAL", "READ", "DENY")}, req: req("User:alice", "10.0.0.1", "READ", "TOPIC", "orders"), reason: ReasonDenied},
		{name: "PREFIXED DENY over LITERAL ALLOW", bindings: []Binding{allowRead, b("User:alice", "*", "TOPIC", "ord", "PREFIXED", "READ", "DENY")}, req: req("User:alice", "10.0.0.1", "READ", "TOPIC", "orders"), reason: ReasonDenied},
		{name: "DENY on another host does not apply", bindings: []Binding{allowRead, b("User:alice", "10.9.9.9", "TOPIC", "orders", "LITERAL", "READ", "DENY")}, req: req("User:alice", "10.0.0.1", "READ", "TOPIC", "orders"), allowed: true, reason: ReasonAllowed, deciding: []Binding{allowRead}},
		{name: "all matching DENY bindings are reported", bindings: []Binding{denyRead, b("User:*", "*", "TOPIC", "*", "LITERAL", "ALL", "DENY")}, req: req("User:alice", "10.0.0.1", "READ", "TOPIC", "orders"), reason: ReasonDenied, deciding: []Binding{denyRead, b("User:*", "*", "TOPIC", "*", "LITERAL", "ALL", "DENY")}},
	})
}

func TestAllowedByMatchingAllow(t *testing.T) {
	runAuthzCases(t, []authzCase{
		{name: "literal", bindings: []Binding{allowRead}, req: req("User:alice", "10.0.0.1", "READ", "TOPIC", "orders"), allowed: true, reason: ReasonAllowed, deciding: []Binding{allowRead}},
		{name: "other principal only", bindings: []Binding{bobRead}, req: req("User:alice", "10.0.0.1", "READ", "TOPIC", "orders"), reason: ReasonNoMatch},
		{name: "other operation", bindings: []Binding{allowRead}, req: req("User:alice", "10.0.0.1", "WRITE", "TOPIC", "orders"), reason: ReasonNoMatch},
		{name: "principal type matters", bindings: []Binding{allowRead}, req: req("Group:alice", "10.0.0.1", "READ", "TOPIC", "orders"), reason: ReasonNoMatch},
	})
}

func TestWildcardPrincipalMatches(t *testing.T) {
	everyone := b("User:*", "*", "TOPIC", "orders", "LITERAL", "READ", "ALLOW")
	runAuthzCases(t, []authzCase{
		{name: "any user", bindings: []Binding{everyone}, req: req("User:alice", "10.0.0.1", "READ", "TOPIC", "orders"), allowed: true, reason: ReasonAllowed, deciding: []Binding{everyone}},
		{name: "another principal type too (as Kafka)", bindings: []Binding{everyone}, req: req("Group:x", "10.0.0.1", "READ", "TOPIC", "orders"), allowed: true, reason: ReasonAllowed},
		{name: "the wildcard principal itself", bindings: []Binding{everyone}, req: req("User:*", "10.0.0.1", "READ", "TOPIC", "orders"), allowed: true, reason: ReasonAllowed, deciding: []Binding{everyone}},
	})
}

func TestWildcardResourceMatches(t *testing.T) {
	all := b("User:alice", "*", "TOPIC", "*", "LITERAL", "READ", "ALLOW")
	runAuthzCases(t, []authzCase{
		{name: "LITERAL * matches any name", bindings: []Binding{all}, req: req("User:alice", "10.0.0.1", "READ", "TOPIC", "anything"), allowed: true, reason: ReasonAllowed, deciding: []Binding{all}},
		{name: "PREFIXED name is not a wildcard", bindings: []Binding{b("User:alice", "*", "TOPIC", "o*", "LITERAL", "READ", "ALLOW")}, req: req("User:alice", "10.0.0.1", "READ", "TOPIC", "orders"), reason: ReasonNoACLDenied},
	})
}

func TestPrefixedMatchesByPrefix(t *testing.T) {
	pre := b("User:alice", "*", "TOPIC", "orders.", "PREFIXED", "READ", "ALLOW")
	runAuthzCases(t, []authzCase{
		{name: "longer name", bindings: []Binding{pre}, req: req("User:alice", "h", "READ", "TOPIC", "orders.events"), allowed: true, reason: ReasonAllowed, deciding: []Binding{pre}},
		{name: "equal name", bindings: []Binding{pre}, req: req("User:alice", "h", "READ", "TOPIC", "orders."), allowed: true, reason: ReasonAllowed},
		{name: "shorter name", bindings: []Binding{pre}, req: req("User:alice", "h", "READ", "TOPIC", "orders"), reason: ReasonNoACLDenied},
		{name: "different name", bindings: []Binding{pre}, req: req("User:alice", "h", "READ", "TOPIC", "payments.x"), reason: ReasonNoACLDenied},
		{name: "LITERAL prefix does not match longer name", bindings: []Binding{b("User:alice", "*", "TOPIC", "orders.", "LITERAL", "READ", "ALLOW")}, req: req("User:alice", "h", "READ", "TOPIC", "orders.events"), reason: ReasonNoACLDenied},
		{name: "several prefixes all count", bindings: []Binding{pre, b("User:alice", "*", "TOPIC", "o", "PREFIXED", "READ", "ALLOW")}, req: req("User:alice", "h", "READ", "TOPIC", "orders.events"), allowed: true, reason: ReasonAllowed, deciding: []Binding{pre, b("User:alice", "*", "TOPIC", "o", "PREFIXED", "READ", "ALLOW")}},
	})
}

func TestImpliedDescribeForAllowOnly(t *testing.T) {
	var cases []authzCase
	for _, op := range []string{"READ", "WRITE", "DELETE", "ALTER"} {
		cases = append(cases,
			authzCase{name: "ALLOW " + op + " implies DESCRIBE", bindings: []Binding{b("User:a", "*", "TOPIC", "t", "LITERAL", op, "ALLOW")}, req: req("User:a", "h", "DESCRIBE", "TOPIC", "t"), allowed: true, reason: ReasonAllowed},
			authzCase{name: "DENY " + op + " does not deny DESCRIBE", bindings: []Binding{b("User:a", "*", "TOPIC", "t", "LITERAL", op, "DENY"), b("User:a", "*", "TOPIC", "t", "LITERAL", "DESCRIBE", "ALLOW")}, req: req("User:a", "h", "DESCRIBE", "TOPIC", "t"), allowed: true, reason: ReasonAllowed},
		)
	}
	cases = append(cases,
		authzCase{name: "ALLOW ALTER_CONFIGS implies DESCRIBE_CONFIGS", bindings: []Binding{b("User:a", "*", "TOPIC", "t", "LITERAL", "ALTER_CONFIGS", "ALLOW")}, req: req("User:a", "h", "DESCRIBE_CONFIGS", "TOPIC", "t"), allowed: true, reason: ReasonAllowed},
		authzCase{name: "DENY ALTER_CONFIGS does not deny DESCRIBE_CONFIGS", bindings: []Binding{b("User:a", "*", "TOPIC", "t", "LITERAL", "ALTER_CONFIGS", "DENY"), b("User:a", "*", "TOPIC", "t", "LITERAL", "DESCRIBE_CONFIGS", "ALLOW")}, req: req("User:a", "h", "DESCRIBE_CONFIGS", "TOPIC", "t"), allowed: true, reason: ReasonAllowed},
		authzCase{name: "ALLOW CREATE does not imply DESCRIBE", bindings: []Binding{b("User:a", "*", "TOPIC", "t", "LITERAL", "CREATE", "ALLOW")}, req: req("User:a", "h", "DESCRIBE", "TOPIC", "t"), reason: ReasonNoMatch},
		authzCase{name: "ALLOW DESCRIBE does not imply READ", bindings: []Binding{b("User:a", "*", "TOPIC", "t", "LITERAL", "DESCRIBE", "ALLOW")}, req: req("User:a", "h", "READ", "TOPIC", "t"), reason: ReasonNoMatch},
		authzCase{name: "ALLOW ALTER does not imply DESCRIBE_CONFIGS", bindings: []Binding{b("User:a", "*", "TOPIC", "t", "LITERAL", "ALTER", "ALLOW")}, req: req("User:a", "h", "DESCRIBE_CONFIGS", "TOPIC", "t"), reason: ReasonNoMatch},
		authzCase{name: "DENY DESCRIBE denies DESCRIBE despite ALLOW READ", bindings: []Binding{b("User:a", "*", "TOPIC", "t", "LITERAL", "READ", "ALLOW"), b("User:a", "*", "TOPIC", "t", "LITERAL", "DESCRIBE", "DENY")}, req: req("User:a", "h", "DESCRIBE", "TOPIC", "t"), reason: ReasonDenied},
	)
	runAuthzCases(t, cases)
}

func TestAllOperationMatchesEveryOperation(t *testing.T) {
	var cases []authzCase
	for _, op := range ResourceTopic.Operations() {
		cases = append(cases,
			authzCase{name: "ALLOW ALL grants " + op.String(), bindings: []Binding{b("User:a", "*", "TOPIC", "t", "LITERAL", "ALL", "ALLOW")}, req: Request{Principal: "User:a", Host: "h", Operation: op, ResourceType: ResourceTopic, ResourceName: "t"}, allowed: true, reason: ReasonAllowed},
			authzCase{name: "DENY ALL denies " + op.String(), bindings: []Binding{b("User:a", "*", "TOPIC", "t", "LITERAL", "ALL", "ALLOW"), b("User:a", "*", "TOPIC", "t", "LITERAL", "ALL", "DENY")}, req: Request{Principal: "User:a", Host: "h", Operation: op, ResourceType: ResourceTopic, ResourceName: "t"}, reason: ReasonDenied},
		)
	}
	runAuthzCases(t, cases)
}

func TestSuperUserBypasses(t *testing.T) {
	runAuthzCases(t, []authzCase{
		{name: "despite DENY", bindings: []Binding{denyRead}, opts: AuthorizerOptions{SuperUsers: []string{"User:alice"}}, req: req("User:alice", "h", "READ", "TOPIC", "orders"), allowed: true, reason: ReasonSuperUser, deciding: []Binding{}},
		{name: "with no ACL at all", opts: AuthorizerOptions{SuperUsers: []string{"User:admin"}}, req: req("User:admin", "h", "ALTER", "CLUSTER", ClusterName), allowed: true, reason: ReasonSuperUser},
		{name: "only the listed principal", bindings: []Binding{bobRead}, opts: AuthorizerOptions{SuperUsers: []string{"User:admin"}}, req: req("User:alice", "h", "READ", "TOPIC", "orders"), reason: ReasonNoMatch},
		{name: "User:* in super.users is only the literal principal", bindings: []Binding{bobRead}, opts: AuthorizerOptions{SuperUsers: []string{"User:*"}}, req: req("User:alice", "h", "READ", "TOPIC", "orders"), reason: ReasonNoMatch},
	})
}

func TestAllowEveryoneIfNoACL(t *testing.T) {
	allowIfNo := AuthorizerOptions{AllowEveryoneIfNoACL: true}
	runAuthzCases(t, []authzCase{
		{name: "empty set, default denies", req: req("User:a", "h", "READ", "TOPIC", "t"), reason: ReasonNoACLDenied},
		{name: "empty set, option allows", opts: allowIfNo, req: req("User:a", "h", "READ", "TOPIC", "t"), allowed: true, reason: ReasonNoACLAllowed},
		{name: "ACLs on other resources only", opts: allowIfNo, bindings: []Binding{b("User:a", "*", "TOPIC", "other", "LITERAL", "READ", "ALLOW")}, req: req("User:a", "h", "READ", "TOPIC", "t"), allowed: true, reason: ReasonNoACLAllowed},
		{name: "ACL for another principal on the resource denies", opts: allowIfNo, bindings: []Binding{bobRead}, req: req("User:alice", "h", "READ", "TOPIC", "orders"), reason: ReasonNoMatch},
		{name: "ACL for another operation on the resource denies", opts: allowIfNo, bindings: []Binding{allowRead}, req: req("User:alice", "h", "WRITE", "TOPIC", "orders"), reason: ReasonNoMatch},
		{name: "ACL for another host on the resource denies", opts: allowIfNo, bindings: []Binding{aliceOnHost}, req: req("User:alice", "10.0.0.2", "READ", "TOPIC", "orders"), reason: ReasonNoMatch},
		{name: "prefixed ACL on the resource counts", opts: allowIfNo, bindings: []Binding{b("User:bob", "*", "TOPIC", "ord", "PREFIXED", "READ", "ALLOW")}, req: req("User:alice", "h", "READ", "TOPIC", "orders"), reason: ReasonNoMatch},
		{name: "wildcard ACL on the type counts", opts: allowIfNo, bindings: []Binding{b("User:bob", "*", "TOPIC", "*", "LITERAL", "READ", "ALLOW")}, req: req("User:alice", "h", "READ", "TOPIC", "orders"), reason: ReasonNoMatch},
		{name: "DENY still wins", opts: allowIfNo, bindings: []Binding{denyRead}, req: req("User:alice", "h", "READ", "TOPIC", "orders"), reason: ReasonDenied},
	})
}

func TestHostMatching(t *testing.T) {
	runAuthzCases(t, []authzCase{
		{name: "same host", bindings: []Binding{aliceOnHost}, req: req("User:alice", "10.0.0.1", "READ", "TOPIC", "orders"), allowed: true, reason: ReasonAllowed, deciding: []Binding{aliceOnHost}},
		{name: "other host", bindings: []Binding{aliceOnHost}, req: req("User:alice", "10.0.0.2", "READ", "TOPIC", "orders"), reason: ReasonNoMatch},
		{name: "binding host * matches any host", bindings: []Binding{allowRead}, req: req("User:alice", "192.168.1.7", "READ", "TOPIC", "orders"), allowed: true, reason: ReasonAllowed},
		{name: "unknown request host matches only host *", bindings: []Binding{aliceOnHost}, req: req("User:alice", "", "READ", "TOPIC", "orders"), reason: ReasonNoMatch},
		{name: "request host * is not a wildcard", bindings: []Binding{aliceOnHost}, req: req("User:alice", "*", "READ", "TOPIC", "orders"), reason: ReasonNoMatch},
	})
}

func TestResourceTypesAreIsolated(t *testing.T) {
	runAuthzCases(t, []authzCase{
		{name: "topic binding does not grant group", bindings: []Binding{b("User:a", "*", "TOPIC", "x", "LITERAL", "READ", "ALLOW")}, req: req("User:a", "h", "READ", "GROUP", "x"), reason: ReasonNoACLDenied},
		{name: "topic wildcard does not grant transactional id", bindings: []Binding{b("User:a", "*", "TOPIC", "*", "LITERAL", "ALL", "ALLOW")}, req: req("User:a", "h", "WRITE", "TRANSACTIONAL_ID", "x"), reason: ReasonNoACLDenied},
		{name: "group DENY does not deny topic", bindings: []Binding{b("User:a", "*", "TOPIC", "x", "LITERAL", "READ", "ALLOW"), b("User:a", "*", "GROUP", "x", "LITERAL", "READ", "DENY")}, req: req("User:a", "h", "READ", "TOPIC", "x"), allowed: true, reason: ReasonAllowed},
	})
}

func TestClusterResource(t *testing.T) {
	idem := b("User:p", "*", "CLUSTER", ClusterName, "LITERAL", "IDEMPOTENT_WRITE", "ALLOW")
	runAuthzCases(t, []authzCase{
		{name: "IDEMPOTENT_WRITE", bindings: []Binding{idem}, req: req("User:p", "h", "IDEMPOTENT_WRITE", "CLUSTER", ClusterName), allowed: true, reason: ReasonAllowed, deciding: []Binding{idem}},
		{name: "ALTER_CONFIGS implies DESCRIBE_CONFIGS on the cluster", bindings: []Binding{b("User:ops", "*", "CLUSTER", ClusterName, "LITERAL", "ALTER_CONFIGS", "ALLOW")}, req: req("User:ops", "h", "DESCRIBE_CONFIGS", "CLUSTER", ClusterName), allowed: true, reason: ReasonAllowed},
		{name: "ALTER implies DESCRIBE on the cluster", bindings: []Binding{b("User:ops", "*", "CLUSTER", ClusterName, "LITERAL", "ALTER", "ALLOW")}, req: req("User:ops", "h", "DESCRIBE", "CLUSTER", ClusterName), allowed: true, reason: ReasonAllowed},
		{name: "CLUSTER_ACTION not granted by IDEMPOTENT_WRITE", bindings: []Binding{idem}, req: req("User:p", "h", "CLUSTER_ACTION", "CLUSTER", ClusterName), reason: ReasonNoMatch},
	})
}

func TestMatchesIsThePureRule(t *testing.T) {
	tests := []struct {
		name string
		b    Binding
		r    Request
		want bool
	}{
		{"equal", allowRead, req("User:alice", "h", "READ", "TOPIC", "orders"), true},
		{"no implication", allowRead, req("User:alice", "h", "DESCRIBE", "TOPIC", "orders"), false},
		{"ALL", b("User:alice", "*", "TOPIC", "orders", "LITERAL", "ALL", "DENY"), req("User:alice", "h", "WRITE", "TOPIC", "orders"), true},
		{"wildcard principal", b("User:*", "*", "TOPIC", "orders", "LITERAL", "READ", "ALLOW"), req("User:alice", "h", "READ", "TOPIC", "orders"), true},
		{"host", aliceOnHost, req("User:alice", "10.0.0.2", "READ", "TOPIC", "orders"), false},
		{"prefixed", b("User:alice", "*", "TOPIC", "or", "PREFIXED", "READ", "ALLOW"), req("User:alice", "h", "READ", "TOPIC", "orders"), true},
		{"type", allowRead, req("User:alice", "h", "READ", "GROUP", "orders"), false},
	}
	for _, tt := range tests {
		if got := tt.b.Matches(tt.r); got != tt.want {
			t.Errorf("%s: Matches = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// naiveAuthorize is the rule book of docs/design.md written as a scan, to
// check the indexed authorizer against.
func naiveAuthorize(bs []Binding, opts AuthorizerOptions, r Request) Decision {
	if slices.Contains(opts.SuperUsers, r.Principal) {
		return Decision{Allowed: true, Reason: ReasonSuperUser}
	}
	var allow, deny []Binding
	onResource := false
	for _, x := range NewSet(bs...).Bindings() {
		if !x.MatchesResource(r.ResourceType, r.ResourceName) {
			continue
		}
		onResource = true
		principalOK := x.Principal == r.Principal || x.Principal == "User:*"
		hostOK := x.Host == "*" || x.Host == r.Host
		if !principalOK || !hostOK {
			continue
		}
		if x.Permission == PermDeny && (x.Operation == OpAll || x.Operation == r.Operation) {
			deny = append(deny, x)
		}
		if x.Permission == PermAllow {
			implied := x.Operation == OpAll || x.Operation == r.Operation ||
				(r.Operation == OpDescribe && slices.Contains([]Operation{OpRead, OpWrite, OpDelete, OpAlter}, x.Operation)) ||
				(r.Operation == OpDescribeConfigs && x.Operation == OpAlterConfigs)
			if implied {
				allow = append(allow, x)
			}
		}
	}
	switch {
	case len(deny) > 0:
		return Decision{Reason: ReasonDenied, Deciding: deny}
	case len(allow) > 0:
		return Decision{Allowed: true, Reason: ReasonAllowed, Deciding: allow}
	case !onResource && opts.AllowEveryoneIfNoACL:
		return Decision{Allowed: true, Reason: ReasonNoACLAllowed}
	case !onResource:
		return Decision{Reason: ReasonNoACLDenied}
	}
	return Decision{Reason: ReasonNoMatch}
}

func TestAuthorizerAgreesWithNaiveScan(t *testing.T) {
	for seed := uint64(1); seed <= 200; seed++ {
		g := newRandBindings(seed)
		bs := g.bindings(1 + g.r.IntN(40))
		opts := AuthorizerOptions{AllowEveryoneIfNoACL: g.r.IntN(2) == 0}
		if g.r.IntN(4) == 0 {
			opts.SuperUsers = []string{g.principal()}
		}
		a := NewAuthorizer(NewSet(bs...), opts)
		for range 200 {
			x := g.binding() // a random resource, principal, host and operation
			r := Request{Principal: g.principal(), Host: []string{"10.0.0.1", "10.0.0.2", ""}[g.r.IntN(3)], Operation: x.Operation, ResourceType: x.ResourceType, ResourceName: x.ResourceName + []string{"", "", "x", "bc"}[g.r.IntN(4)]}
			if r.Operation == OpAll {
				r.Operation = x.ResourceType.Operations()[0]
			}
			got, want := a.Authorize(r), naiveAuthorize(bs, opts, r)
			if got.Allowed != want.Allowed || got.Reason != want.Reason || !slices.Equal(got.Deciding, want.Deciding) {
				t.Fatalf("seed %d: Authorize(%+v)\n got  %v %q %v\n want %v %q %v\nbindings: %v", seed, r, got.Allowed, got.Reason, got.Deciding, want.Allowed, want.Reason, want.Deciding, bs)
			}
			if fast := a.Allowed(r); fast != want.Allowed {
				t.Fatalf("seed %d: Allowed(%+v) = %v, Authorize says %v", seed, r, fast, want.Allowed)
			}
			if set := a.AllowedOperations(r.Principal, r.Host, r.ResourceType, r.ResourceName); set.Has(r.Operation) != want.Allowed {
				t.Fatalf("seed %d: AllowedOperations(%+v) = %b, Authorize says %v", seed, r, set, want.Allowed)
			}
			var covering []Binding
			for _, b := range NewSet(bs...).Bindings() {
				if b.MatchesResource(r.ResourceType, r.ResourceName) {
					covering = append(covering, b)
				}
			}
			if rb := a.ResourceBindings(r.ResourceType, r.ResourceName); !slices.Equal(NewSet(rb...).Bindings(), covering) {
				t.Fatalf("seed %d: ResourceBindings(%s, %q)\n got  %v\n want %v", seed, r.ResourceType, r.ResourceName, rb, covering)
			}
		}
	}
}
