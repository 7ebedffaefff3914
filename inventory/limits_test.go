package inventory

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/kafkaguard/kafkaguard/internal/testutil"
)

// aliasBomb is small as written and exponential once its aliases are
// expanded: each level lists the previous one ten times.
func aliasBomb(levels int) string {
	var b strings.Builder
	b.WriteString("x0: &a0 [t, t, t, t, t, t, t, t, t, t]\n")
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "x%d: &a%d [", i, i)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		b.WriteString("]\n")
	}
	return b.String()
}

func writeFile(t *testing.T, name, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func wantLimit(t *testing.T, err error, kind LimitKind, where string) {
	t.Helper()
	var le *LimitError
	if !errors.As(err, &le) || le.Kind != kind || !strings.HasPrefix(err.Error(), where) {
		t.Fatalf("error = %v, want a limit error at %s of kind %d", err, where, kind)
	}
}

func TestHugeGrantIsRefusedBeforeExpansion(t *testing.T) {
	p := writeFile(t, "inv.yaml", testutil.HugeGrantInventory(2000, 2000))
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err := Load(p)
	wantLimit(t, err, LimitGrantBindings, p+":4: grant would produce at least 4,000,000 bindings (2000 hosts x 2000 resource names x 1 operations), over the limit of 100,000")
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 200<<20 {
		t.Errorf("allocated %d MB refusing it", grew>>20)
	}

	// Raising the limit lets a large grant through.
	inv, err := LoadWith(Limits{MaxGrantBindings: 5_000_000, MaxBindings: 5_000_000}, writeFile(t, "ok.yaml", testutil.HugeGrantInventory(20, 20)))
	if err != nil || len(inv.Grants) != 1 {
		t.Fatalf("under the limit: %v", err)
	}
}

func TestManyGrantsAreHeldToTheInventoryLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("principals:\n  a: {auth: mtls}\ngrants:\n")
	for i := range 30 {
		fmt.Fprintf(&b, "  - {principal: a, role: consumer, topics: [t%d, u%d, v%d]}\n", i, i, i)
	}
	p := writeFile(t, "inv.yaml", b.String())
	if _, err := LoadWith(Limits{MaxBindings: 90}, p); err != nil {
		t.Fatalf("90 bindings with a limit of 90: %v", err)
	}
	_, err := LoadWith(Limits{MaxBindings: 89}, p)
	wantLimit(t, err, LimitBindings, p+":33: the grants up to this one would produce at least 90 bindings, over the limit of 89")
}

func TestYAMLAliasBombIsRefused(t *testing.T) {
	bomb := aliasBomb(9) // 10^10 nodes expanded, under 1 KB written
	p := writeFile(t, "bomb.yaml", "principals:\n  a: {auth: mtls}\nanchors:\n"+indent(bomb)+"grants:\n  - {principal: a, role: consumer, topics: *a9}\n")
	start := time.Now()
	_, err := Load(p)
	wantLimit(t, err, LimitNodes, p+": the YAML, with its aliases expanded, has too many nodes, over the limit of 2,000,000")
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
	// The bomb as the value of a known key too: the count comes first.
	p = writeFile(t, "bomb2.yaml", "grants: &g\n  - {principal: a, role: consumer, topics: [t]}\nx: &b [*g, *g]\n"+strings.Repeat("y", 0)+aliasBomb(8))
	_, err = Load(p)
	wantLimit(t, err, LimitNodes, p+":")
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n  ") + "\n"
}

func TestInventoryTooLargeIsRefusedBeforeReading(t *testing.T) {
	p := writeFile(t, "inv.yaml", "principals: {}\n"+strings.Repeat("# padding\n", 100))
	_, err := LoadWith(Limits{MaxBytes: 100}, p)
	wantLimit(t, err, LimitBytes, p+": the inventory files are 1,015 bytes or more, over the limit of 100")
}

// A path whose size Stat does not tell (a device, a FIFO) is read only up to
// the limit: -f /dev/zero, or a clusters file pointing at it, fails instead
// of filling memory.
func TestInventoryReadStopsAtTheLimit(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	_, err := LoadWith(Limits{MaxBytes: 1 << 20}, "/dev/zero")
	wantLimit(t, err, LimitBytes, "/dev/zero: the inventory files are 1,048,577 bytes or more, over the limit of 1,048,576")
	// The budget is shared by all files.
	p := writeFile(t, "inv.yaml", "principals: {}\n")
	_, err = LoadWith(Limits{MaxBytes: 100}, p, "/dev/zero")
	wantLimit(t, err, LimitBytes, "/dev/zero: the inventory files are 101 bytes or more, over the limit of 100")
}

func TestExpandedNodesCountsAliasesOnce(t *testing.T) {
	var doc = mustNode(t, aliasBomb(3))
	n, ok := expandedNodes(doc, 1<<30)
	// 4 keys + 4 sequences; level 0 has 10 scalars, level i 10x level i-1.
	want := 1 + 1 + 4 + (11 + 111 + 1111 + 11111)
	if !ok || n != want {
		t.Fatalf("expandedNodes = %d, %v; want %d", n, ok, want)
	}
	if _, ok := expandedNodes(doc, 1000); ok {
		t.Fatal("limit 1000 not enforced")
	}
}

func mustNode(t *testing.T, s string) *yaml.Node {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(s), &n); err != nil {
		t.Fatal(err)
	}
	return &n
}

// Files of ACL bindings are bounded by the binding limit, 512 bytes a
// binding: read whole up to it, refused one byte past it, and a path that
// never ends stops there.
func TestReadBindingFileIsBoundedByTheBindingLimit(t *testing.T) {
	if got := (Limits{}).MaxBindingFileBytes(); got != 512_000_000 {
		t.Errorf("default: %d bytes, want 512,000,000", got)
	}
	limits := Limits{MaxBindings: 10}
	dir := t.TempDir()
	at, past := filepath.Join(dir, "at.json"), filepath.Join(dir, "past.json")
	if err := os.WriteFile(at, make([]byte, 5120), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(past, make([]byte, 5121), 0o600); err != nil {
		t.Fatal(err)
	}
	if data, err := ReadBindingFile(at, "at", limits, "an ACL file"); err != nil || len(data) != 5120 {
		t.Errorf("at the limit: %d bytes, %v", len(data), err)
	}
	var tooLarge *BindingFileError
	_, err := ReadBindingFile(past, "LABEL", limits, "an ACL file")
	if !errors.As(err, &tooLarge) || err.Error() != "LABEL: larger than 5,120 bytes, too large for an ACL file" {
		t.Errorf("past the limit: %v", err)
	}
	if _, err := os.Stat("/dev/zero"); err == nil {
		if _, err := ReadBindingFile("/dev/zero", "/dev/zero", limits, "an import source"); err == nil || err.Error() != "/dev/zero: larger than 5,120 bytes, too large for an import source" {
			t.Errorf("/dev/zero: %v", err)
		}
	}
	if _, err := ReadBindingFile(filepath.Join(dir, "missing"), "missing", limits, "an ACL file"); !errors.Is(err, fs.ErrNotExist) || errors.As(err, &tooLarge) {
		t.Errorf("missing: %v", err)
	}
}
