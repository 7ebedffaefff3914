//go:build unix

package cli

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// documentedEnv reads the README's table of environment variables: name and
// example value. The <COMMAND>_OUTPUT row names its variables in the middle
// column.
func documentedEnv(t *testing.T) map[string]string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "### Environment variables")
	if !ok {
		t.Fatal("README.md has no Environment variables section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	vars := map[string]string{}
	row := regexp.MustCompile("(?m)^\\| `(KAFKAGUARD_[A-Z_<>]+)` \\| (.*) \\| `([^`]*)` \\|$")
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		if !strings.Contains(m[1], "<") {
			vars[m[1]] = m[3]
			continue
		}
		for _, name := range regexp.MustCompile("`(KAFKAGUARD_[A-Z_]+_OUTPUT)`").FindAllStringSubmatch(m[2], -1) {
			vars[name[1]] = "json"
		}
		name, value, _ := strings.Cut(m[3], "=")
		vars[name] = value
	}
	if len(vars) < 15 {
		t.Fatalf("read %d variables from README.md: %v", len(vars), vars)
	}
	return vars
}

// TestEveryDocumentedVariableAtOnce sets every variable the README documents,
// and the deprecated shared ones, at once (as a CI job or a shell profile
// would), then runs dev up, pki list, compile and plan: none may take
// another command's variable. It was KAFKAGUARD_DIR that made dev up sign
// its broker with the production CA, and KAFKAGUARD_OUTPUT=sarif that broke
// compile and plan.
func TestEveryDocumentedVariableAtOnce(t *testing.T) {
	vars := documentedEnv(t)
	t.Chdir(t.TempDir())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	write := func(name, body string) {
		os.MkdirAll(filepath.Dir(name), 0o700)
		if err := os.WriteFile(name, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("inventory.yaml", "cluster: {name: t}\nprincipals:\n  app: {auth: mtls, team: t}\ntopics:\n  events: {team: t, classification: internal}\ngrants:\n  - {principal: app, role: producer, topics: [events]}\n")
	write("policies/roles.rego", "package kafkaguard\n\nroles[\"topic-auditor\"] := [{\"resource\": \"topics\", \"operations\": [\"DESCRIBE\"]}]\n")
	os.MkdirAll("secrets", 0o700)

	run := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := Main(append([]string{"kafkaguard"}, args...), strings.NewReader(""), &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	// The production CA that KAFKAGUARD_DIR used to point everything at.
	if code, _, stderr := run("pki", "init", "--dir", "prod-ca"); code != 0 {
		t.Fatalf("pki init: %s", stderr)
	}

	vars["KAFKAGUARD_DIR"] = "prod-ca"
	vars["KAFKAGUARD_OUTPUT"] = "sarif"
	vars["KAFKAGUARD_OUT"] = "old.prom"
	for k, v := range vars {
		t.Setenv(k, strings.ReplaceAll(v, "127.0.0.1:9092", addr))
	}
	for _, want := range []string{"KAFKAGUARD_PKI_DIR", "KAFKAGUARD_DEV_DIR", "KAFKAGUARD_FILE", "KAFKAGUARD_COMPILE_OUTPUT", "KAFKAGUARD_PLAN_OUTPUT", "KAFKAGUARD_COMMAND_CONFIG", "KAFKAGUARD_LISTEN"} {
		if _, ok := vars[want]; !ok {
			t.Fatalf("README.md does not document %s", want)
		}
	}
	if code, _, stderr := run("pki", "init"); code != 0 {
		t.Fatalf("pki init with KAFKAGUARD_PKI_DIR: %s", stderr)
	}

	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() { done <- Main([]string{"kafkaguard", "dev", "up"}, strings.NewReader(""), &stdout, &stderr) }()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(stderr.String(), "press Ctrl-C") {
		select {
		case code := <-done:
			t.Fatalf("dev up exited with %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("dev up did not start\nstderr:\n%s", stderr.String())
		}
	}
	defer func() {
		syscall.Kill(os.Getpid(), syscall.SIGTERM)
		<-done
	}()
	devDir := vars["KAFKAGUARD_DEV_DIR"]
	if !strings.Contains(stdout.String(), addr) {
		t.Errorf("dev up does not listen on KAFKAGUARD_LISTEN %s:\n%s", addr, stdout.String())
	}
	read := func(p string) string { b, _ := os.ReadFile(p); return string(b) }
	devCA, pkiCA, prodCA := read(filepath.Join(devDir, "ca.pem")), read(filepath.Join(vars["KAFKAGUARD_PKI_DIR"], "ca.pem")), read("prod-ca/ca.pem")
	if devCA == "" || devCA == pkiCA || devCA == prodCA {
		t.Errorf("dev up did not make its own CA in KAFKAGUARD_DEV_DIR=%s", devDir)
	}
	for _, dir := range []string{"prod-ca", vars["KAFKAGUARD_PKI_DIR"]} {
		if _, err := os.Stat(filepath.Join(dir, "admin.properties")); err == nil {
			t.Errorf("dev up wrote admin.properties into the CA directory %s", dir)
		}
	}
	code, out, errOut := run("pki", "list")
	if code != 0 || strings.HasPrefix(strings.TrimSpace(out), "{") {
		t.Errorf("pki list: exit %d (want 0, text: KAFKAGUARD_OUTPUT=sarif is not a pki list format)\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "KAFKAGUARD_OUTPUT=sarif ignored") {
		t.Errorf("pki list does not note the ignored KAFKAGUARD_OUTPUT:\n%s", errOut)
	}

	code, out, errOut = run("compile")
	var bindings []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &bindings) != nil || len(bindings) == 0 {
		t.Errorf("compile: exit %d, want JSON bindings (KAFKAGUARD_COMPILE_OUTPUT=json)\n%s\n%s", code, out, errOut)
	}

	code, out, errOut = run("plan")
	if code != 0 || !json.Valid([]byte(out)) {
		t.Errorf("plan: exit %d, want a JSON plan against the dev cluster (KAFKAGUARD_PLAN_OUTPUT=json)\n%s\n%s", code, out, errOut)
	}
}
