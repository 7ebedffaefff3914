package analysis

import (
	"slices"
	"strings"
	"testing"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/testutil"
)

// TestWhoCanAgreesWithTheAuthorizer asks, on random sets and a grid of
// resources, operations and hosts, every known principal and one no binding
// names: a principal is in WhoCan's list (or, when unknown, Anyone is true)
// exactly when the authorizer allows it.
func TestWhoCanAgreesWithTheAuthorizer(t *testing.T) {
	for seed := uint64(1); seed <= 200; seed++ {
		g := newGen(seed)
		s := g.set(1 + g.r.IntN(30))
		opts := acl.AuthorizerOptions{AllowEveryoneIfNoACL: g.r.IntN(4) == 0}
		if g.r.IntN(4) == 0 {
			opts.SuperUsers = []string{"User:root", g.pick(genPrincipals[:3])}
		}
		x := NewIndex(s, opts, "User:declared-only")
		az := acl.NewAuthorizer(s, opts)
		known := x.Principals()
		if !slices.Contains(known, "User:declared-only") || slices.Contains(known, Anyone) {
			t.Fatalf("seed %d: known principals %v", seed, known)
		}
		for _, rt := range []acl.ResourceType{acl.ResourceTopic, acl.ResourceGroup, acl.ResourceCluster} {
			for _, name := range gridNames(s) {
				if rt == acl.ResourceCluster && name != acl.ClusterName {
					continue
				}
				for _, h := range gridHosts(s) {
					for _, op := range rt.Operations() {
						w := x.WhoCan(op, rt, name, h)
						for _, p := range known {
							if want := az.Allowed(req(p, h, op, rt, name)); slices.Contains(w.Principals, p) != want {
								t.Fatalf("seed %d: who-can %s %s %q from %s lists %v; the authorizer says %s allowed=%v", seed, op, rt, name, h, w.Principals, p, want)
							}
						}
						if want := az.Allowed(req("User:unknown", h, op, rt, name)); w.Anyone != want {
							t.Fatalf("seed %d: who-can %s %s %q: anyone=%v, an unknown principal allowed=%v", seed, op, rt, name, w.Anyone, want)
						}
						if !slices.IsSorted(w.Principals) {
							t.Fatalf("unsorted: %v", w.Principals)
						}
					}
				}
			}
		}
	}
}

// wantLines fails t when got, a result rendered one line per item, is not
// want.
func wantLines(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got  %q\n want %q", what, got, want)
	}
}

func TestWhoCanExplains(t *testing.T) {
	s := acl.NewSet(
		testutil.HostBinding(t, "User:a", "*", "TOPIC", "orders.", "PREFIXED", "READ", "ALLOW"),
		testutil.HostBinding(t, "User:b", "*", "TOPIC", "orders.events", "LITERAL", "READ", "DENY"),
		testutil.HostBinding(t, "User:*", "*", "TOPIC", "orders.events", "LITERAL", "READ", "ALLOW"),
		testutil.HostBinding(t, "User:c", "*", "TOPIC", "other", "LITERAL", "READ", "ALLOW"),
	)
	w := NewIndex(s, acl.AuthorizerOptions{SuperUsers: []string{"User:admin"}}).WhoCan(acl.OpRead, acl.ResourceTopic, "orders.events", "")
	if !w.Anyone || !slices.Equal(w.Principals, []string{"User:a", "User:admin", "User:c"}) {
		t.Fatalf("who-can READ orders.events: anyone=%v principals=%v", w.Anyone, w.Principals)
	}
	var got []string
	for _, d := range w.Decisions {
		got = append(got, d.Principal+" "+d.Reason)
	}
	wantLines(t, "decisions", got, "User:* "+acl.ReasonAllowed, "User:a "+acl.ReasonAllowed, "User:admin "+acl.ReasonSuperUser, "User:b "+acl.ReasonDenied)
}

