package duration

import (
	"flag"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"30d", 30 * Day}, {"1y", Year}, {"2y", 2 * Year}, {"12h", 12 * time.Hour}, {"90m", 90 * time.Minute},
		{"1h30m", 90 * time.Minute}, {"8760h", Year}, {"0", 0}, {"0d", 0}, {" 7d ", 7 * Day}, {"500ms", 500 * time.Millisecond},
	} {
		got, err := Parse(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "soon", "-1h", "-3d", "+3d", "1.5d", "d", "y", "3 d", "30D", "1w", "99999999999999y", "106752d", "1y2d"} {
		if d, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %v, want an error", in, d)
		} else if !strings.Contains(err.Error(), "(want e.g. 30d or 72h)") {
			t.Errorf("Parse(%q) error %q names no example", in, err)
		}
	}
}

// A flag of Value takes the grammar and prints as a Go duration, which is
// how urfave/cli's Context.Duration reads it back.
func TestValueIsAFlag(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	v := Value(30 * time.Second)
	fs.Var(&v, "timeout", "")
	if err := fs.Parse([]string{"-timeout", "1y"}); err != nil {
		t.Fatal(err)
	}
	if d, err := time.ParseDuration(fs.Lookup("timeout").Value.String()); err != nil || d != Year {
		t.Errorf("got %v, %v", d, err)
	}
	if err := v.Set("-1s"); err == nil {
		t.Error("a negative duration was set")
	}
}
