package cli

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
)

// TestPackageInitialisersStayLight runs this test binary, which links every
// package the CLI does, with GODEBUG=inittrace=1 and fails when one
// package's initialisers allocate more than 2 MB: work done at init is paid
// by every start of kafkaguard, whatever the command (the audit's rule
// table once parsed the policy library there: 3.9 MB and 15-40 ms per
// run). Allocated bytes, not time, so a loaded machine cannot fail it; the
// largest today is publicsuffix's table, 0.9 MB.
func TestPackageInitialisersStayLight(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	line := regexp.MustCompile(`(?m)^init (\S+) @\S+ ms, \S+ ms clock, (\d+) bytes, \d+ allocs$`)
	inits := line.FindAllSubmatch(out, -1)
	if len(inits) < 50 {
		t.Fatalf("read %d package initialisers from the trace:\n%s", len(inits), out)
	}
	for _, m := range inits {
		if n, _ := strconv.Atoi(string(m[2])); n > 2<<20 {
			t.Errorf("package %s allocates %d bytes at init: make it lazy (sync.OnceValue)", m[1], n)
		}
	}
}
