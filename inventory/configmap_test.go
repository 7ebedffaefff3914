//go:build unix

package inventory

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/kafkaguard/kafkaguard/internal/testutil"
)

// configMapDir lays out dir the way the kubelet mounts a ConfigMap: the files
// in a timestamped hidden directory, ..data pointing at it, and one symlink
// per key through ..data.
func configMapDir(t *testing.T, files map[string]string) string {
	t.Helper()
	ts := "..2026_12_01_10_00_00.123456789"
	data := make(map[string]string, len(files))
	for name, body := range files {
		data[ts+"/"+name] = body
	}
	dir := testutil.WriteFiles(t, data)
	for name := range files {
		if err := os.Symlink(filepath.Join("..data", name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(ts, filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestLoadConfigMapVolume(t *testing.T) {
	dir := configMapDir(t, map[string]string{
		"00-cluster.yaml": "cluster: {name: prod}\nprincipals:\n  app: {auth: scram-sha-512, team: t}\n",
		"10-topics.yml":   "topics:\n  events: {team: t, classification: internal}\n",
	})
	// Leftovers a ConfigMap update can leave: an old hidden data directory
	// with a stale copy that must not be read twice.
	old := filepath.Join(dir, "..2026_11_30_10_00_00.1")
	os.Mkdir(old, 0o755)
	os.WriteFile(filepath.Join(old, "00-cluster.yaml"), []byte("cluster: {name: stale}\n"), 0o644)
	inv, err := Load(dir)
	if err != nil {
		t.Fatalf("Load(ConfigMap dir): %v", err)
	}
	want := []string{filepath.Join(dir, "00-cluster.yaml"), filepath.Join(dir, "10-topics.yml")}
	if !slices.Equal(inv.Files, want) {
		t.Errorf("files %v, want %v (the links, not ..data's targets)", inv.Files, want)
	}
	if inv.Cluster.Name != "prod" || len(inv.Topics) != 1 {
		t.Errorf("inventory %+v", inv)
	}
	// ..data itself can be given too.
	if _, err := Load(filepath.Join(dir, "..data")); err != nil {
		t.Errorf("Load(..data): %v", err)
	}
}

func TestLoadDirectorySymlinkRules(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(t.TempDir(), "real.yaml")
	os.WriteFile(real, []byte("principals:\n  app: {auth: mtls}\n"), 0o644)
	os.Symlink(real, filepath.Join(dir, "a.yaml"))                         // followed
	os.Symlink(t.TempDir(), filepath.Join(dir, "b.yaml"))                  // a directory: skipped
	os.WriteFile(filepath.Join(dir, ".hidden.yaml"), []byte("{{{"), 0o644) // hidden: skipped
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err == nil {
		os.Symlink(fifo, filepath.Join(dir, "c.yaml")) // not a regular file: skipped, never opened
	}
	inv, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Files) != 1 || len(inv.Principals) != 1 {
		t.Errorf("files %v principals %d, want a.yaml only", inv.Files, len(inv.Principals))
	}
	// A dangling link is an error naming it, not a silently smaller inventory.
	os.Symlink(filepath.Join(dir, "gone.yaml"), filepath.Join(dir, "d.yaml"))
	_, err = Load(dir)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "d.yaml")) {
		t.Errorf("dangling link: err = %v", err)
	}
}
