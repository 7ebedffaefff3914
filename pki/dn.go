package pki

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// dnKeywords are the attribute types ParseDN accepts by name.
var dnKeywords = map[string]asn1.ObjectIdentifier{
	"CN":           {2, 5, 4, 3},
	"C":            {2, 5, 4, 6},
	"L":            {2, 5, 4, 7},
	"ST":           {2, 5, 4, 8},
	"O":            {2, 5, 4, 10},
	"OU":           {2, 5, 4, 11},
	"STREET":       {2, 5, 4, 9},
	"DC":           {0, 9, 2342, 19200300, 100, 1, 25},
	"UID":          {0, 9, 2342, 19200300, 100, 1, 1},
	"SERIALNUMBER": {2, 5, 4, 5},
	"TITLE":        {2, 5, 4, 12},
	"SURNAME":      {2, 5, 4, 4},
	"GIVENNAME":    {2, 5, 4, 42},
	"POSTALCODE":   {2, 5, 4, 17},
	"EMAILADDRESS": {1, 2, 840, 113549, 1, 9, 1},
}

// ParseDN parses a distinguished name written in RFC 2253 / RFC 4514 form,
// most specific RDN first ("CN=analytics,OU=data,O=Acme"), into the DER of
// an X.509 Name, such that RFC2253 prints it back (in Java's escaping).
// Attribute types: CN, C, L, ST, O, OU, STREET, DC, UID, SERIALNUMBER, TITLE,
// SURNAME, GIVENNAME, POSTALCODE, EMAILADDRESS, or a dotted OID. Values:
// backslash escapes (\, or \2C), or #hex for a DER-encoded value. C and
// SERIALNUMBER are encoded as PrintableString, DC and EMAILADDRESS as
// IA5String, everything else as UTF8String.
func ParseDN(s string) ([]byte, error) {
	p := &dnParser{s: s}
	var rdns pkix.RDNSequence
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("empty distinguished name")
	}
	for {
		var rdn pkix.RelativeDistinguishedNameSET
		for {
			atv, err := p.ava()
			if err != nil {
				return nil, fmt.Errorf("distinguished name %q: %w", s, err)
			}
			rdn = append(rdn, atv)
			if !p.consume('+') {
				break
			}
		}
		rdns = append(rdns, rdn)
		if p.done() {
			break
		}
		if !p.consume(',') && !p.consume(';') {
			return nil, fmt.Errorf("distinguished name %q: unexpected %q at offset %d", s, p.s[p.i:], p.i)
		}
	}
	// Most specific first in the string, last in the encoding.
	for i, j := 0, len(rdns)-1; i < j; i, j = i+1, j-1 {
		rdns[i], rdns[j] = rdns[j], rdns[i]
	}
	return asn1.Marshal(rdns)
}

type dnParser struct {
	s string
	i int
}

func (p *dnParser) skipSpaces() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *dnParser) done() bool {
	p.skipSpaces()
	return p.i >= len(p.s)
}

func (p *dnParser) consume(c byte) bool {
	p.skipSpaces()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *dnParser) ava() (pkix.AttributeTypeAndValue, error) {
	p.skipSpaces()
	start := p.i
	for p.i < len(p.s) && p.s[p.i] != '=' && p.s[p.i] != ',' && p.s[p.i] != '+' {
		p.i++
	}
	typ := strings.TrimSpace(p.s[start:p.i])
	if p.i >= len(p.s) || p.s[p.i] != '=' {
		return pkix.AttributeTypeAndValue{}, fmt.Errorf("attribute %q has no '='", typ)
	}
	p.i++
	oid, err := attributeType(typ)
	if err != nil {
		return pkix.AttributeTypeAndValue{}, err
	}
	p.skipSpaces()
	if p.i < len(p.s) && p.s[p.i] == '#' {
		p.i++
		start := p.i
		for p.i < len(p.s) && strings.IndexByte("0123456789abcdefABCDEF", p.s[p.i]) >= 0 {
			p.i++
		}
		der, err := hex.DecodeString(p.s[start:p.i])
		if err != nil || len(der) == 0 {
			return pkix.AttributeTypeAndValue{}, fmt.Errorf("%s: bad #hex value", typ)
		}
		var rv asn1.RawValue
		if rest, err := asn1.Unmarshal(der, &rv); err != nil || len(rest) > 0 {
			return pkix.AttributeTypeAndValue{}, fmt.Errorf("%s: #hex value is not one DER value", typ)
		}
		return pkix.AttributeTypeAndValue{Type: oid, Value: rv}, nil
	}
	value, err := p.stringValue()
	if err != nil {
		return pkix.AttributeTypeAndValue{}, fmt.Errorf("%s: %w", typ, err)
	}
	return pkix.AttributeTypeAndValue{Type: oid, Value: encodeValue(oid, value)}, nil
}

func attributeType(typ string) (asn1.ObjectIdentifier, error) {
	if oid, ok := dnKeywords[strings.ToUpper(typ)]; ok {
		return oid, nil
	}
	t := strings.TrimPrefix(strings.TrimPrefix(typ, "OID."), "oid.")
	var oid asn1.ObjectIdentifier
	for _, part := range strings.Split(t, ".") {
		n, err := strconv.Atoi(part)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("unknown attribute type %q (use CN, OU, O, L, ST, C, STREET, DC, UID, SERIALNUMBER, TITLE, EMAILADDRESS, … or a dotted OID)", typ)
		}
		oid = append(oid, n)
	}
	if len(oid) < 2 {
		return nil, fmt.Errorf("unknown attribute type %q", typ)
	}
	return oid, nil
}

// stringValue reads an RFC 4514 string value up to an unescaped , + or ;
// dropping unescaped trailing spaces.
func (p *dnParser) stringValue() (string, error) {
	var b []byte
	keep := 0 // length of b up to the last escaped or non-space byte
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == ',' || c == '+' || c == ';':
			return string(b[:keep]), p.checkUTF8(b[:keep])
		case c == '\\':
			if p.i+1 >= len(p.s) {
				return "", errors.New("value ends with a lone backslash")
			}
			n := p.s[p.i+1]
			if isHex(n) && p.i+2 < len(p.s) && isHex(p.s[p.i+2]) {
				v, _ := strconv.ParseUint(p.s[p.i+1:p.i+3], 16, 8)
				b = append(b, byte(v))
				p.i += 3
			} else if strings.IndexByte(` "#+,;<=>\`, n) >= 0 {
				b = append(b, n)
				p.i += 2
			} else {
				return "", fmt.Errorf("bad escape \\%c", n)
			}
			keep = len(b)
		case c == '"' || c == '<' || c == '>':
			return "", fmt.Errorf("unescaped %q in value", c)
		default:
			b = append(b, c)
			p.i++
			if c != ' ' {
				keep = len(b)
			}
		}
	}
	return string(b[:keep]), p.checkUTF8(b[:keep])
}

func (p *dnParser) checkUTF8(b []byte) error {
	if !utf8.Valid(b) {
		return errors.New("value is not valid UTF-8")
	}
	return nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func encodeValue(oid asn1.ObjectIdentifier, v string) asn1.RawValue {
	tag := tagUTF8String
	switch oid.String() {
	case "2.5.4.6", "2.5.4.5":
		if isPrintable(v) {
			tag = tagPrintableString
		}
	case "0.9.2342.19200300.100.1.25", "1.2.840.113549.1.9.1":
		if isASCII(v) {
			tag = tagIA5String
		}
	}
	return asn1.RawValue{Class: asn1.ClassUniversal, Tag: tag, Bytes: []byte(v)}
}

func isPrintable(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(" '()+,-./:=?", c)) {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
