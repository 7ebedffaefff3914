package policies

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/kafkaguard/kafkaguard/inventory"
)

// randomInventory is a small inventory of the shapes the guardrails care
// about: prefixes and "*" in every list and among the declared topics,
// restricted and other topics with and without teams, names with and
// without ".", operations grants with and without a resource, every kind of
// role, DENY and approved grants, superusers, quotas.
func randomInventory(r *rand.Rand) *inventory.Inventory {
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	names := []string{"a.x", "a.*", "a*", "*", "b.y", "c", "ab", "b*", "a.x.z", "b.", "ledger", "a.x*", "c.d.*"}
	some := func(n int) []string {
		var out []string
		for range r.IntN(n + 1) {
			out = append(out, names[r.IntN(len(names))])
		}
		return out
	}
	inv := &inventory.Inventory{}
	for i := range 4 {
		inv.Principals = append(inv.Principals, inventory.Principal{Name: fmt.Sprintf("p%d", i), Auth: "mtls",
			Team: pick("a", "b", ""), Superuser: r.IntN(8) == 0, Source: fmt.Sprintf("p:%d", i)})
	}
	seen := map[string]bool{}
	for i := range r.IntN(8) {
		n := names[r.IntN(len(names))]
		if seen[n] {
			continue
		}
		seen[n] = true
		inv.Topics = append(inv.Topics, inventory.Topic{Name: n, Team: pick("a", "b", ""),
			Classification: pick("restricted", "restricted", "internal", "confidential"), Source: fmt.Sprintf("t:%d", i)})
	}
	for i := range 1 + r.IntN(6) {
		g := inventory.Grant{Principal: pick("p0", "p1", "p2", "p3", "*"), Permission: pick("ALLOW", "ALLOW", "DENY"),
			Hosts: []string{"*"}, Source: fmt.Sprintf("g:%d", i), Index: i}
		if r.IntN(3) == 0 {
			g.ApprovedBy = "x"
		}
		switch role := pick("producer", "consumer", "streams-app", "connector", "", "", "auditor", "transactional-producer", "nope"); role {
		case "":
			g.Operations = []string{pick("READ", "WRITE", "ALL", "DESCRIBE")}
			if r.IntN(3) == 0 {
				g.Resource = &inventory.Resource{Type: pick("TOPIC", "GROUP"), Name: names[r.IntN(len(names))]}
			} else {
				g.Topics, g.Groups = some(3), some(1)
			}
		case "streams-app":
			g.Role, g.ApplicationID, g.Inputs, g.Outputs = role, pick("a", "a.x", "c", ""), some(2), some(2)
		case "connector":
			g.Role, g.Connector, g.Inputs, g.Outputs, g.DLQ = role, "k", some(2), some(2), pick("", "a.x", "ledger")
		default:
			g.Role, g.Topics, g.Groups, g.TransactionalIDs = role, some(3), some(1), some(1)
		}
		inv.Grants = append(inv.Grants, g)
	}
	if r.IntN(4) == 0 {
		inv.QuotaRequiredFor = []string{"confidential"}
	}
	return inv
}

