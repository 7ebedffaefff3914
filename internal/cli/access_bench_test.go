package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/kafkaguard/kafkaguard/acl"
)

// plainBinding is a binding as a plain Go program would decode it: the
// documented JSON fields as strings, nothing checked.
type plainBinding struct {
	Principal, Host, Operation, Permission string // matched by name
	ResourceType                           string `json:"resource_type"`
	ResourceName                           string `json:"resource_name"`
	PatternType                            string `json:"pattern_type"`
}

// decodeFloor is the floor of reading a binding file: os.ReadFile and one
// encoding/json decode into plain structs.
func decodeFloor(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var bs []plainBinding
	err = json.Unmarshal(data, &bs)
	return len(bs), err
}

// BenchmarkAccessCan100kBindings answers `access can --acls FILE` from a
// file of 100,000 bindings (16 MB, as compile -o json writes it) against
// the floor, a plain encoding/json decode of the same file into plain
// structs (decodeFloor). Both run in this process, each after a GC,
// alternating, best of 5; x-floor is kafkaguard's time over the floor's,
// which must stay within 1.2 (issue 19 item 2).
func BenchmarkAccessCan100kBindings(b *testing.B) {
	const n, rounds = 100_000, 5
	data, err := acl.FormatJSON(acl.NewSet(fleet(n)...).Bindings())
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "acls.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
	args := []string{"kafkaguard", "access", "can", "--acls", path, "User:app-00005", "WRITE", "TOPIC", "t.00005"}
	best := func(cur *time.Duration, run func()) {
		runtime.GC()
		start := time.Now()
		run()
		if d := time.Since(start); *cur == 0 || d < *cur {
			*cur = d
		}
	}
	var kg, floor time.Duration
	b.ResetTimer()
	for range b.N {
		for range rounds {
			best(&kg, func() {
				var stdout, stderr bytes.Buffer
				if code := RunContext(context.Background(), args, nil, &stdout, &stderr); code != ExitOK {
					b.Fatalf("access can: exit %d\n%s%s", code, stdout.String(), stderr.String())
				}
			})
			best(&floor, func() {
				if got, err := decodeFloor(path); err != nil || got != n {
					b.Fatalf("floor decoded %d bindings, %v", got, err)
				}
			})
		}
	}
	b.StopTimer()
	b.ReportMetric(kg.Seconds(), "kg-s")
	b.ReportMetric(floor.Seconds(), "floor-s")
	b.ReportMetric(float64(kg)/float64(floor), "x-floor")
	b.ReportMetric(1.2, "x-limit")
}
