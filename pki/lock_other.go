//go:build !unix

package pki

// lockDir is a no-op where flock(2) is not available: only one kafkaguard
// process should then change a CA at a time.
func lockDir(dir string) (func(), error) { return func() {}, nil }
