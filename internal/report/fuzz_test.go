package report

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// FuzzRenderText and github: whatever the names, no raw control character
// reaches the text or github output, and github has exactly one workflow
// command per finding.
func FuzzRenderHostileNames(f *testing.F) {
	for _, n := range hostileNames {
		f.Add(n, n, "prod")
	}
	f.Add("User:a", "fine", "prod\n::add-mask::x")
	f.Fuzz(func(t *testing.T, resource, message, cluster string) {
		r := Report{Tool: "t", Cluster: cluster, Checks: []string{"c"}, Started: time.Unix(0, 0),
			Findings: []Finding{{ID: "KG101", Check: "c", Severity: SeverityError, Resource: resource, Message: message, Location: resource + ":1", Fix: message}}}
		for _, format := range []string{"text", "github"} {
			var b bytes.Buffer
			if err := Render(&b, format, r, false); err != nil {
				t.Fatal(err)
			}
			if c := rawControl(b.String()); c != "" {
				t.Fatalf("%s: raw %q in %q", format, c, b.String())
			}
			if format == "github" {
				n := 0
				for _, line := range strings.Split(b.String(), "\n") {
					if strings.HasPrefix(strings.TrimLeft(line, " \t"), "::") {
						n++
					}
					if strings.Contains(line, "##[") {
						t.Fatalf("v1 command in %q", line)
					}
				}
				if n != 1 {
					t.Fatalf("%d workflow commands for one finding:\n%s", n, b.String())
				}
			}
		}
	})
}
