package cluster

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
)

// property is one key of a properties file with the line it started on.
type property struct {
	value string
	line  int
}

// ParseProperties reads Java .properties syntax: '#' and '!' comments, keys
// separated from values by '=', ':' or white space, backslash escapes
// (\t \n \r \f \uXXXX, and \ before any other character) and lines continued
// with a trailing backslash. A later key overrides an earlier one. Errors name
// source:line.
func ParseProperties(r io.Reader, source string) (map[string]string, error) {
	props, err := parseProperties(r, source)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(props))
	for k, p := range props {
		out[k] = p.value
	}
	return out, nil
}

// maxPropertiesBytes bounds a properties file: real ones are a few KB.
const maxPropertiesBytes = 16 << 20

// parseProperties is java.util.Properties.load(InputStream), which Kafka's
// tools use: the bytes are ISO-8859-1 (each byte one character, so UTF-8
// text arrives as its bytes, and a byte order mark is three characters of
// the first key, as in Java), lines end with \n, \r or \r\n, and the logical
// lines are found as Properties.LineReader finds them.
func parseProperties(r io.Reader, source string) (map[string]property, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxPropertiesBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", source, err)
	}
	if len(data) > maxPropertiesBytes {
		return nil, fmt.Errorf("read %s: larger than %d MiB, not a properties file", source, maxPropertiesBytes>>20)
	}
	out := make(map[string]property)
	lr := lineReader{data: data}
	for {
		line, start, ok := lr.next()
		if !ok {
			break
		}
		key, value, err := splitProperty(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", source, start, err)
		}
		out[key] = property{value: value, line: start}
	}
	return out, nil
}

// lineReader is Properties.LineReader over ISO-8859-1 bytes: it skips
// blank and comment lines (# or ! first on a line, not on a continued
// one), joins lines ended by an odd number of backslashes, dropping the
// continuation's leading white space, and reports the physical line each
// logical line starts on.
type lineReader struct {
	data []byte
	pos  int
	line int // physical lines ended so far
}

func (lr *lineReader) next() (string, int, bool) {
	var buf []rune
	skipWhite, appended, backslash, newLine, skipLF := true, false, false, true, false
	start := 0
	for lr.pos < len(lr.data) {
		c := rune(lr.data[lr.pos]) // ISO-8859-1: the byte is the character
		lr.pos++
		if skipLF {
			skipLF = false
			if c == '\n' {
				continue
			}
		}
		eol := c == '\n' || c == '\r'
		if eol {
			lr.line++
			skipLF = c == '\r'
		}
		if skipWhite {
			if c == ' ' || c == '\t' || c == '\f' {
				continue
			}
			if !appended && eol {
				continue
			}
			skipWhite, appended = false, false
		}
		if newLine {
			newLine = false
			if c == '#' || c == '!' {
				for lr.pos < len(lr.data) && lr.data[lr.pos] != '\n' && lr.data[lr.pos] != '\r' {
					lr.pos++
				}
				newLine, skipWhite = true, true
				continue
			}
			start = lr.line + 1
		}
		if !eol {
			buf = append(buf, c)
			backslash = c == '\\' && !backslash
			continue
		}
		if len(buf) == 0 {
			newLine, skipWhite = true, true
			continue
		}
		if backslash {
			buf = buf[:len(buf)-1]
			skipWhite, appended, backslash = true, true, false
			continue
		}
		return string(buf), start, true
	}
	if len(buf) == 0 {
		return "", 0, false
	}
	if backslash {
		buf = buf[:len(buf)-1]
	}
	return string(buf), start, true
}

// splitProperty splits a logical line into its unescaped key and value,
// as Properties.load0: the key ends at the first unescaped '=', ':' or
// white space; white space and one '=' or ':' after it are skipped.
func splitProperty(line string) (string, string, error) {
	rs := []rune(line)
	keyLen, valueStart, hasSep, backslash := 0, len(rs), false, false
	for keyLen < len(rs) {
		c := rs[keyLen]
		if (c == '=' || c == ':') && !backslash {
			valueStart, hasSep = keyLen+1, true
			break
		}
		if (c == ' ' || c == '\t' || c == '\f') && !backslash {
			valueStart = keyLen + 1
			break
		}
		backslash = c == '\\' && !backslash
		keyLen++
	}
	for valueStart < len(rs) {
		c := rs[valueStart]
		if c != ' ' && c != '\t' && c != '\f' {
			if !hasSep && (c == '=' || c == ':') {
				hasSep = true
			} else {
				break
			}
		}
		valueStart++
	}
	rawKey := string(rs[:keyLen])
	key, err := unescapeProperty(rawKey)
	if err != nil {
		return "", "", fmt.Errorf("key %q: %w", rawKey, err)
	}
	value, err := unescapeProperty(string(rs[valueStart:]))
	if err != nil {
		return "", "", fmt.Errorf("value of %s: %w", key, err)
	}
	return key, value, nil
}