// ruleValues evaluates each of rules over in as the library defines it.
func ruleValues(t *testing.T, pq rego.PreparedEvalQuery, in ast.Value) results {
	t.Helper()
	res, err := evalQuery(context.Background(), pq, in)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestDenyIndexesMatchRules: the indexes Go builds for the deny query are
// the values of the Rego rules they stand in for, over generated
// inventories and random small ones.
func TestDenyIndexesMatchRules(t *testing.T) {
	ctx := context.Background()
	e, err := Load(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !e.indexed {
		t.Fatal("the library alone does not take the deny indexes")
	}
	mods, err := loadModules(nil, false)
	if err != nil {
		t.Fatal(err)
	}
	compiler, err := compileModules(mods, false, sandbox())
	if err != nil {
		t.Fatal(err)
	}
	var terms []queryTerm
	for _, r := range denyIndexRules {
		terms = append(terms, queryTerm{name: r, ref: libraryPackage.Append(ast.StringTerm(r))})
	}
	pq, err := prepareQuery(ctx, compiler, terms, "", "")
	if err != nil {
		t.Fatal(err)
	}
	invs := []*inventory.Inventory{genInventory(200, 1000), {}}
	r := rand.New(rand.NewPCG(19, 2))
	for range 300 {
		invs = append(invs, randomInventory(r))
	}
	for i, inv := range invs {
		in := inputValueAt(inv, time.Now(), nil)
		idx := denyIndexes(in.(ast.Object), inv)
		if idx == nil {
			t.Fatalf("inventory %d: no indexes for an input kafkaguard built", i)
		}
		want := ruleValues(t, pq, in)
		for _, rule := range denyIndexRules {
			got := idx.Get(ast.StringTerm(rule))
			w := want.get(rule)
			if got == nil || w == nil || !ast.ValueEqual(got.Value, w) {
				t.Fatalf("inventory %d: %s: Go index %v, rule %v\ninput %v", i, rule, got, w, in)
			}
		}
	}
}

// TestIndexedDenyQuery: the deny query with the indexes finds what the
// rules as written find, findings and grant errors alike.
func TestIndexedDenyQuery(t *testing.T) {
	ctx := context.Background()
	e, err := Load(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(19, 3))
	findings := 0
	for i := range 300 {
		inv := randomInventory(r)
		in := inputValueAt(inv, time.Now(), nil)
		var got [2]string
		for j, q := range []struct {
			pq rego.PreparedEvalQuery
			in ast.Value
		}{{e.deny, in}, {e.denyIndexed, indexedInput(in, inv)}} {
			res, err := evalQuery(ctx, q.pq, q.in)
			if err != nil {
				got[j] = "error: " + err.Error()
				continue
			}
			found := findingsOfRules(res, e.denies, "deny", e.copies)
			got[j] = fmt.Sprint(res.get("grant_errors"), found)
			if j == 1 {
				findings += len(found)
			}
		}
		if got[0] != got[1] {
			t.Fatalf("inventory %d: as written %s\nindexed %s\ninput %v", i, got[0], got[1], in)
		}
	}
	if findings < 100 {
		t.Fatalf("only %d findings over the random inventories: the comparison says little", findings)
	}
}

// TestDenyIndexesOnlyWhereExact: no indexes for an input that is not the
// inventory's one for one (the rules run as written), and none when a user
// policy adds to one of the rules they stand in for, whose definition then
// still counts.
func TestDenyIndexesOnlyWhereExact(t *testing.T) {
	base := func() *inventory.Inventory {
		return &inventory.Inventory{
			Principals: []inventory.Principal{{Name: "p", Superuser: true, Source: "p:1"}},
			Topics:     []inventory.Topic{{Name: "t", Classification: "restricted", Source: "t:1"}},
			Grants:     []inventory.Grant{{Principal: "p", Role: "consumer", Topics: []string{"t*"}, Source: "g:1"}},
		}
	}
	in := inputValueAt(base(), time.Time{}, nil)
	if indexedInput(in, base()) == nil {
		t.Fatal("no indexes for the input of the inventory")
	}
	for name, change := range map[string]func(*inventory.Inventory){
		"another grant": func(inv *inventory.Inventory) { inv.Grants = append(inv.Grants, inv.Grants[0]) },
		"another topic": func(inv *inventory.Inventory) { inv.Topics = append(inv.Topics, inventory.Topic{Name: "u"}) },
		"another principal": func(inv *inventory.Inventory) {
			inv.Principals = append(inv.Principals, inventory.Principal{Name: "q"})
		},
		"a topic the input lacks": func(inv *inventory.Inventory) { inv.Topics[0].Name = "u" },
		"a superuser it lacks":    func(inv *inventory.Inventory) { inv.Principals[0].Name = "q" },
	} {
		inv := base()
		change(inv)
		if indexedInput(in, inv) != nil {
			t.Errorf("%s: indexes built", name)
		}
	}
	if indexedInput(ast.MustParseTerm(`{"grants": {}, "topics": {}, "principals": {}}`).Value, &inventory.Inventory{}) != nil {
		t.Error("indexes built for grants that are not an array")
	}

	dir := t.TempDir()
	src := "package kafkaguard\n\nrestricted_topics := {\"ledger\": {\"team\": \"x\"}} if input.cluster.name == \"c\"\n"
	if err := os.WriteFile(filepath.Join(dir, "extra.rego"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	e, err := Load(context.Background(), Options{PolicyDirs: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	if e.indexed {
		t.Fatal("deny indexes used although a user policy defines restricted_topics")
	}
	inv := &inventory.Inventory{Cluster: inventory.Cluster{Name: "c"},
		Principals: []inventory.Principal{{Name: "p", Auth: "mtls", Team: "y", Source: "p:1"}},
		Topics:     []inventory.Topic{{Name: "ledger", Team: "x", Classification: "restricted", Source: "t:1"}},
		// An unapproved read of a prefix: the deny rules look at the restricted topics.
		Grants: []inventory.Grant{{Principal: "p", Role: "consumer", Permission: "ALLOW", Topics: []string{"led*"}, Hosts: []string{"*"}, Source: "g:1"}}}
	if _, err := e.Compile(context.Background(), inv); err == nil {
		t.Fatal("a user definition of restricted_topics that conflicts with the library's compiled without an error")
	}
}
