// Package duration is kafkaguard's one grammar for durations on the command
// line: a Go duration ("90m", "12h", "1h30m", "0") or a whole number of days
// or years ("30d", "1y" = 365 days). Negative durations are refused. Every
// flag that takes a duration reads it with Parse (or Value).
package duration

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

const (
	Day  = 24 * time.Hour
	Year = 365 * Day
)

// Parse parses s in kafkaguard's duration grammar (see the package comment).
// Surrounding space is ignored.
func Parse(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	for _, u := range []struct {
		suffix string
		unit   time.Duration
	}{{"d", Day}, {"y", Year}} {
		n, ok := strings.CutSuffix(s, u.suffix)
		if !ok {
			continue
		}
		v, err := strconv.ParseInt(n, 10, 64)
		if err != nil || v < 0 || n[0] == '+' || v > math.MaxInt64/int64(u.unit) {
			return 0, syntaxError(s)
		}
		return time.Duration(v) * u.unit, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, syntaxError(s)
	}
	return d, nil
}

func syntaxError(s string) error {
	return fmt.Errorf("invalid duration %q (want e.g. 30d or 72h)", s)
}

// Value is a flag.Value in kafkaguard's duration grammar. It prints as a Go
// duration, so urfave/cli's Context.Duration reads a flag of this type.
type Value time.Duration

// Set parses s (Parse).
func (v *Value) Set(s string) error {
	d, err := Parse(s)
	if err != nil {
		return err
	}
	*v = Value(d)
	return nil
}

// String is the duration as Go prints it ("720h0m0s", "30s").
func (v *Value) String() string {
	if v == nil {
		return "0s"
	}
	return time.Duration(*v).String()
}
