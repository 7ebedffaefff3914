package textsafe

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzWriter: written in any chunks, the writer's output is Escape of the
// whole, and never holds a raw ESC.
func FuzzWriter(f *testing.F) {
	f.Add([]byte("a\x1b[2Kb\u202ec\xff"), uint8(1))
	f.Add([]byte("plain text\n"), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		step := int(chunk%7) + 1
		var b bytes.Buffer
		w := &Writer{W: &b}
		for i := 0; i < len(data); i += step {
			w.Write(data[i:min(i+step, len(data))])
		}
		w.Flush()
		if want := Escape(string(data)); b.String() != want {
			t.Fatalf("chunked %q, whole %q", b.String(), want)
		}
		if bytes.IndexByte(b.Bytes(), 0x1b) >= 0 {
			t.Fatal("raw ESC")
		}
	})
}

// FuzzMarkdown: whatever the name, Markdown's output is one valid line with
// nothing GFM could act on.
func FuzzMarkdown(f *testing.F) {
	f.Add("[x](https://evil) <b>&amp; www.x.y | `c` $m$\n# h")
	f.Fuzz(func(t *testing.T, s string) {
		out := Markdown(s)
		if strings.ContainsAny(out, "\n\r") || !utf8.ValidString(out) {
			t.Fatalf("Markdown(%q) = %q: not one valid line", s, out)
		}
		if at, what := firstActive(out); at >= 0 {
			t.Fatalf("Markdown(%q) = %q: %s at %d", s, out, what, at)
		}
	})
}
