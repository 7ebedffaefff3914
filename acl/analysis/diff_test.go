package analysis

import (
	"slices"
	"strings"
	"testing"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/testutil"
)

// confirm checks a reported change with the authorizer on both sides, on its
// example name, and for User:* and host * also for a principal and a host
// that no binding names.
func confirm(t *testing.T, base, head *acl.Authorizer, c Change) {
	t.Helper()
	principals := []string{c.Principal}
	if c.Principal == Anyone {
		principals = append(principals, "User:nobody-named-this")
	}
	hosts := []string{c.Host}
	if c.Host == acl.Wildcard {
		hosts = append(hosts, "192.0.2.99")
	}
	for _, p := range principals {
		for _, h := range hosts {
			r := req(p, h, c.Operation, c.ResourceType, c.Example)
			if a, b := base.Allowed(r), head.Allowed(r); a == b || b != c.Gained {
				t.Errorf("reported %v, but the authorizer says base %v, head %v for %+v", c, a, b, r)
			}
		}
	}
}

// TestDiffReportsExactlyTheEffectiveChanges is the review case of issue 14:
// one pair of sets with a LITERAL grant turned PREFIXED, a DENY added, ALL
// split into its operations, a host grant removed, a redundant grant and a
// User:* grant. Only the effective changes come back, each confirmed by the
// authorizer on both sides.
func TestDiffReportsExactlyTheEffectiveChanges(t *testing.T) {
	b := func(principal, host, rt, name, pt, op, perm string) acl.Binding {
		return testutil.HostBinding(t, principal, host, rt, name, pt, op, perm)
	}
	common := []acl.Binding{
		b("User:billing", "*", "TOPIC", "invoices", "LITERAL", "WRITE", "ALLOW"),
		b("User:reports", "*", "TOPIC", "orders.", "PREFIXED", "READ", "ALLOW"),
	}
	base := acl.NewSet(append([]acl.Binding{
		b("User:analytics", "*", "TOPIC", "orders.events", "LITERAL", "READ", "ALLOW"), // -> PREFIXED orders.
		b("User:ops", "*", "CLUSTER", "kafka-cluster", "LITERAL", "ALL", "ALLOW"),      // -> split
		b("User:billing", "10.0.0.7", "TOPIC", "invoices", "LITERAL", "READ", "ALLOW"), // removed
		b("User:fraud", "*", "TOPIC", "payments.", "PREFIXED", "READ", "ALLOW"),        // DENY added on one
	}, common...)...)
	head := []acl.Binding{
		b("User:analytics", "*", "TOPIC", "orders.", "PREFIXED", "READ", "ALLOW"),
		b("User:fraud", "*", "TOPIC", "payments.", "PREFIXED", "READ", "ALLOW"),
		b("User:fraud", "*", "TOPIC", "payments.cards", "LITERAL", "READ", "DENY"),
		b("User:reports", "*", "TOPIC", "orders.daily", "LITERAL", "READ", "ALLOW"), // redundant: under its prefix
		b("User:*", "*", "TOPIC", "public.news", "LITERAL", "READ", "ALLOW"),
	}
	for _, op := range acl.ResourceCluster.Operations() {
		head = append(head, b("User:ops", "*", "CLUSTER", "kafka-cluster", "LITERAL", op.String(), "ALLOW"))
	}
	headSet := acl.NewSet(append(head, common...)...)

	got := Diff(base, headSet, DiffOptions{})
	var lines []string
	for _, c := range got {
		lines = append(lines, c.String())
		confirm(t, acl.NewAuthorizer(base, acl.AuthorizerOptions{}), acl.NewAuthorizer(headSet, acl.AuthorizerOptions{}), c)
	}
	want := []string{
		`User:* gained READ on LITERAL TOPIC "public.news" (e.g. "public.news") from * [anyone]`,
		`User:* gained DESCRIBE on LITERAL TOPIC "public.news" (e.g. "public.news") from * [anyone]`,
		`User:analytics gained READ on PREFIXED TOPIC "orders." (e.g. "orders.") from * [prefix]`,
		`User:analytics gained DESCRIBE on PREFIXED TOPIC "orders." (e.g. "orders.") from * [prefix]`,
		`User:billing lost READ on LITERAL TOPIC "invoices" (e.g. "invoices") from 10.0.0.7 [breaks-service]`,
		`User:fraud lost READ on LITERAL TOPIC "payments.cards" (e.g. "payments.cards") from * [breaks-service]`,
	}
	if !slices.Equal(lines, want) {
		t.Errorf("Diff:\n got  %s\n want %s", strings.Join(lines, "\n      "), strings.Join(want, "\n      "))
	}
	// DESCRIBE on invoices from 10.0.0.7 stays: WRITE from any host implies it.
	// DESCRIBE on payments.cards stays: a DENY of READ does not deny DESCRIBE.
}

