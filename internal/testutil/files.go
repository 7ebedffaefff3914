package testutil

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// WriteFiles writes each body under its (slash-separated, possibly nested)
// name in a fresh temporary directory and returns the directory.
func WriteFiles(tb testing.TB, files map[string]string) string {
	tb.Helper()
	dir := tb.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

// Sorted is key of each of xs, sorted: the order-free view of a result
// (finding IDs, names) that tests compare with slices.Equal.
func Sorted[T any](xs []T, key func(T) string) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		out = append(out, key(x))
	}
	slices.Sort(out)
	return out
}
