//go:build !linux

package fsutil

import "os"

// syncStaged fsyncs each staged file: other platforms have no call that
// syncs a whole filesystem and reports its errors.
func syncStaged(_ *os.File, files []string) error { return fsyncEach(files) }
