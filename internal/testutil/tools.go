package testutil

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// NeedTool returns the path of an external program a test runs (keytool,
// openssl). It skips the test when the program is missing, but fails it
// under CI, where .ci/run installs it.
func NeedTool(tb testing.TB, name string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("%s is not installed (.ci/run installs it)", name)
		}
		tb.Skipf("%s is not installed", name)
	}
	return p
}

// RunTool runs name with args and fails the test, with the output, when it
// fails.
func RunTool(tb testing.TB, name string, args ...string) {
	tb.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		tb.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}
