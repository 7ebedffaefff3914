package inventory

import (
	"os"
	"path/filepath"
	"testing"
)

// TestSize: the bytes of the files Load would read, directories listed as
// Load lists them; 0 when Load would fail to list them.
func TestSize(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, n int) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, make([]byte, n), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := write("a.yaml", 100)
	write("b.yml", 20)
	write("notes.txt", 1000)   // not an inventory file
	write(".hidden.yaml", 500) // hidden: skipped
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		paths []string
		want  int64
	}{
		{[]string{a}, 100},
		{[]string{dir}, 120},
		{[]string{dir, a}, 220}, // as Load, which reads it twice
		{[]string{filepath.Join(dir, "missing.yaml")}, 0},
		{[]string{sub}, 0}, // no inventory files: Load fails
		{nil, 0},
	} {
		if got := Size(c.paths...); got != c.want {
			t.Errorf("Size(%q) = %d, want %d", c.paths, got, c.want)
		}
	}
}
