package scram

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
)

// LockFile is the lock of a secrets directory, held by users apply and
// rotate (and apply's users section) while they change passwords.
const LockFile = ".lock"

// Lock takes the exclusive lock on the secrets directory, so that two runs
// never interleave: one run's upsert with the other's password file would
// leave a stored password that does not log in. A second run waits for the
// first (saying so on log) until ctx ends. The store's directory must exist.
func (s *Store) Lock(ctx context.Context, log func(format string, args ...any)) (unlock func(), err error) {
	path := filepath.Join(s.Dir, LockFile)
	l := flock.New(path, flock.SetPermissions(0o600))
	ok, err := l.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock secrets dir %s: %w", path, err)
	}
	if !ok {
		if log != nil {
			log("waiting for another kafkaguard run that holds %s", path)
		}
		ok, err = l.TryLockContext(ctx, 100*time.Millisecond)
		if err != nil || !ok {
			return nil, fmt.Errorf("lock secrets dir %s: another kafkaguard run (users apply or rotate) holds it: %w", path, ctx.Err())
		}
	}
	return func() { l.Unlock() }, nil
}
