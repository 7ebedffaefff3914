package fsutil

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// OpenFile creates, opens and fails as os.OpenFile does.
func TestOpenFileIsOSOpenFile(t *testing.T) {
	dir := t.TempDir()
	for _, perm := range []fs.FileMode{0o600, 0o644, 0o755} {
		mine, plain := filepath.Join(dir, "mine"+perm.String()), filepath.Join(dir, "plain"+perm.String())
		f, err := OpenFile(mine, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte("data")); err != nil {
			t.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		g, err := os.OpenFile(plain, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if err != nil {
			t.Fatal(err)
		}
		g.Close()
		a, _ := os.Stat(mine)
		b, _ := os.Stat(plain)
		if a.Mode() != b.Mode() {
			t.Errorf("perm %v: mode %v, os.OpenFile gives %v", perm, a.Mode(), b.Mode())
		}
		if data, _ := os.ReadFile(mine); string(data) != "data" {
			t.Errorf("perm %v: wrote %q", perm, data)
		}
		_, err = OpenFile(mine, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		_, want := os.OpenFile(mine, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if !errors.Is(err, fs.ErrExist) || err.Error() != want.Error() {
			t.Errorf("O_EXCL on an existing file: %v, want %v", err, want)
		}
	}
	missing := filepath.Join(dir, "missing")
	_, err := OpenFile(missing, os.O_RDONLY, 0)
	_, want := os.Open(missing)
	var pe *fs.PathError
	if !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &pe) || err.Error() != want.Error() {
		t.Errorf("missing file: %v, want %v", err, want)
	}
	// A directory: listed and synced as SyncDir and readers do.
	d, err := OpenFile(dir, os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil || len(names) != 6 {
		t.Errorf("Readdirnames = %q, %v", names, err)
	}
	if err := d.Sync(); err != nil {
		t.Errorf("sync directory: %v", err)
	}
}

func TestReadFileIsOSReadFile(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []int{0, 1, 511, 512, 513, 100_000} {
		path := filepath.Join(dir, "f")
		data := bytes.Repeat([]byte{'x'}, n)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := ReadFile(path)
		if err != nil || !slices.Equal(got, data) {
			t.Errorf("%d bytes: read %d, %v", n, len(got), err)
		}
	}
	_, err := ReadFile(filepath.Join(dir, "missing"))
	_, want := os.ReadFile(filepath.Join(dir, "missing"))
	if !errors.Is(err, fs.ErrNotExist) || err.Error() != want.Error() {
		t.Errorf("missing file: %v, want %v", err, want)
	}
}
