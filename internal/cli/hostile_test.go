package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kafkaguard/kafkaguard/internal/testutil"
)

// runMain runs kafkaguard in-process and returns its exit code and output.
func runMain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(append([]string{"kafkaguard"}, args...), strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func hugeGrantFile(t *testing.T, hosts, topics int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "inv.yaml")
	if err := os.WriteFile(p, []byte(testutil.HugeGrantInventory(hosts, topics)), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// The red team's 2000 hosts x 2000 topics grant (36 KB) grew past 5 GB: now
// every command that loads an inventory exits 1 within seconds, naming the
// limit and the flag that raises it.
func TestHugeGrantExits1FastInEveryCommand(t *testing.T) {
	p := hugeGrantFile(t, 2000, 2000)
	for _, args := range [][]string{
		{"compile", "-f", p},
		{"policy", "check", "-f", p},
		{"plan", "-f", p, "--bootstrap-server", "127.0.0.1:1"},
		{"users", "plan", "-f", p, "--bootstrap-server", "127.0.0.1:1"},
		{"audit", "-f", p, "--bootstrap-server", "127.0.0.1:1"},
	} {
		start := time.Now()
		code, stdout, stderr := runMain(t, args...)
		if code != ExitError || stdout != "" || !strings.Contains(stderr, "inv.yaml:4: grant would produce at least 4,000,000 bindings") ||
			!strings.Contains(stderr, "--max-grant-bindings") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args[:2], code, stdout, stderr)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%v took %s", args[:2], d)
		}
	}
	// The global flag raises the limit (a smaller grant, still over 100,000).
	p = hugeGrantFile(t, 400, 300)
	if code, _, stderr := runMain(t, "compile", "-f", p); code != ExitError || !strings.Contains(stderr, "120,000 bindings") {
		t.Fatalf("default limit: exit %d, %s", code, stderr)
	}
	if code, stdout, stderr := runMain(t, "--max-grant-bindings", "300000", "compile", "-f", p, "-o", "json"); code != ExitOK || strings.Count(stdout, `"principal"`) != 240000 {
		t.Fatalf("raised limit: exit %d, %d bindings, %s", code, strings.Count(stdout, `"principal"`), stderr)
	}
}

func TestYAMLAliasBombExits1Fast(t *testing.T) {
	var b strings.Builder
	b.WriteString("principals:\n  a: {auth: mtls}\ngrants:\n")
	b.WriteString("  - &g0 {principal: a, role: consumer, topics: [t]}\n")
	// Each level's anchor is a list of ten of the previous one, used as
	// grants through a merge of lists: 10^7 grants as written in 1 KB.
	for i := 1; i <= 7; i++ {
		fmt.Fprintf(&b, "  - &g%d [", i)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*g%d", i-1)
		}
		b.WriteString("]\n")
	}
	p := filepath.Join(t.TempDir(), "bomb.yaml")
	os.WriteFile(p, []byte(b.String()), 0o644)
	start := time.Now()
	code, _, stderr := runMain(t, "policy", "check", "-f", p)
	if code != ExitError || !strings.Contains(stderr, "bomb.yaml: the YAML, with its aliases expanded, has too many nodes") || !strings.Contains(stderr, "--max-yaml-nodes") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
}
