package fsutil

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrSymlink is a secret file that is a symbolic link: secrets are never read
// through links, which someone who may write the directory (but not the
// target) could point at a file of their choosing.
var ErrSymlink = errors.New("is a symbolic link (secrets are not read through links)")

// ReadSecretFile reads a regular file without following a symbolic link at
// path, and refuses anything but a regular file, up to 1 MiB.
func ReadSecretFile(path string) ([]byte, error) {
	f, err := openNoFollow(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, 1<<20+1))
	if err != nil {
		return nil, err
	}
	if len(data) > 1<<20 {
		return nil, fmt.Errorf("%s is larger than 1 MiB, not a secret", path)
	}
	return data, nil
}

// CheckDirNotWritableByOthers refuses a directory that group or others may
// write: they could plant files kafkaguard then trusts (a CA's index, a dev
// cluster's admin.properties with a password of their choosing).
func CheckDirNotWritableByOthers(dir, what string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil // missing: the caller creates it, or reports it
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("%s %s has mode %04o: group or others may write it and plant files kafkaguard would trust; run chmod go-w %s and check its contents", what, dir, perm, dir)
	}
	return nil
}
