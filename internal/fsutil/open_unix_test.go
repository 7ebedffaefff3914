//go:build unix

package fsutil

import (
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
