package pki

import (
	"fmt"
	"path/filepath"

	"github.com/gofrs/flock"
)

// lockDir takes an exclusive advisory lock on DIR/.lock so that two
// kafkaguard processes never update one index at the same time. gofrs/flock
// uses flock(2) on Unix, fcntl(2) where flock is missing, and LockFileEx on
// Windows, so the guarantee holds on every OS the CLI is released for.
func lockDir(dir string) (func(), error) {
	path := filepath.Join(dir, lockFile)
	l := flock.New(path, flock.SetPermissions(0o600))
	if err := l.Lock(); err != nil {
		return nil, fmt.Errorf("lock ca directory %s: %w", path, err)
	}
	return func() { l.Unlock() }, nil
}