func TestListGroupsByPatternWithDenies(t *testing.T) {
	s := acl.NewSet(
		testutil.HostBinding(t, "User:a", "*", "TOPIC", "orders.", "PREFIXED", "READ", "ALLOW"),
		testutil.HostBinding(t, "User:a", "*", "TOPIC", "orders.secret", "LITERAL", "READ", "DENY"),
		testutil.HostBinding(t, "User:a", "*", "TOPIC", "orders.events", "LITERAL", "READ", "ALLOW"), // says nothing new
		testutil.HostBinding(t, "User:a", "10.0.0.1", "TOPIC", "audit", "LITERAL", "WRITE", "ALLOW"),
		testutil.HostBinding(t, "User:*", "*", "GROUP", "*", "LITERAL", "DESCRIBE", "ALLOW"),
		testutil.HostBinding(t, "User:b", "*", "TOPIC", "orders.", "PREFIXED", "ALL", "ALLOW"),
	)
	l := NewIndex(s, acl.AuthorizerOptions{}).List("User:a")
	var got []string
	for _, p := range l.Permissions {
		line := p.ResourceType.String() + " " + p.PatternType.String() + " " + p.ResourceName + " host=" + p.Host + " allow:"
		for _, o := range p.Allowed {
			line += " " + o.Operation.String()
		}
		line += " deny:"
		for _, o := range p.Denied {
			line += " " + o.Operation.String()
		}
		got = append(got, line)
	}
	wantLines(t, "List", got,
		"TOPIC LITERAL audit host=10.0.0.1 allow: WRITE DESCRIBE deny:",
		"TOPIC PREFIXED orders. host=* allow: READ DESCRIBE deny:",
		"TOPIC LITERAL orders.secret host=* allow: DESCRIBE deny: READ",
		"GROUP LITERAL * host=* allow: DESCRIBE deny:",
	)
	if l := NewIndex(s, acl.AuthorizerOptions{SuperUsers: []string{"User:a"}}).List("User:a"); !l.SuperUser || len(l.Permissions) != 0 {
		t.Errorf("super user listing: %+v", l)
	}
}

// TestListAgreesWithTheAuthorizer checks every listed row against the
// authorizer on its example name: allowed operations are allowed, denied
// ones denied by a DENY binding.
func TestListAgreesWithTheAuthorizer(t *testing.T) {
	for seed := uint64(1); seed <= 200; seed++ {
		g := newGen(seed)
		s := g.set(1 + g.r.IntN(30))
		x := NewIndex(s, acl.AuthorizerOptions{})
		for _, p := range append(x.Principals(), Anyone) {
			for _, row := range x.List(p).Permissions {
				for _, o := range row.Allowed {
					if !x.Authorizer().Allowed(req(p, row.Host, o.Operation, row.ResourceType, row.Example)) {
						t.Fatalf("seed %d: %s listed %s on %+v, the authorizer denies it", seed, p, o.Operation, row)
					}
				}
				for _, o := range row.Denied {
					if d := x.Authorizer().Authorize(req(p, row.Host, o.Operation, row.ResourceType, row.Example)); d.Reason != acl.ReasonDenied {
						t.Fatalf("seed %d: %s listed denied %s on %+v, the authorizer: %s", seed, p, o.Operation, row, d.Reason)
					}
				}
			}
		}
	}
}

func TestGraphCollapsesAndFilters(t *testing.T) {
	s := acl.NewSet(
		testutil.HostBinding(t, "User:app", "*", "TOPIC", "orders.events", "LITERAL", "WRITE", "ALLOW"),
		testutil.HostBinding(t, "User:app", "*", "TOPIC", "orders.events", "LITERAL", "DESCRIBE", "ALLOW"),
		testutil.HostBinding(t, "User:bi", "*", "TOPIC", "orders.", "PREFIXED", "READ", "ALLOW"),
		testutil.HostBinding(t, "User:bi", "*", "GROUP", "bi-", "PREFIXED", "READ", "ALLOW"),
		testutil.HostBinding(t, "User:ops", "*", "CLUSTER", "kafka-cluster", "LITERAL", "ALL", "ALLOW"),
	)
	meta := Metadata{Teams: map[string]string{"User:app": "orders"}, Topics: []Topic{{Name: "orders.", PatternType: acl.PatternPrefixed, Team: "orders"}}}
	x := NewIndex(s, acl.AuthorizerOptions{})
	edge := func(e GraphEdge) string {
		var ops []string
		for _, o := range e.Operations {
			ops = append(ops, o.String())
		}
		return e.Principal + " -> " + e.Resource.ResourceType.String() + " " + e.Resource.ResourceName + " [" + e.Resource.Team + "] " + strings.Join(ops, ",") + map[bool]string{true: " writes", false: ""}[e.Writes]
	}
	var got []string
	for _, e := range x.Graph(meta, GraphFilter{}).Edges {
		got = append(got, edge(e))
	}
	wantLines(t, "edges", got,
		"User:app -> TOPIC orders.events [orders] WRITE writes",
		"User:bi -> TOPIC orders. [orders] READ",
		"User:bi -> GROUP bi- [] READ",
		"User:ops -> CLUSTER kafka-cluster [] ALL writes",
	)
	got = nil
	g := x.Graph(meta, GraphFilter{Topics: []string{"orders.events"}, Principals: []string{"User:b*"}})
	for _, e := range g.Edges {
		got = append(got, edge(e))
	}
	if want := []string{"User:bi -> TOPIC orders. [orders] READ"}; !slices.Equal(got, want) || len(g.Principals) != 1 {
		t.Errorf("filtered edges %q principals %v, want %q", got, g.Principals, want)
	}
}
