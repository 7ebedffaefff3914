package policies

import (
	"context"
	"sync"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/kafkaguard/kafkaguard/inventory"
)

// One engine compiles several inventories, at the same time, each with the
// result a fresh Compile gives.
func TestEngineCompilesManyInventories(t *testing.T) {
	ctx := context.Background()
	e, err := Load(ctx, Options{PolicyDirs: []string{"../testdata/policies/acme"}})
	if err != nil {
		t.Fatal(err)
	}
	invs := []string{"../testdata/inventory/design.yaml", "../examples/inventory"}
	var wg sync.WaitGroup
	for range 3 {
		for _, path := range invs {
			inv := mustLoad(t, path)
			wg.Go(func() {
				got, err := e.Compile(ctx, inv)
				if err != nil {
					t.Error(err)
					return
				}
				want, err := Compile(ctx, inv, Options{PolicyDirs: []string{"../testdata/policies/acme"}})
				if err != nil {
					t.Error(err)
					return
				}
				if !got.ACLs.Equal(want.ACLs) || len(got.Deny) != len(want.Deny) || len(got.Warn) != len(want.Warn) || len(got.Checks) != len(want.Checks) {
					t.Errorf("%s: the engine's result differs from Compile's", path)
				}
			})
		}
	}
	wg.Wait()
}

// The engine checks the mtls DNs of every inventory it compiles.
func TestEngineChecksDNs(t *testing.T) {
	e, err := Load(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	inv := parseInv(t, "principals:\n  a: {auth: mtls, dn: \"CN=b\"}\ngrants:\n  - {principal: a, role: producer, topics: [t]}\n")
	if _, err := e.Compile(context.Background(), inv); err == nil {
		t.Fatal("a dn that maps to User:b compiled for User:a")
	}
}

func TestProvenanceString(t *testing.T) {
	for _, tc := range []struct {
		p    Provenance
		want string
	}{
		{grantProvenance("inv.yaml:14", "producer"), "grant inv.yaml:14 (role producer)"},
		{grantProvenance("C:\\inv:x.yaml:3", ""), "grant C:\\inv:x.yaml:3 (operations)"},
		{ruleProvenance(ruleSite{pkg: ast.MustParseRef("data.acme.extra"), location: "p/acls.rego:5"}, "acls"), "rule data.acme.extra.acls (p/acls.rego:5)"},
		{Provenance{File: "inv.yaml", Role: "consumer"}, "grant inv.yaml (role consumer)"},
	} {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.p, got, tc.want)
		}
	}
	if p := grantProvenance("a:b.yaml:7", "x"); p.File != "a:b.yaml" || p.Line != 7 || p.Location() != "a:b.yaml:7" || !p.IsGrant() {
		t.Errorf("grantProvenance = %+v", p)
	}
}

// BenchmarkLoad is what audit --clusters saves per cluster that shares the
// policies: parsing, compiling and preparing the library.
func BenchmarkLoad(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		if _, err := Load(ctx, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEngineCompileSmall compiles a small inventory with a prepared
// engine; BenchmarkCompileSmall loads the policies each time, as a Compile
// per cluster would.
func BenchmarkEngineCompileSmall(b *testing.B) {
	ctx := context.Background()
	inv, err := inventory.Load("../testdata/inventory/design.yaml")
	if err != nil {
		b.Fatal(err)
	}
	e, err := Load(ctx, Options{})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := e.Compile(ctx, inv); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompileSmall(b *testing.B) {
	ctx := context.Background()
	inv, err := inventory.Load("../testdata/inventory/design.yaml")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Compile(ctx, inv, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
