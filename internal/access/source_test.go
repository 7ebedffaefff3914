package access

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/inventory"
)

// gitRepo makes a repository in a new current directory with files
// committed at HEAD.
func gitRepo(t *testing.T, files map[string][]byte) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	dir := t.TempDir()
	t.Chdir(dir)
	for name, data := range files {
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"init", "-q"}, {"add", "."}, {"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "files"}} {
		if out, err := exec.Command("git", args...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
}

// What git gives is bounded as a file on disk is: a blob is streamed to
// its file and cut at the limit (git is stopped), a tree's inventory files
// are extracted up to the inventory limit and one byte more (the loader
// then names the limit), and a tree's other files are not extracted at all.
func TestReadGitIsBounded(t *testing.T) {
	small := []byte(`[{"principal":"User:a","host":"*","resource_type":"TOPIC","resource_name":"t","pattern_type":"LITERAL","operation":"READ","permission":"ALLOW"}]`)
	gitRepo(t, map[string][]byte{
		"small.json":        small,
		"big.json":          make([]byte, 1<<20),
		"inv/a.yaml":        make([]byte, 20_000),
		"inv/b.yaml":        make([]byte, 20_000),
		"inv/photo.bin":     make([]byte, 1<<20),
		"small/a.yaml":      []byte("x"),
		"small/photo.bin":   make([]byte, 1<<20),
		"small/.hidden.yml": []byte("x"),
	})
	limits := inventory.Limits{MaxBindings: 10, MaxBytes: 30_000} // binding files: 5,120 bytes
	loadLimits := limits
	var extracted []string
	compile := func(_ context.Context, paths ...string) (*inventory.Inventory, acl.Set, error) {
		extracted = nil
		entries, err := os.ReadDir(paths[0])
		for _, e := range entries {
			extracted = append(extracted, e.Name())
		}
		if err != nil || len(entries) == 0 { // a blob: a file
			extracted = []string{filepath.Base(paths[0])}
		}
		inv, err := inventory.LoadWith(loadLimits, paths...)
		return inv, acl.Set{}, err
	}
	ctx := context.Background()

	if src, err := Read(ctx, "HEAD:small.json", limits, compile); err != nil || src.Set.Len() != 1 {
		t.Errorf("HEAD:small.json: %v", err)
	}
	_, err := Read(ctx, "HEAD:big.json", limits, compile)
	var tooLarge *inventory.BindingFileError
	if !errors.As(err, &tooLarge) || !strings.HasSuffix(err.Error(), "HEAD:big.json: larger than 5,120 bytes, too large for an ACL file") {
		t.Errorf("HEAD:big.json: %v", err)
	}

	_, err = Read(ctx, "HEAD:inv", limits, compile)
	var limit *inventory.LimitError
	if !errors.As(err, &limit) || limit.Kind != inventory.LimitBytes || !strings.Contains(err.Error(), "HEAD:inv/b.yaml: the inventory files are 30,001 bytes or more") {
		t.Errorf("HEAD:inv: %v", err)
	}
	if want := []string{"a.yaml", "b.yaml"}; !slices.Equal(extracted, want) {
		t.Errorf("HEAD:inv extracted %v, want %v", extracted, want)
	}
	_, _ = Read(ctx, "HEAD:small", limits, compile)
	if want := []string{"a.yaml"}; !slices.Equal(extracted, want) {
		t.Errorf("HEAD:small extracted %v, want %v", extracted, want)
	}

	// An inventory blob is cut at the limit and one byte more; errors
	// name the blob, not its temporary file.
	limits.MaxBytes, loadLimits.MaxBytes = 1000, 1000
	_, err = Read(ctx, "HEAD:inv/a.yaml", limits, compile)
	if !errors.As(err, &limit) || err.Error() != "HEAD:inv/a.yaml: the inventory files are 1,001 bytes or more, over the limit of 1,000" {
		t.Errorf("HEAD:inv/a.yaml: %v", err)
	}
}
