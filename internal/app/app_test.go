package app_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kafkaguard/kafkaguard/internal/app"
	"github.com/kafkaguard/kafkaguard/internal/testutil"
	"github.com/kafkaguard/kafkaguard/policies"
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
	var pto *policies.TimeoutError
	if !errors.As(err, &pto) || pto.Timeout != 300*time.Millisecond || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want a policies.TimeoutError of 300ms", err)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("took %s to stop a 300ms policy timeout", took)
	}
}

// The policies load while the inventory is read, but their errors still
// come after the inventory's: a bad inventory is reported as such even when
// the policies do not parse, and a good one reports the policy error. An
// engine cache (Engines) sees the load finished when Load returns, on every
// path, and is reused.
func TestLoadReportsTheInventoryBeforeThePolicies(t *testing.T) {
	dir := testutil.WriteFiles(t, map[string]string{
		"inv.yaml":     smallInventory,
		"bad.yaml":     "principals: [\n",
		"pol/bad.rego": "package acme\n\ndeny contains x if {\n",
		"ok/ok.rego":   "package acme\n\ndeny contains \"no\" if { false }\n",
	})
	engines := &app.Engines{}
	bad := app.Options{Files: []string{filepath.Join(dir, "bad.yaml")}, PolicyDirs: []string{filepath.Join(dir, "pol")}, Engines: engines}
	_, err := app.Load(context.Background(), bad)
	if err == nil || !strings.Contains(err.Error(), "bad.yaml") || strings.Contains(err.Error(), "bad.rego") {
		t.Errorf("bad inventory and policy: err %v, want the inventory's", err)
	}
	bad.Files = []string{filepath.Join(dir, "inv.yaml")}
	if _, err := app.Load(context.Background(), bad); err == nil || !strings.Contains(err.Error(), "bad.rego") {
		t.Errorf("bad policy: err %v, want the policy's", err)
	}
	ok := app.Options{Files: []string{filepath.Join(dir, "inv.yaml")}, PolicyDirs: []string{filepath.Join(dir, "ok")}, Engines: engines}
	for range 2 {
		if w, err := app.Load(context.Background(), ok); err != nil || w.Compiled == nil || w.Compiled.ACLs.Len() == 0 {
			t.Fatalf("good inventory and policy: %+v, %v", w, err)
		}
	}
}

// A cancelled context stops the load of the policies too.
func TestLoadCancelled(t *testing.T) {
	dir := testutil.WriteFiles(t, map[string]string{"inv.yaml": smallInventory})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := app.Load(ctx, app.Options{Files: []string{filepath.Join(dir, "inv.yaml")}}); err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("err %v, want the cancellation", err)
	}
}
