package importer

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/inventory"
	"github.com/kafkaguard/kafkaguard/policies"
)

// reload writes inv as YAML and loads it as kafkaguard would.
func reload(t testing.TB, inv *Inventory) (*inventory.Inventory, []byte) {
	t.Helper()
	data, err := inv.YAML()
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := inventory.Parse("imported.yaml", data)
	if err != nil {
		t.Fatalf("the imported inventory does not load: %v\n%s", err, data)
	}
	return parsed, data
}

// compileBack reloads inv and compiles it with the policy library: the
// bindings the inventory stands for.
func compileBack(t testing.TB, inv *Inventory) (acl.Set, *policies.Result, []byte) {
	t.Helper()
	parsed, data := reload(t, inv)
	res, err := policies.Compile(context.Background(), parsed, policies.Options{})
	if err != nil {
		t.Fatalf("the imported inventory does not compile: %v\n%s", err, data)
	}
	return res.ACLs, res, data
}

// roundTrip builds the inventory of in and checks that it compiles back to
// exactly want.
func roundTrip(t testing.TB, in Input, want []acl.Binding) (*Inventory, []byte) {
	t.Helper()
	inv, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	got, _, data := compileBack(t, inv)
	w := acl.NewSet(want...)
	if !got.Equal(w) {
		var b strings.Builder
		for _, x := range w.Minus(got).Bindings() {
			fmt.Fprintf(&b, "  missing: %s\n", x)
		}
		for _, x := range got.Minus(w).Bindings() {
			fmt.Fprintf(&b, "  extra:   %s\n", x)
		}
		t.Fatalf("the inventory compiles to %d bindings, want %d:\n%s\n%s", got.Len(), w.Len(), b.String(), data)
	}
	return inv, data
}

func bind(principal, host, rt, name, pt, op, perm string) acl.Binding {
	b, err := acl.FromStrings(principal, host, rt, name, pt, op, perm)
	if err != nil {
		// the stored form: operations a type does not define, CLUSTER "*"
		rtv, _ := acl.ParseResourceType(rt)
		ptv, _ := acl.ParsePatternType(pt)
		opv, _ := acl.ParseOperation(op)
		pv, _ := acl.ParsePermission(perm)
		b = acl.Binding{Principal: principal, Host: host, ResourceType: rtv, ResourceName: name, PatternType: ptv, Operation: opv, Permission: pv}
	}
	return b
}

func TestBuildInfersRoles(t *testing.T) {
	var bs []acl.Binding
	add := func(p, host, rt, name, pt, perm string, ops ...string) {
		for _, op := range ops {
			bs = append(bs, bind(p, host, rt, name, pt, op, perm))
		}
	}
	add("User:prod", "*", "TOPIC", "orders", "LITERAL", "ALLOW", "WRITE", "DESCRIBE")
	add("User:prod", "*", "TOPIC", "orders.", "PREFIXED", "ALLOW", "WRITE", "DESCRIBE", "CREATE")
	add("User:cons", "*", "TOPIC", "orders", "LITERAL", "ALLOW", "READ", "DESCRIBE")
	add("User:cons", "*", "GROUP", "cons-", "PREFIXED", "ALLOW", "READ")
	add("User:both", "*", "TOPIC", "t", "LITERAL", "ALLOW", "READ", "WRITE", "DESCRIBE", "CREATE")
	add("User:both", "*", "GROUP", "g", "LITERAL", "ALLOW", "READ")
	add("User:tx", "*", "TOPIC", "t", "LITERAL", "ALLOW", "WRITE", "DESCRIBE")
	add("User:tx", "*", "TRANSACTIONAL_ID", "tx-", "PREFIXED", "ALLOW", "WRITE", "DESCRIBE")
	add("User:tx", "*", "CLUSTER", "kafka-cluster", "LITERAL", "ALLOW", "IDEMPOTENT_WRITE")
	add("User:deny", "10.0.0.1", "TOPIC", "secret", "LITERAL", "DENY", "READ")
	add("User:deny", "10.0.0.2", "TOPIC", "secret", "LITERAL", "DENY", "READ")
	add("User:*", "*", "TOPIC", "public", "LITERAL", "ALLOW", "READ", "DESCRIBE")
	add("User:CN=odd, \"quoted\" \\ name,OU=x", "host.example.com", "TOPIC", "*", "LITERAL", "ALLOW", "ALL")
	add("User:token", "*", "USER", "alice", "LITERAL", "ALLOW", "CREATE_TOKENS", "DESCRIBE_TOKENS")
	add("User:token", "*", "DELEGATION_TOKEN", "tok", "LITERAL", "ALLOW", "DESCRIBE")
	add("User:ksm", "*", "CLUSTER", "*", "LITERAL", "ALLOW", "CREATE")
	add("User:ksm", "12.34.56.78", "GROUP", "bar", "LITERAL", "DENY", "WRITE")
	inv, data := roundTrip(t, Input{Source: "test", Bindings: bs}, bs)
	t.Logf("%s", data)
	roles := map[string]int{}
	for _, g := range inv.Grants {
		roles[g.Principal+"/"+g.Role]++
	}
	for _, want := range []string{"prod/producer", "cons/consumer", "both/producer", "both/consumer", "tx/transactional-producer"} {
		if roles[want] == 0 {
			t.Errorf("no grant %s in\n%s", want, data)
		}
	}
	if roles["prod/producer"] != 2 {
		t.Errorf("prod: want two producer grants (with and without create), got %d\n%s", roles["prod/producer"], data)
	}
	if !strings.Contains(string(data), "hosts: [10.0.0.1, 10.0.0.2]") {
		t.Errorf("the DENY grants on two hosts are not merged:\n%s", data)
	}
	wantManaged := []string{"User:*", "User:CN=odd, \"quoted\" \\ name,OU=x", "User:both", "User:cons", "User:deny", "User:ksm", "User:prod", "User:token", "User:tx"}
	if strings.Join(inv.Managed, "|") != strings.Join(wantManaged, "|") {
		t.Errorf("managed = %q, want %q", inv.Managed, wantManaged)
	}
}

func TestBuildRejectsWhatCannotBeWritten(t *testing.T) {
	for _, tc := range []struct {
		b    acl.Binding
		want string
	}{
		{bind("Group:ops", "*", "TOPIC", "t", "LITERAL", "READ", "ALLOW"), "User principals only"},
		{bind("User:a", "*", "GROUP", "g*", "LITERAL", "READ", "ALLOW"), "LITERAL name ending in"},
	} {
		_, err := Build(Input{Bindings: []acl.Binding{tc.b}})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.b, err, tc.want)
		}
	}
}