func unescapeProperty(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i == len(s)-1 {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+5 > len(s) {
				return "", fmt.Errorf("malformed \\uxxxx escape %q", s[i-1:])
			}
			n, err := strconv.ParseUint(s[i+1:i+5], 16, 16)
			if err != nil {
				return "", fmt.Errorf("malformed \\uxxxx escape %q", s[i-1:i+5])
			}
			i += 4
			r := rune(n)
			// A character outside the BMP is a surrogate pair, two escapes
			// (as Properties.store writes it).
			if utf16.IsSurrogate(r) && i+6 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
				if lo, err := strconv.ParseUint(s[i+3:i+7], 16, 16); err == nil {
					if pr := utf16.DecodeRune(r, rune(lo)); pr != '\uFFFD' {
						r = pr
						i += 6
					}
				}
			}
			b.WriteRune(r)
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), nil
}

// EscapePropertyValue escapes v for the value of a Java .properties line, so
// that Properties.load, which reads the file as ISO-8859-1, gets v back:
// backslash, tab, newline, carriage return and form feed as \\ \t \n \r \f,
// a leading space as "\ ", and every other character outside printable
// ASCII as \uXXXX (UTF-16 code units: a surrogate pair for a character
// outside the BMP), as Properties.store writes them. '=', ':', '#' and '!'
// need no escape inside a value and keep the file readable. ParseProperties
// reads the result back.
func EscapePropertyValue(v string) string {
	var b strings.Builder
	for i, r := range v {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == ' ' && i == 0:
			b.WriteString(`\ `)
		case r >= 0x20 && r <= 0x7e:
			b.WriteRune(r)
		default:
			if r1, r2 := utf16.EncodeRune(r); r1 != '\uFFFD' {
				fmt.Fprintf(&b, `\u%04X\u%04X`, r1, r2)
			} else {
				fmt.Fprintf(&b, `\u%04X`, r)
			}
		}
	}
	return b.String()
}

// knownKeys are the client properties kafkaguard reads (Java and librdkafka
// spellings).
var knownKeys = []string{
	"bootstrap.servers", "metadata.broker.list", "security.protocol",
	"sasl.mechanism", "sasl.mechanisms", "sasl.jaas.config", "sasl.username", "sasl.password",
	"ssl.truststore.type", "ssl.truststore.location", "ssl.truststore.password", "ssl.truststore.certificates",
	"ssl.keystore.type", "ssl.keystore.location", "ssl.keystore.password", "ssl.keystore.certificate.chain", "ssl.keystore.key",
	"ssl.key.password", "ssl.endpoint.identification.algorithm",
	"ssl.ca.location", "ssl.certificate.location", "ssl.key.location",
}

// javaBOM is a UTF-8 byte order mark as Properties.load reads it: three
// ISO-8859-1 characters at the start of the first key.
const javaBOM = "\u00ef\u00bb\u00bf"

// keyWarnings are the warnings about keys a Kafka client ignores while the
// author meant one kafkaguard (and the client) reads: a misspelling (did you
// mean), or a byte order mark glued to the first key. Other unknown keys
// are Kafka client settings kafkaguard has no use for: no warning.
func keyWarnings(props map[string]property, source string) []string {
	type w struct {
		line int
		msg  string
	}
	var ws []w
	for k, p := range props {
		if slices.Contains(knownKeys, k) {
			continue
		}
		if rest, ok := strings.CutPrefix(k, javaBOM); ok && slices.Contains(knownKeys, rest) {
			ws = append(ws, w{p.line, fmt.Sprintf("%s:%d: the file starts with a UTF-8 byte order mark, which Java reads as part of the key %q: Kafka clients ignore %s (save the file without a BOM)", source, p.line, rest, rest)})
			continue
		}
		best, bestD := "", 3
		for _, known := range knownKeys {
			if d := editDistance(k, known, bestD); d < bestD {
				best, bestD = known, d
			}
		}
		if best != "" {
			ws = append(ws, w{p.line, fmt.Sprintf("%s:%d: unknown key %q (did you mean %q?): Kafka clients ignore it too", source, p.line, k, best)})
		}
	}
	slices.SortFunc(ws, func(a, b w) int { return a.line - b.line })
	out := make([]string, len(ws))
	for i, x := range ws {
		out[i] = x.msg
	}
	return out
}

// editDistance is the Levenshtein distance of a and b, or limit when it is
// at least limit.
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d >= limit || -d >= limit {
		return limit
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], limit)
}
