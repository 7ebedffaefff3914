package policies

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/kafkaguard/kafkaguard/internal/testutil"
)

// A test that does not finish within the timeout means the tests could not
// run (exit 1), not that one failed (exit 2): an error naming the test and
// the timeout.
func TestTestTimeoutIsAnError(t *testing.T) {
	dir := testutil.WriteFiles(t, map[string]string{"slow_test.rego": `package slow_test

test_ok if true

test_slow if {
	count([x | some x in numbers.range(1, 1e8)]) > 0
}
`})
	start := time.Now()
	res, err := Test(context.Background(), []string{dir}, TestOptions{NoLibrary: true, Timeout: 200 * time.Millisecond})
	want := "policy test data.slow_test.test_slow (" + filepath.Join(dir, "slow_test.rego") + ":5) did not finish within 200ms"
	var tto *TestTimeoutError
	if err == nil || err.Error() != want || !errors.As(err, &tto) || tto.Timeout != 200*time.Millisecond || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Test = %+v, %v\nwant a *TestTimeoutError %s", res, err, want)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %s", d)
	}
}

// Coverage lists the lines not covered as sorted, disjoint ranges, though
// OPA reports one range per expression (several on a line, overlapping
// multi-line ones).
func TestCoverageRangesAreDisjoint(t *testing.T) {
	dir := testutil.WriteFiles(t, map[string]string{
		"p.rego": `package covp

a := 1

b(x) := y if {
	y := x + 1; z := y * 2; z > 0
}

c if { input.x == 1; input.y == 2 }

d contains v if {
	some v in [1, 2]
	v > input.min
}

used := 5
`,
		"p_test.rego": "package covp_test\n\ntest_used if data.covp.used == 5\n",
	})
	res, err := Test(context.Background(), []string{dir}, TestOptions{NoLibrary: true, Coverage: true})
	if err != nil {
		t.Fatal(err)
	}
	got := res.Coverage.Files[filepath.Join(dir, "p.rego")].NotCovered
	if want := []string{"3", "5-6", "9", "11", "13"}; !reflect.DeepEqual(got, want) {
		t.Errorf("not covered = %q, want %q", got, want)
	}
}

func TestLineRanges(t *testing.T) {
	got := lineRanges([][2]int{{9, 9}, {20, 20}, {15, 21}, {9, 9}, {12, 12}, {18, 18}, {15, 21}, {12, 12}, {9, 9}, {23, 23}, {25, 26}})
	if want := []string{"9", "12", "15-21", "23", "25-26"}; !reflect.DeepEqual(got, want) {
		t.Errorf("lineRanges = %q, want %q", got, want)
	}
	if got := lineRanges([][2]int{{4, 4}, {5, 7}, {3, 3}}); !reflect.DeepEqual(got, []string{"3-7"}) {
		t.Errorf("adjacent ranges = %q", got)
	}
	if got := lineRanges(nil); got != nil {
		t.Errorf("lineRanges(nil) = %q", got)
	}
}
