package fsutil

import (
	"os"
	"path/filepath"
	"testing"
)

func TestReadFileAtMost(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		limit int64
		data  string
		over  bool
	}{{10, "0123456789", false}, {11, "0123456789", false}, {9, "012345678", true}, {0, "", true}} {
		data, over, err := ReadFileAtMost(p, tc.limit)
		if err != nil || string(data) != tc.data || over != tc.over {
			t.Errorf("limit %d: %q %v %v", tc.limit, data, over, err)
		}
	}
	// A device that never ends is cut at the limit.
	if _, err := os.Stat("/dev/zero"); err == nil {
		data, over, err := ReadFileAtMost("/dev/zero", 1<<20)
		if err != nil || len(data) != 1<<20 || !over {
			t.Errorf("/dev/zero: %d bytes, over %v, %v", len(data), over, err)
		}
	}
	if _, _, err := ReadFileAtMost(filepath.Join(t.TempDir(), "missing"), 1); !os.IsNotExist(err) {
		t.Errorf("missing: %v", err)
	}
}
