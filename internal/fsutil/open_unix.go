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
