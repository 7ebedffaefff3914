package policies

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A pull request can make a .rego file a symbolic link to /dev/zero: it is
// read up to the per-file limit and refused, not read until memory runs out.
func TestPolicyFilesAreReadUpToALimit(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	dir := t.TempDir()
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "evil.rego")); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{dir, filepath.Join(dir, "evil.rego")} {
		_, err := loadModules([]string{path}, false)
		if err == nil || !strings.Contains(err.Error(), "evil.rego: larger than 16 MiB, too large for a policy") {
			t.Errorf("%s: %v", path, err)
		}
	}
}
