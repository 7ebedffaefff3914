// Package fsutil writes files the way a security tool must: atomically, with
// the permissions asked for, and never over an existing file by accident.
package fsutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// SecretPerm is the mode of every file that holds a key or a password.
const SecretPerm fs.FileMode = 0o600

// WriteFileAtomic writes data to path through a temporary file in the same
// directory and a rename, so a reader sees either the old file or the new one,
// never a half-written one. The file gets mode perm regardless of the umask.
func WriteFileAtomic(path string, data []byte, perm fs.FileMode) error {
	tmp, err := writeTemp(path, data, perm, true)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	// The rename is durable only once the directory entry is on disk.
	if err := SyncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// writeTemp writes data to a new temporary file beside path
// (.BASE.tmp-RANDOM, mode perm regardless of the umask), fsynced when sync
// is set, and returns its name. On error nothing is left behind.
func writeTemp(path string, data []byte, perm fs.FileMode, sync bool) (string, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	err = tmp.Chmod(perm)
	if err == nil {
		_, err = tmp.Write(data)
	}
	if err == nil && sync {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return tmp.Name(), nil
}

// WriteFileSynced writes data to path (created or truncated, mode perm
// regardless of the umask) and fsyncs it before returning. It is for staged
// files that a later rename makes visible.
func WriteFileSynced(path string, data []byte, perm fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	err = f.Chmod(perm)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// SyncDir fsyncs a directory so that renames and creations in it survive a
// crash. Platforms that cannot open a directory for syncing are ignored.
func SyncDir(dir string) error {
	d, err := OpenFile(dir, os.O_RDONLY, 0)
	if err != nil {
		return nil
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// ErrExists is returned by CheckNotExist for a path that is already there.
var ErrExists = errors.New("already exists")

// CheckNotExist returns an error wrapping ErrExists when path exists, so
// commands can refuse to overwrite (the CLI says how to allow it).
func CheckNotExist(path string) error {
	_, err := os.Lstat(path)
	if err == nil {
		return fmt.Errorf("%s %w", path, ErrExists)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return fmt.Errorf("stat %s: %w", path, err)
}
