package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/kafkaguard/kafkaguard/internal/textsafe"
)

// hostileNames are names an attacker controls (a live principal, a user
// policy's message, a cluster name): terminal escapes that erase lines,
// NUL, C1 CSI, a right-to-left override, and GitHub workflow commands after
// a newline or in the older ##[...] syntax.
var hostileNames = []string{
	"User:evil\x1b[1A\x1b[2K\x1b[1A\x1b[2K",
	"nul\x00byte",
	"c1\u009b2Kcsi",
	"rtl\u202egnp.exe",
	"x\n::add-mask::secret",
	"y\r\n::error file=.github/workflows/ci.yaml,line=1::pwned",
	"z ##[add-mask]secret",
	"bad\xffutf8",
}

func hostileReport() Report {
	r := Report{
		Tool: "kafkaguard audit", Cluster: "prod\n::error::injected\x1b[2J", Checks: []string{"acl-drift", "guard\x1brails"},
		Started: time.Unix(0, 0), Duration: time.Second,
		Errors: []CheckError{{Check: "scram\n::warning::x", Error: "boom\x1b[2K\n::error::y"}},
	}
	name := "prod\x1b[2K\u202e\n# TYPE x counter\nx 1"
	r.Metrics = &Metrics{Time: time.Unix(0, 0), Clusters: []ClusterMetrics{{
		Cluster: name, Report: &Report{Cluster: name, Checks: []string{"acl-drift"}}, Complete: true,
		Certs: []Expiry{{Name: "0a", Kind: "client", Principal: "User:" + name, Seconds: 1}},
	}}}
	for i, n := range hostileNames {
		r.Findings = append(r.Findings, Finding{
			ID: "KG10" + string(rune('1'+i%9)), Check: "acl-drift", Severity: []Severity{SeverityError, SeverityWarning, SeverityInfo}[i%3],
			Resource: n, Message: "about " + n, Fix: "fix " + n, Location: n + ":3",
		})
	}
	return r
}

// unsafeByte reports a raw control byte other than newline and tab, or a
// raw C1/bidi character.
func rawControl(s string) string {
	for _, r := range s {
		if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == 0x202e {
			return string(r)
		}
	}
	return ""
}

func TestHostileNamesRenderSafelyInEveryFormat(t *testing.T) {
	r := hostileReport()
	for _, format := range Names(FormatsFor(KindFindings | KindMetrics)) {
		// As the CLI writes it: through the escaping writer on stdout.
		var b bytes.Buffer
		w := &textsafe.Writer{W: &b}
		if err := Render(w, format, r, false); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		w.Flush()
		out := b.String()
		if c := rawControl(out); c != "" {
			t.Errorf("%s: raw control character %q in output", format, c)
		}
		// The text and github renderers are safe on their own too (a
		// report written to a file, or a future caller without the writer).
		if format == "text" || format == "github" || format == "prometheus" {
			var raw bytes.Buffer
			Render(&raw, format, r, false)
			if c := rawControl(raw.String()); c != "" {
				t.Errorf("%s renderer: raw control character %q", format, c)
			}
		}
		switch format {
		case "text":
			// One line per finding head, message, location, fix; nothing
			// starts a line but kafkaguard's own layout.
			for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
				if strings.HasPrefix(strings.TrimSpace(line), "::") {
					t.Errorf("text: line %q", line)
				}
			}
		case "github":
			commands := 0
			for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
				trimmed := strings.TrimLeft(line, " \t")
				if strings.HasPrefix(trimmed, "::") {
					commands++
				}
				if strings.Contains(line, "##[") {
					t.Errorf("github: v1 command syntax in %q", line)
				}
			}
			// Exactly one command per finding and one per errored check.
			if want := len(r.Findings) + len(r.Errors); commands != want {
				t.Errorf("github: %d workflow commands, want %d:\n%s", commands, want, out)
			}
		case "prometheus":
			for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
				if strings.HasPrefix(line, "x ") || line == "# TYPE x counter" {
					t.Errorf("prometheus: injected line %q", line)
				}
			}
		case "json", "sarif":
			var v any
			if err := json.Unmarshal(b.Bytes(), &v); err != nil {
				t.Errorf("%s: invalid JSON: %v", format, err)
			}
		case "junit":
			d := xml.NewDecoder(&b)
			for {
				if _, err := d.Token(); err != nil {
					if err.Error() != "EOF" {
						t.Errorf("junit: invalid XML: %v", err)
					}
					break
				}
			}
		}
	}
}

// JSON keeps names exact (escaped by the encoder), so tools see the truth.
func TestJSONKeepsHostileNamesExact(t *testing.T) {
	r := hostileReport()
	var b bytes.Buffer
	if err := Render(&b, "json", r, false); err != nil {
		t.Fatal(err)
	}
	for _, n := range hostileNames[:7] { // the invalid UTF-8 one is replaced by U+FFFD
		js, _ := json.Marshal(n)
		if !bytes.Contains(b.Bytes(), js[1:len(js)-1]) {
			t.Errorf("JSON lost %q", n)
		}
	}
}
