package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestFloorTableShowsRatiosAndVerdicts(t *testing.T) {
	in := `goos: linux
pkg: github.com/kafkaguard/kafkaguard/policies
BenchmarkPlain-2   	       1	  1000 ns/op	  12 B/op
BenchmarkFast-2   	       1	  1000 ns/op	  1.10 x-floor	  1.25 x-limit	  1.40 x-floor-mem	  1.50 x-limit-mem
pkg: github.com/kafkaguard/kafkaguard/pki
BenchmarkSlow-2   	       1	  1000 ns/op	  0.70 x-floor	  0.80 x-limit
`
	rows, err := parse(strings.NewReader(in), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	write(&out, rows)
	got := out.String()
	for _, want := range []string{
		"policies  BenchmarkPlain-2",
		"TIME/FLOOR",
		"BenchmarkFast-2  1.10x       1.25x  1.40x      1.50x  yes",
		"BenchmarkSlow-2  0.70x       0.80x  -          -      yes",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	rows[1].values["x-floor"] = 1.3
	out.Reset()
	write(&out, rows)
	if !strings.Contains(out.String(), "NO") {
		t.Errorf("a ratio over its limit is not flagged:\n%s", out.String())
	}
}

// A run takes minutes: each package's result line and any failure reach
// the terminal as they come, the headers the table replaces do not.
func TestProgressPassesStatusAndFailures(t *testing.T) {
	in := "goos: linux\ngoarch: amd64\npkg: github.com/kafkaguard/kafkaguard/acl\ncpu: AMD EPYC\n" +
		"BenchmarkA-2   \t       1\t  1000 ns/op\n" +
		"--- FAIL: BenchmarkB-2\n    bench_test.go:9: floor decoded 3 bindings\n" +
		"PASS\nok  \tgithub.com/kafkaguard/kafkaguard/acl\t12.3s\nFAIL\tgithub.com/kafkaguard/kafkaguard/pki\t1.0s\n"
	var progress bytes.Buffer
	rows, err := parse(strings.NewReader(in), &progress)
	if err != nil || len(rows) != 1 {
		t.Fatalf("parse = %d rows, %v", len(rows), err)
	}
	want := "--- FAIL: BenchmarkB-2\n    bench_test.go:9: floor decoded 3 bindings\n" +
		"ok  \tgithub.com/kafkaguard/kafkaguard/acl\t12.3s\nFAIL\tgithub.com/kafkaguard/kafkaguard/pki\t1.0s\n"
	if progress.String() != want {
		t.Errorf("progress:\n%s\nwant:\n%s", progress.String(), want)
	}
}
