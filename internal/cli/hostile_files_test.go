package cli

import (
	"os"
	"strings"
	"testing"
)

// Files named on the command line are read only up to their limit: a path
// that never ends (/dev/zero) is exit 1 at once, naming the limit.
func TestEndlessFilesExit1AtTheirLimit(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"pki", "issue", "client", "--dir", dir, "--name", "x", "--csr", "/dev/zero"}, "read certificate request: /dev/zero: larger than 1 MiB, too large for a certificate request"},
		{[]string{"audit", "--clusters", "/dev/zero"}, "read clusters file: /dev/zero: larger than 16 MiB, too large for a clusters file"},
		{[]string{"compile", "-f", "/dev/zero"}, "/dev/zero: the inventory files are 33,554,433 bytes or more, over the limit of 33,554,432"},
	} {
		code, stdout, stderr := runMain(t, tc.args...)
		if code != ExitError || stdout != "" || !strings.HasPrefix(stderr, "kafkaguard: error: "+tc.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", tc.args, code, stdout, stderr)
		}
	}
}
