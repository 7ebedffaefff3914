package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Kafkaguard builds the kafkaguard command into a fresh temporary directory
// for a test that runs the real binary (signals, SIGKILL, a chroot, PATH)
// and returns its path, with env added to the environment of go build
// (GOOS=linux) and flags given to it (-ldflags). Building takes seconds, so
// it skips tb under -short; tb fails when the command does not build.
func Kafkaguard(tb testing.TB, env []string, flags ...string) string {
	tb.Helper()
	if testing.Short() {
		tb.Skip("builds kafkaguard")
	}
	bin := filepath.Join(tb.TempDir(), "kafkaguard")
	args := append(append([]string{"build"}, flags...), "-o", bin, "github.com/kafkaguard/kafkaguard/cmd/kafkaguard")
	build := exec.Command("go", args...)
	build.Env = append(os.Environ(), env...)
	if out, err := build.CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
