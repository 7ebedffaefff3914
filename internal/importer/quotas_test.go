package importer

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/inventory"
)

// TestImportNormalizesShortIPv6Hosts: a binding stored with "::1" (kafka-acls.sh
// stores the string it is given) imports as the broker compares hosts, the
// round-trip check compares with the normalized set, and the inventory
// says which hosts were rewritten.
func TestImportNormalizesShortIPv6Hosts(t *testing.T) {
	text := "Current ACLs for resource `ResourcePattern(resourceType=TOPIC, name=orders, patternType=LITERAL)`: \n" +
		" \t(principal=User:Bob, host=::1, operation=READ, permissionType=ALLOW)\n" +
		"\t(principal=User:Bob, host=2001:db8::7, operation=WRITE, permissionType=DENY)\n" +
		"\t(principal=User:Bob, host=198.51.100.1, operation=DESCRIBE, permissionType=ALLOW) \n\n"
	file := filepath.Join(t.TempDir(), "acls.txt")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Import(context.Background(), Options{From: "kafka-acls", Paths: []string{file}})
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	want := acl.NewSet(
		bind("User:Bob", "0:0:0:0:0:0:0:1", "TOPIC", "orders", "LITERAL", "READ", "ALLOW"),
		bind("User:Bob", "2001:db8:0:0:0:0:0:7", "TOPIC", "orders", "LITERAL", "WRITE", "DENY"),
		bind("User:Bob", "198.51.100.1", "TOPIC", "orders", "LITERAL", "DESCRIBE", "ALLOW"),
	)
	if !res.Compiled.ACLs.Equal(want) {
		t.Fatalf("compiled %v, want %v", res.Compiled.ACLs.Bindings(), want.Bindings())
	}
	got := res.Inventory.NormalizedHosts
	if len(got) != 2 || got[0] != (HostChange{"2001:db8::7", "2001:db8:0:0:0:0:0:7"}) || got[1] != (HostChange{"::1", "0:0:0:0:0:0:0:1"}) {
		t.Fatalf("normalized hosts %v", got)
	}
}

type quotaCluster struct {
	bindings []acl.Binding
	quotas   []cluster.ClientQuota
}

func (c quotaCluster) ACLs(context.Context) ([]acl.Binding, error)     { return c.bindings, nil }
func (c quotaCluster) SCRAMUsers(context.Context) ([]SCRAMUser, error) { return nil, nil }
func (c quotaCluster) ClientQuotas(context.Context) ([]cluster.ClientQuota, error) {
	return c.quotas, nil
}

func comp(typ string, name ...string) cluster.QuotaComponent {
	c := cluster.QuotaComponent{Type: typ}
	if len(name) > 0 {
		c.Name = &name[0]
	}
	return c
}

// TestImportClusterQuotas: user, user-default, client-id and client-id
// default quotas are written in the inventory's syntax and load back
// exactly; user+client-id and ip entities are left out and reported; a
// quota user without ACLs becomes an external principal.
func TestImportClusterQuotas(t *testing.T) {
	c := quotaCluster{
		bindings: []acl.Binding{bind("User:orders-api", "*", "TOPIC", "orders", "LITERAL", "WRITE", "ALLOW")},
		quotas: []cluster.ClientQuota{
			{Entity: []cluster.QuotaComponent{comp("user", "orders-api")}, Values: map[string]float64{"producer_byte_rate": 1048576, "request_percentage": 12.5}},
			{Entity: []cluster.QuotaComponent{comp("user", "quota-only")}, Values: map[string]float64{"consumer_byte_rate": 2048}},
			{Entity: []cluster.QuotaComponent{comp("user")}, Values: map[string]float64{"producer_byte_rate": 4096}},
			{Entity: []cluster.QuotaComponent{comp("client-id", "etl")}, Values: map[string]float64{"controller_mutation_rate": 10}},
			{Entity: []cluster.QuotaComponent{comp("client-id")}, Values: map[string]float64{"consumer_byte_rate": 999}},
			{Entity: []cluster.QuotaComponent{comp("client-id", "etl"), comp("user", "orders-api")}, Values: map[string]float64{"producer_byte_rate": 1}},
			{Entity: []cluster.QuotaComponent{comp("ip", "10.0.0.1")}, Values: map[string]float64{"connection_creation_rate": 5}},
		},
	}
	res, err := Import(context.Background(), Options{From: "cluster", Cluster: c})
	if err != nil {
		t.Fatal(err)
	}
	inv := res.Inventory
	parsed, data := reload(t, inv)
	if len(parsed.Quotas) != 5 {
		t.Fatalf("loaded %d quotas, want 5:\n%s", len(parsed.Quotas), data)
	}
	for e, want := range map[inventory.QuotaEntity]map[string]float64{
		{Type: "user", Name: "orders-api"}: {"producer_byte_rate": 1048576, "request_percentage": 12.5},
		{Type: "user", Name: "quota-only"}: {"consumer_byte_rate": 2048},
		{Type: "user", Default: true}:      {"producer_byte_rate": 4096},
		{Type: "client-id", Name: "etl"}:   {"controller_mutation_rate": 10},
		{Type: "client-id", Default: true}: {"consumer_byte_rate": 999},
	} {
		q, ok := parsed.QuotaOf(e)
		if !ok || len(q.Values) != len(want) {
			t.Fatalf("%s: got %v, want %v\n%s", e, q.Values, want, data)
		}
		for k, v := range want {
			if q.Values[k] != v {
				t.Errorf("%s %s = %v, want %v", e, k, q.Values[k], v)
			}
		}
	}
	if got := strings.Join(inv.QuotasLeftOut, " "); got != "client-id=etl,user=orders-api ip=10.0.0.1" {
		t.Errorf("left out %q", got)
	}
	if !strings.Contains(string(data), "quota-only: {auth: external, quotas: {consumer_byte_rate: 2048}}") {
		t.Errorf("quota-only principal not declared external:\n%s", data)
	}
	if !strings.Contains(string(data), "orders-api: {auth: external, quotas: {producer_byte_rate: 1048576, request_percentage: 12.5}}") {
		t.Errorf("principal quota not written inline:\n%s", data)
	}

	// A user quota the inventory cannot write exactly is an error, never
	// silently left out (plan would remove it).
	c.quotas = []cluster.ClientQuota{{Entity: []cluster.QuotaComponent{comp("user", "x")}, Values: map[string]float64{"producer_byte_rate": 1.5}}}
	if _, err := Import(context.Background(), Options{From: "cluster", Cluster: c}); err == nil || !strings.Contains(err.Error(), "user=x") {
		t.Fatalf("fractional byte rate: %v", err)
	}
}
