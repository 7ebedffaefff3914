// Package textsafe keeps hostile names from acting on a terminal or a log
// reader: control characters (C0 but tab and newline, DEL, C1), Unicode
// bidirectional controls and invalid UTF-8 are written as visible escapes
// (\x1b, \u202e). A principal or group name can hold any of them, and raw they
// can erase lines of a plan, recolour it, or reverse what a reader sees.
package textsafe

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Unsafe reports whether r must not reach a terminal raw.
func Unsafe(r rune) bool {
	switch {
	case r == '\t' || r == '\n':
		return false
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true // bidi marks, embeddings, overrides and isolates
	}
	return false
}

// Escape returns s with every unsafe rune, and every byte of invalid UTF-8,
// written as an escape; s itself when it has none.
func Escape(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		writeRune(&b, s[i:i+n], r, n)
		i += n
	}
	return b.String()
}

// Line is Escape for a value that must stay on one line: a newline or tab
// is escaped too.
func Line(s string) string {
	return strings.NewReplacer("\n", `\n`, "\t", `\t`).Replace(Escape(s))
}

func needsEscape(s string) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || Unsafe(r) {
			return true
		}
		i += n
	}
	return false
}

type byteWriter interface {
	io.Writer
	WriteString(string) (int, error)
}

func writeRune(b byteWriter, raw string, r rune, n int) {
	switch {
	case r == utf8.RuneError && n == 1:
		fmt.Fprintf(b, `\x%02x`, raw[0])
	case r < 0x80 && Unsafe(r):
		fmt.Fprintf(b, `\x%02x`, r)
	case Unsafe(r):
		fmt.Fprintf(b, `\u%04x`, r)
	default:
		b.WriteString(raw)
	}
}

// Writer escapes what passes through it as Escape does. On a terminal
// (Terminal true) it lets kafkaguard's own styling through: SGR colour
// sequences (ESC [ digits m) and the progress line's "\r ESC [K"; anything
// else, cursor movement included, is escaped. Call Flush at the end: a
// sequence cut between two writes is held back until it is complete.
type Writer struct {
	W        io.Writer
	Terminal bool
	pending  []byte
}

// Write escapes p and writes it; it reports len(p) on success.
func (w *Writer) Write(p []byte) (int, error) {
	if len(w.pending) == 0 && plainASCII(p) {
		return w.W.Write(p) // the common case: nothing to look at
	}
	data := append(w.pending, p...)
	w.pending = nil
	var out bytes.Buffer
	i := 0
	for i < len(data) {
		if j := i + plainPrefix(data[i:]); j > i {
			out.Write(data[i:j])
			i = j
			continue
		}
		c := data[i]
		if c == 0x1b || c == '\r' {
			if w.Terminal {
				if n, complete := allowedSequence(data[i:]); n > 0 {
					out.Write(data[i : i+n])
					i += n
					continue
				} else if !complete {
					break // wait for the rest
				}
			}
		}
		if !utf8.FullRune(data[i:]) {
			break
		}
		r, n := utf8.DecodeRune(data[i:])
		writeRune(&out, string(data[i:i+n]), r, n)
		i += n
	}
	if i < len(data) {
		w.pending = append([]byte(nil), data[i:]...)
	}
	if _, err := w.W.Write(out.Bytes()); err != nil {
		return 0, err
	}
	return len(p), nil
}

// plainPrefix is the length of the run of printable ASCII, tabs and
// newlines at the start of b. It looks at eight bytes at a time while none
// of them is a control or non-ASCII byte (tabs and newlines included: their
// word is looked at byte by byte): all of compile -o json's output passes
// here.
func plainPrefix(b []byte) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for i < len(b) {
		if i+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[i:])
			// A byte >= 0x7f has its high bit set in x or in x+1 (a
			// carry comes only out of 0xff, already seen); a byte < 0x20
			// borrows in x - 0x20 without having had its high bit set.
			if (x|(x+ones))&highs == 0 && (x-0x20*ones)&^x&highs == 0 {
				i += 8
				continue
			}
		}
		if c := b[i]; (c < 0x20 && c != '\t' && c != '\n') || c >= 0x7f {
			return i
		}
		i++
	}
	return len(b)
}

func plainASCII(b []byte) bool { return plainPrefix(b) == len(b) }

// Flush writes what is held back, escaped.
func (w *Writer) Flush() error {
	if len(w.pending) == 0 {
		return nil
	}
	s := Escape(string(w.pending))
	w.pending = nil
	_, err := io.WriteString(w.W, s)
	return err
}

// allowedSequence returns the length of kafkaguard's own terminal sequence
// at the start of b (0 if there is none), and whether b is long enough to
// tell.
func allowedSequence(b []byte) (int, bool) {
	if b[0] == '\r' {
		const erase = "\r\x1b[K"
		if len(b) < len(erase) {
			return 0, !bytes.HasPrefix([]byte(erase), b)
		}
		if string(b[:len(erase)]) == erase {
			return len(erase), true
		}
		return 0, true
	}
	// ESC [ digits/semicolons m
	if len(b) < 2 {
		return 0, false
	}
	if b[1] != '[' {
		return 0, true
	}
	for j := 2; j < len(b) && j < 16; j++ {
		switch c := b[j]; {
		case c >= '0' && c <= '9', c == ';':
			continue
		case c == 'm':
			return j + 1, true
		default:
			return 0, true
		}
	}
	return 0, len(b) >= 16
}
