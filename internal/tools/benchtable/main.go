// Command benchtable turns `go test -bench` output on stdin into tables:
// one row per benchmark with ns/op and every custom metric, then one row per
// benchmark that measured itself against a floor program in the same run.
//
// A floor benchmark reports the metric "x-floor" (its time over the floor's)
// and "x-limit" (the ratio it must stay within); it may add "x-floor-mem" and
// "x-limit-mem" for peak memory. The second table shows them side by side so
// a regression is visible at a glance.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
)

type row struct {
	pkg, name string
	metrics   []string
	values    map[string]float64
}

func main() {
	rows, err := parse(os.Stdin, os.Stderr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "benchtable: %v\n", err)
		os.Exit(1)
	}
	write(os.Stdout, rows)
}

// parse reads the benchmark rows. Every other line but go test's headers
// (a package's "ok ... 12.3s", a FAIL, a benchmark's log or b.Fatal message)
// goes to progress as it comes: a whole run takes minutes, and a failure
// must be seen.
func parse(r io.Reader, progress io.Writer) ([]row, error) {
	var rows []row
	pkg := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimPrefix(p, "github.com/kafkaguard/kafkaguard/")
			continue
		}
		if !strings.HasPrefix(line, "Benchmark") || !strings.Contains(line, "\t") {
			if !isHeader(line) {
				fmt.Fprintln(progress, line)
			}
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		rw := row{pkg: pkg, name: f[0], values: map[string]float64{}}
		for i := 2; i+1 < len(f); i += 2 {
			rw.metrics = append(rw.metrics, f[i]+" "+f[i+1])
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				rw.values[f[i+1]] = v
			}
		}
		rows = append(rows, rw)
	}
	return rows, sc.Err()
}

// isHeader reports whether line is one of go test's run headers, which
// the table replaces.
func isHeader(line string) bool {
	for _, h := range []string{"goos: ", "goarch: ", "cpu: "} {
		if strings.HasPrefix(line, h) {
			return true
		}
	}
	return line == "PASS" || strings.TrimSpace(line) == ""
}

func write(out io.Writer, rows []row) {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "PACKAGE\tBENCHMARK\tMETRICS")
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%s\t%s\n", r.pkg, r.name, strings.Join(r.metrics, "  "))
	}
	w.Flush()

	var floors []row
	for _, r := range rows {
		if _, ok := r.values["x-floor"]; ok {
			floors = append(floors, r)
		}
	}
	if len(floors) == 0 {
		return
	}
	fmt.Fprintln(out)
	w = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "PACKAGE\tBENCHMARK\tTIME/FLOOR\tLIMIT\tMEM/FLOOR\tLIMIT\tOK")
	for _, r := range floors {
		ok := within(r.values, "x-floor", "x-limit") && within(r.values, "x-floor-mem", "x-limit-mem")
		verdict := "yes"
		if !ok {
			verdict = "NO"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.pkg, r.name,
			ratio(r.values, "x-floor"), ratio(r.values, "x-limit"),
			ratio(r.values, "x-floor-mem"), ratio(r.values, "x-limit-mem"), verdict)
	}
	w.Flush()
}

// within reports whether the measured ratio stays within its limit; a ratio
// without a limit (or a limit without a ratio) does not fail the row.
func within(values map[string]float64, measured, limit string) bool {
	m, okM := values[measured]
	l, okL := values[limit]
	return !okM || !okL || m <= l
}

func ratio(values map[string]float64, name string) string {
	v, ok := values[name]
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%.2fx", v)
}
