// Command benchtable turns `go test -bench` output on stdin into a table:
// one row per benchmark with ns/op and every custom metric.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
)

func main() {
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "PACKAGE\tBENCHMARK\tMETRICS")
	pkg := ""
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = p
			continue
		}
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		var metrics []string
		for i := 2; i+1 < len(f); i += 2 {
			metrics = append(metrics, f[i]+" "+f[i+1])
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", strings.TrimPrefix(pkg, "github.com/kafkaguard/kafkaguard/"), f[0], strings.Join(metrics, "  "))
	}
	w.Flush()
}