func TestDiffNothingWhenAccessIsTheSame(t *testing.T) {
	b := func(principal, host, rt, name, pt, op, perm string) acl.Binding {
		return testutil.HostBinding(t, principal, host, rt, name, pt, op, perm)
	}
	base := acl.NewSet(
		b("User:a", "*", "TOPIC", "t", "LITERAL", "ALL", "ALLOW"),
		b("User:a", "*", "TOPIC", "logs.", "PREFIXED", "READ", "ALLOW"),
		b("User:b", "*", "TOPIC", "x", "LITERAL", "READ", "DENY"),
	)
	var split []acl.Binding
	for _, op := range acl.ResourceTopic.Operations() {
		split = append(split, b("User:a", "*", "TOPIC", "t", "LITERAL", op.String(), "ALLOW"))
	}
	head := acl.NewSet(append(split,
		b("User:a", "*", "TOPIC", "logs.", "PREFIXED", "READ", "ALLOW"),
		b("User:a", "*", "TOPIC", "logs.app", "LITERAL", "READ", "ALLOW"),      // literal under the prefix
		b("User:a", "10.0.0.1", "TOPIC", "logs.", "PREFIXED", "READ", "ALLOW"), // host grant under host *
		b("User:a", "*", "TOPIC", "logs.", "PREFIXED", "DESCRIBE", "ALLOW"),    // implied by READ
		b("User:b", "*", "TOPIC", "x", "LITERAL", "READ", "DENY"),
		b("User:b", "*", "TOPIC", "x", "LITERAL", "WRITE", "ALLOW"), // a change: WRITE gained
	)...)
	got := Diff(base, head, DiffOptions{})
	var lines []string
	for _, c := range got {
		lines = append(lines, c.String())
	}
	want := []string{
		`User:b gained WRITE on LITERAL TOPIC "x" (e.g. "x") from * []`,
		`User:b gained DESCRIBE on LITERAL TOPIC "x" (e.g. "x") from * []`,
	}
	if !slices.Equal(lines, want) {
		t.Errorf("Diff:\n got  %s\n want %s", strings.Join(lines, "\n      "), strings.Join(want, "\n      "))
	}
	if got := Diff(base, base, DiffOptions{}); len(got) != 0 {
		t.Errorf("Diff of a set with itself: %v", got)
	}
}

// TestDiffAgreesWithTheAuthorizerOnRandomSets asks the authorizer about every
// principal, host, operation and name of a grid on both sides of random
// pull-request-like changes, and checks that (1) each reported change is a
// real one, (2) each real one is reported by itself or by a more general row
// with the same change (anyone for a principal, host * for a host, a covering
// pattern for a name), and (3) no reported row repeats a more general one.
func TestDiffAgreesWithTheAuthorizerOnRandomSets(t *testing.T) {
	for seed := uint64(1); seed <= 300; seed++ {
		g := newGen(seed)
		base := g.set(1 + g.r.IntN(25))
		head := g.mutate(base)
		opts := acl.AuthorizerOptions{AllowEveryoneIfNoACL: g.r.IntN(4) == 0}
		if g.r.IntN(5) == 0 {
			opts.SuperUsers = []string{g.pick(genPrincipals[:3])}
		}
		azA, azB := acl.NewAuthorizer(base, opts), acl.NewAuthorizer(head, opts)
		got := Diff(base, head, DiffOptions{Broker: opts})
		for _, c := range got {
			confirm(t, azA, azB, c)
		}
		for i, c := range got {
			for j, o := range got {
				if i != j && o.Operation == c.Operation && o.Gained == c.Gained && o.ResourceType == c.ResourceType &&
					(o.Principal == c.Principal || o.Principal == Anyone) && (o.Host == c.Host || o.Host == acl.Wildcard) &&
					patternCovers(o, c.ResourceName, c.PatternType) {
					t.Errorf("seed %d: %v repeats the more general %v", seed, c, o)
				}
			}
		}
		for _, rt := range []acl.ResourceType{acl.ResourceTopic, acl.ResourceGroup, acl.ResourceCluster} {
			for _, name := range gridNames(base, head) {
				if rt == acl.ResourceCluster && name != acl.ClusterName {
					continue
				}
				for _, p := range gridPrincipals(base, head) {
					for _, h := range gridHosts(base, head) {
						for _, op := range rt.Operations() {
							r := req(p, h, op, rt, name)
							a, b := azA.Allowed(r), azB.Allowed(r)
							if a == b {
								continue
							}
							if !reported(got, r, b) {
								t.Fatalf("seed %d: %+v changed (base %v, head %v) but no row reports it:\n%v\nbase %v\nhead %v", seed, r, a, b, got, base.Bindings(), head.Bindings())
							}
						}
					}
				}
			}
		}
	}
}

// reported reports whether a change in got covers request r going to head.
func reported(got []Change, r acl.Request, head bool) bool {
	for _, c := range got {
		if c.Operation == r.Operation && c.ResourceType == r.ResourceType && c.Gained == head &&
			(c.Principal == r.Principal || c.Principal == Anyone) &&
			(c.Host == r.Host || c.Host == acl.Wildcard) &&
			patternCovers(c, r.ResourceName, acl.PatternLiteral) {
			return true
		}
	}
	return false
}

// patternCovers reports whether c's pattern covers the pattern name/pt.
func patternCovers(c Change, name string, pt acl.PatternType) bool {
	switch {
	case c.PatternType == acl.PatternLiteral && c.ResourceName == acl.Wildcard:
		return true
	case c.PatternType == acl.PatternLiteral:
		return pt == acl.PatternLiteral && name == c.ResourceName
	}
	return strings.HasPrefix(name, c.ResourceName) && !(pt == acl.PatternPrefixed && name == c.ResourceName)
}
