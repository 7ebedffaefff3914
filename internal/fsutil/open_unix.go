//go:build unix

package fsutil

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// OpenFile is os.OpenFile for regular files and directories (perm: the
// permission bits only), without the runtime's poller. os.OpenFile puts
// every descriptor it opens into non-blocking mode and offers it to the
// poller, which on Linux refuses regular files and directories, then puts
// it back: four fcntl and one epoll_ctl around each open, more than the
// open itself (a pki issue opens about ten files). A FIFO or device
// opened with it blocks its thread while it waits, as a regular file does.
func OpenFile(path string, flag int, perm fs.FileMode) (*os.File, error) {
	for {
		fd, err := syscall.Open(path, flag|syscall.O_CLOEXEC, uint32(perm.Perm()))
		if err == nil {
			return os.NewFile(uintptr(fd), path), nil
		}
		if !errors.Is(err, syscall.EINTR) {
			return nil, &fs.PathError{Op: "open", Path: path, Err: err}
		}
	}
}

// Rename is os.Rename for a file: one rename(2). os.Rename first Lstats the
// new name to refuse replacing a directory (rename(2) would replace an
// empty one by a directory), a system call per rename that a pki issue
// pays three times; rename(2) itself refuses to put a file in place of a
// directory (EISDIR). Any failure is retried by os.Rename, so the error is
// os.Rename's own (EEXIST for a directory in the way) and the file system
// is as a failed os.Rename leaves it. old must not be a directory.
func Rename(old, new string) error {
	if syscall.Rename(old, new) == nil {
		return nil
	}
	return os.Rename(old, new)
}
