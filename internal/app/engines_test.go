package app_test

import (
	"context"
	"testing"

	"github.com/kafkaguard/kafkaguard/internal/app"
	"github.com/kafkaguard/kafkaguard/policies"
)

// The clusters of one audit that share their policies share one prepared
// engine: the Rego is compiled once.
func TestEnginesAreShared(t *testing.T) {
	var m app.Engines
	ctx := context.Background()
	a, err := m.Load(ctx, policies.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := m.Load(ctx, policies.Options{})
	c, err := m.Load(ctx, policies.Options{PolicyDirs: []string{"../../testdata/policies/acme"}})
	if err != nil {
		t.Fatal(err)
	}
	if a != b || a == c {
		t.Errorf("engines %p %p %p: want the first two shared and the third its own", a, b, c)
	}
}

// Two inventories loaded with one Engines compile with the same engine and
// the results of a fresh compile.
func TestLoadWithEngines(t *testing.T) {
	var m app.Engines
	ctx := context.Background()
	for range 2 {
		w, err := app.Load(ctx, app.Options{Files: []string{"../../testdata/inventory/design.yaml"}, Engines: &m})
		if err != nil {
			t.Fatal(err)
		}
		if w.Compiled.ACLs.Len() != 12 {
			t.Errorf("%d bindings, want 12", w.Compiled.ACLs.Len())
		}
	}
}
