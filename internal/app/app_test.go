package app_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/kafkaguard/kafkaguard/internal/app"
	"github.com/kafkaguard/kafkaguard/internal/testutil"
)

const smallInventory = `principals:
  orders-api: {auth: scram-sha-512, team: orders}
  analytics: {auth: mtls, team: data}
topics:
  orders.events: {team: orders}
grants:
  - {principal: orders-api, role: producer, topics: [orders.events]}
`

func TestLoadWiresTheWholeInventory(t *testing.T) {
	dir := testutil.WriteFiles(t, map[string]string{"inv.yaml": smallInventory})
	w, err := app.Load(context.Background(), app.Options{Files: []string{filepath.Join(dir, "inv.yaml")}})
	if err != nil {
		t.Fatal(err)
	}
	if w.Compiled == nil || w.Compiled.ACLs.Len() == 0 {
		t.Fatalf("compiled %+v", w.Compiled)
	}
	if !w.Scope.Contains("User:orders-api") || w.Scope.Contains("User:stranger") {
		t.Errorf("scope %s", w.Scope)
	}
	if len(w.Users) != 1 || w.Users[0].Name != "orders-api" {
		t.Errorf("users %+v", w.Users)
	}
	if err := w.Denied(); err != nil {
		t.Errorf("denied: %v", err)
	}

	nw, err := app.Load(context.Background(), app.Options{Files: []string{filepath.Join(dir, "inv.yaml")}, NoPolicy: true})
	if err != nil || nw.Compiled != nil || len(nw.Users) != 1 {
		t.Errorf("NoPolicy: %+v, %v", nw, err)
	}
}

func TestLoadWithoutInventory(t *testing.T) {
	if _, err := app.Load(context.Background(), app.Options{}); !errors.Is(err, app.ErrNoInventory) {
		t.Errorf("err %v, want ErrNoInventory", err)
	}
}

// A policy that never finishes is stopped by the policy timeout, as a typed
// error, within a few times that timeout.
func TestLoadStopsAPolicyAtItsTimeout(t *testing.T) {
	dir := testutil.WriteFiles(t, map[string]string{
		"inv.yaml": smallInventory,
		"pol/forever.rego": `package acme

r := numbers.range(1, 100000)

warn contains "never" if {
	count([1 | some x in r; some y in r; x + y < 0]) > 0
}
`,
	})
	start := time.Now()
	_, err := app.Load(context.Background(), app.Options{
		Files: []string{filepath.Join(dir, "inv.yaml")}, PolicyDirs: []string{filepath.Join(dir, "pol")}, PolicyTimeout: 300 * time.Millisecond,
	})
	var pto *app.PolicyTimeoutError
	if !errors.As(err, &pto) || pto.Timeout != 300*time.Millisecond || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want a PolicyTimeoutError of 300ms", err)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("took %s to stop a 300ms policy timeout", took)
	}
}
