package fsutil

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFileAtomicSetsModeDespiteUmaskAndLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "secret.password")
	if err := WriteFileAtomic(path, []byte("old"), SecretPerm); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(path, []byte("new"), SecretPerm); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "new" {
		t.Fatalf("content = %q, %v; want new", got, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, want 0600", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("directory holds %d entries, want only the file (no temporaries)", len(entries))
	}
}

func TestWriteFileAtomicFailureKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := WriteFileAtomic(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A directory in the way of the rename makes the write fail after the
	// temporary file was written.
	if err := WriteFileAtomic(filepath.Join(dir, "missing", "f"), []byte("x"), 0o644); err == nil {
		t.Fatal("write into a missing directory succeeded")
	}
	got, _ := os.ReadFile(path)
	if string(got) != "old" {
		t.Fatalf("old file changed to %q", got)
	}
}

func TestCheckNotExistRefusesExistingPath(t *testing.T) {
	dir := t.TempDir()
	if err := CheckNotExist(filepath.Join(dir, "absent")); err != nil {
		t.Fatalf("absent path: %v", err)
	}
	err := CheckNotExist(dir)
	if !errors.Is(err, ErrExists) {
		t.Fatalf("existing path: err = %v, want ErrExists", err)
	}
}
