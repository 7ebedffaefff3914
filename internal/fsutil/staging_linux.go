//go:build linux

package fsutil

import (
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// syncStaged syncs the filesystem that holds dir with one syncfs(2), which
// writes back every dirty file of it (the staged ones among them) and
// flushes the device. On kernels before 5.8 syncfs does not report writeback
// errors, so there each file is fsynced instead.
func syncStaged(dir *os.File, files []string) error {
	if !syncfsReportsErrors() {
		return fsyncEach(files)
	}
	return unix.Syncfs(int(dir.Fd()))
}

// syncfsReportsErrors reports whether the running kernel's syncfs returns
// writeback errors (Linux 5.8 and later).
var syncfsReportsErrors = sync.OnceValue(func() bool {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return false
	}
	return kernelAtLeast(unix.ByteSliceToString(u.Release[:]), 5, 8)
})

// kernelAtLeast reports whether a Linux release string ("6.1.0-18-amd64")
// is version major.minor or later; one it cannot read is not.
func kernelAtLeast(release string, major, minor int) bool {
	parts := strings.SplitN(release, ".", 3)
	if len(parts) < 2 {
		return false
	}
	maj, err1 := strconv.Atoi(parts[0])
	end := strings.IndexFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(parts[1])
	}
	mnr, err2 := strconv.Atoi(parts[1][:end])
	if err1 != nil || err2 != nil {
		return false
	}
	return maj > major || maj == major && mnr >= minor
}
