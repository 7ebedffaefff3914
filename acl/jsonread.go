package acl

import (
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"
)

// bindingScanner reads a binding file in one pass: the common form, as
// compile -o json writes it (an array of objects whose fields are strings,
// and provenance an array of strings), with the whole of each check that
// parseJSONCareful (encoding/json, field by field) makes.
//
// It accepts only what parseJSONCareful accepts, with the same result, and
// gives up on anything else: malformed JSON, a field name that is not
// exactly one of the documented ones (encoding/json also matches them
// case-insensitively), a value that is not a string (null, a number), a
// missing field or an invalid binding. ParseJSON then reads the file again
// the careful way, which finds the problem and its position: an error costs
// a second pass, a valid file only this one.
type bindingScanner struct {
	s   string // the file, copied once; bindings' strings are slices of it
	pos int
}

// parseJSONFast returns the bindings of data, or ok false when the careful
// reader must decide.
func parseJSONFast(data []byte) (bs []Binding, ok bool) {
	sc := bindingScanner{s: string(data)}
	if !sc.expect('[') {
		return nil, false
	}
	bs = make([]Binding, 0, len(data)/160+1) // a compiled binding is ~160 bytes
	if !sc.expect(']') {
		for {
			b, ok := sc.binding()
			if !ok {
				return nil, false
			}
			bs = append(bs, b)
			if sc.expect(',') {
				continue
			}
			if !sc.expect(']') {
				return nil, false
			}
			break
		}
	}
	sc.space()
	return bs, sc.pos == len(sc.s)
}

// space skips JSON whitespace.
func (sc *bindingScanner) space() {
	for sc.pos < len(sc.s) && strings.IndexByte(" \t\n\r", sc.s[sc.pos]) >= 0 {
		sc.pos++
	}
}

// expect skips whitespace and then c, if c is next.
func (sc *bindingScanner) expect(c byte) bool {
	sc.space()
	found := sc.pos < len(sc.s) && sc.s[sc.pos] == c
	if found {
		sc.pos++
	}
	return found
}

// bindingFields are the string fields of a binding object, in
// FromStrings' order.
var bindingFields = [...]string{"principal", "host", "resource_type", "resource_name", "pattern_type", "operation", "permission"}

// binding reads one binding object and checks it as UnmarshalJSON does.
func (sc *bindingScanner) binding() (Binding, bool) {
	if !sc.expect('{') || sc.expect('}') { // {}: every field missing
		return Binding{}, false
	}
	var f [len(bindingFields)]string
	for {
		key, ok := sc.str(false)
		if !ok || !sc.expect(':') {
			return Binding{}, false
		}
		sc.space()
		if i := slices.Index(bindingFields[:], key); i >= 0 {
			if f[i], ok = sc.str(true); !ok {
				return Binding{}, false
			}
		} else if key != "provenance" || !sc.provenance() {
			return Binding{}, false
		}
		if !sc.expect(',') {
			break
		}
		sc.space()
	}
	principal, host, resourceType, resourceName, patternType, operation, permission := f[0], f[1], f[2], f[3], f[4], f[5], f[6]
	if !sc.expect('}') || principal == "" || resourceType == "" || resourceName == "" || operation == "" || permission == "" {
		return Binding{}, false
	}
	b, err := FromStrings(principal, host, resourceType, resourceName, patternType, operation, permission)
	return b, err == nil
}

// provenance reads (and drops) an array of strings.
func (sc *bindingScanner) provenance() bool {
	if !sc.expect('[') {
		return false
	}
	if sc.expect(']') {
		return true
	}
	for {
		sc.space()
		if _, ok := sc.str(true); !ok {
			return false
		}
		if sc.expect(',') {
			continue
		}
		return sc.expect(']')
	}
}

// str reads a JSON string at the current position. A string with an escape
// or invalid UTF-8 is decoded by encoding/json itself (so that escapes, lone
// surrogates and invalid bytes become exactly what they become there),
// unless decode is false (a field name: only the documented names, written
// plainly in ASCII, are read here).
func (sc *bindingScanner) str(decode bool) (string, bool) {
	if sc.pos >= len(sc.s) || sc.s[sc.pos] != '"' {
		return "", false
	}
	start := sc.pos
	escaped, ascii := false, true
	for i := start + 1; i < len(sc.s); i++ {
		switch c := sc.s[i]; {
		case c == '"':
			sc.pos = i + 1
			content := sc.s[start+1 : i]
			switch {
			case !escaped && (ascii || decode && utf8.ValidString(content)):
				return content, true // encoding/json keeps valid UTF-8 as it is
			case !decode:
				return "", false
			}
			return decodeString(sc.s[start:sc.pos])
		case c == '\\':
			escaped = true
			i++ // the escaped character; encoding/json checks the escape
		case c < 0x20:
			return "", false // not allowed unescaped in a JSON string
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", false
}

// decodeString decodes one quoted JSON string with encoding/json.
func decodeString(quoted string) (string, bool) {
	var s string
	if err := json.Unmarshal([]byte(quoted), &s); err != nil {
		return "", false
	}
	return s, true
}
