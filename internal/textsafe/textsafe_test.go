package textsafe

import (
	"bytes"
	"strings"
	"testing"
)

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"orders-api":          "orders-api",
		"naïve ünïcode 名前":    "naïve ünïcode 名前",
		"a\x1b[2K\x1b[1Ab":    `a\x1b[2K\x1b[1Ab`,
		"nul\x00del\x7f":      `nul\x00del\x7f`,
		"c1\u0085\u009b":      `c1\u0085\u009b`,
		"rtl\u202egnp.exe":    `rtl\u202egnp.exe`,
		"iso\u2066x\u2069":    `iso\u2066x\u2069`,
		"bad\xffutf8":         `bad\xffutf8`,
		"keeps\ttab\nnewline": "keeps\ttab\nnewline",
		"cr\rreturn":          `cr\x0dreturn`,
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Line("a\nb\tc"); got != `a\nb\tc` {
		t.Errorf("Line = %q", got)
	}
}

func TestWriterEscapesAcrossWrites(t *testing.T) {
	var b bytes.Buffer
	w := &Writer{W: &b}
	in := "plan: + User:x\x1b[1A\x1b[2K\u202eevil é\n"
	// Byte by byte: sequences and runes cut between writes.
	for i := range len(in) {
		if _, err := w.Write([]byte{in[i]}); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	if got, want := b.String(), `plan: + User:x\x1b[1A\x1b[2K\u202eevil é`+"\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if strings.ContainsRune(b.String(), 0x1b) {
		t.Fatal("raw ESC")
	}
}

func TestTerminalWriterLetsOwnStylingThroughOnly(t *testing.T) {
	var b bytes.Buffer
	w := &Writer{W: &b, Terminal: true}
	w.Write([]byte("\x1b[32m+ add\x1b[0m \x1b[1;31mbold\x1b[0m\r\x1b[Kprogress"))
	w.Write([]byte(" name\x1b[1A\x1b[2Kgone\rback\x1b]0;title\x07"))
	w.Flush()
	want := "\x1b[32m+ add\x1b[0m \x1b[1;31mbold\x1b[0m\r\x1b[Kprogress" + ` name\x1b[1A\x1b[2Kgone\x0dback\x1b]0;title\x07`
	if b.String() != want {
		t.Fatalf("got  %q\nwant %q", b.String(), want)
	}
}

// TestPlainPrefixEveryByte: the eight-bytes-at-a-time scan stops where a
// byte-by-byte one does, for every byte value at every offset of a word.
func TestPlainPrefixEveryByte(t *testing.T) {
	want := func(b []byte) int {
		for i, c := range b {
			if (c < 0x20 && c != '\t' && c != '\n') || c >= 0x7f {
				return i
			}
		}
		return len(b)
	}
	for c := range 256 {
		for at := range 19 {
			for _, fill := range []byte{'a', '~', ' ', '\n'} {
				b := bytes.Repeat([]byte{fill}, 19)
				b[at] = byte(c)
				if got, w := plainPrefix(b), want(b); got != w {
					t.Fatalf("byte %#x at %d among %q: plainPrefix %d, want %d", c, at, fill, got, w)
				}
			}
		}
	}
}
