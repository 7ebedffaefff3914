package acl

import (
	"encoding/json"
	"io"
	"unicode/utf8"
)

// AppendJSON appends the documented form MarshalJSON writes, byte for byte,
// without reflection: compile writes hundreds of thousands of them.
func (b Binding) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"principal":`...)
	dst = appendJSONString(dst, b.Principal)
	dst = append(dst, `,"host":`...)
	dst = appendJSONString(dst, b.Host)
	dst = append(dst, `,"resource_type":`...)
	dst = appendJSONString(dst, b.ResourceType.String())
	dst = append(dst, `,"resource_name":`...)
	dst = appendJSONString(dst, b.ResourceName)
	dst = append(dst, `,"pattern_type":`...)
	dst = appendJSONString(dst, b.PatternType.String())
	dst = append(dst, `,"operation":`...)
	dst = appendJSONString(dst, b.Operation.String())
	dst = append(dst, `,"permission":`...)
	dst = appendJSONString(dst, b.Permission.String())
	return append(dst, '}')
}

// appendJSONString appends s as encoding/json writes it: a string of
// printable ASCII without quotes, backslashes or HTML characters as is,
// anything else through encoding/json itself (its escapes).
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(dst, q...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// WriteJSONFunc writes bindings to w in FormatJSON's layout as it goes,
// each appended by encode (one JSON object, no newlines) to the buffer it
// is given: the whole array is never in memory.
func WriteJSONFunc(w io.Writer, bs []Binding, encode func(dst []byte, b Binding) ([]byte, error)) error {
	buf := []byte("[")
	for i, b := range bs {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, "\n  "...)
		var err error
		if buf, err = encode(buf, b); err != nil {
			return err
		}
		if len(buf) >= 32<<10 {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	if len(bs) > 0 {
		buf = append(buf, '\n')
	}
	buf = append(buf, "]\n"...)
	_, err := w.Write(buf)
	return err
}
