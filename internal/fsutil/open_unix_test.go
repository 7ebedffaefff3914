//go:build unix

package fsutil

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// A descriptor OpenFile opens is closed on exec (a child process, e.g.
// the dev cluster's, must not inherit the CA's files), as os.OpenFile's.
func TestOpenFileClosesOnExec(t *testing.T) {
	f, err := OpenFile(filepath.Join(t.TempDir(), "f"), os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	flags, _, errno := syscall.Syscall(syscall.SYS_FCNTL, f.Fd(), syscall.F_GETFD, 0)
	if errno != 0 || flags&syscall.FD_CLOEXEC == 0 {
		t.Fatalf("F_GETFD = %#x, %v: no FD_CLOEXEC", flags, errno)
	}
}

// TestRenameIsOSRename: Rename replaces a file as os.Rename does, and where
// os.Rename fails (a directory in the way, empty or not; a missing source)
// it fails with os.Rename's error and leaves both names as they were.
func TestRenameIsOSRename(t *testing.T) {
	dir := t.TempDir()
	old, dst := filepath.Join(dir, "staged"), filepath.Join(dir, "cert.pem")
	for _, f := range []string{old, dst} {
		if err := os.WriteFile(f, []byte(f), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := Rename(old, dst); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(dst); err != nil || string(b) != old {
		t.Fatalf("after Rename %s holds %q, %v; want the renamed file", dst, b, err)
	}
	if _, err := os.Lstat(old); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the old name is still there: %v", err)
	}
	if err := os.WriteFile(old, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	emptyDir, fullDir := filepath.Join(dir, "empty"), filepath.Join(dir, "full")
	for _, d := range []string{emptyDir, fullDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(fullDir, "f"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ old, new string }{{old, emptyDir}, {old, fullDir}, {filepath.Join(dir, "missing"), dst}} {
		got, want := Rename(tc.old, tc.new), os.Rename(tc.old, tc.new)
		if got == nil || want == nil || got.Error() != want.Error() {
			t.Errorf("Rename(%s, %s) = %v, want os.Rename's %v", tc.old, tc.new, got, want)
		}
	}
	if fi, err := os.Stat(emptyDir); err != nil || !fi.IsDir() {
		t.Errorf("the empty directory in the way was replaced: %v %v", fi, err)
	}
	if _, err := os.Stat(old); err != nil {
		t.Errorf("a failed rename moved the file: %v", err)
	}
}
