//go:build !unix

package fsutil

import (
	"io/fs"
	"os"
)

// OpenFile is os.OpenFile (see open_unix.go).
func OpenFile(path string, flag int, perm fs.FileMode) (*os.File, error) {
	return os.OpenFile(path, flag, perm)
}

// Rename is os.Rename (see open_unix.go).
func Rename(old, new string) error { return os.Rename(old, new) }
