package pki

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// PrincipalFromCert returns the Kafka principal a broker derives from a client
// certificate: "User:" + the subject DN in RFC 2253 form (as Java's
// X500Principal.getName() prints it), transformed by mappingRules
// (ssl.principal.mapping.rules; "" means DEFAULT).
func PrincipalFromCert(cert *x509.Certificate, mappingRules string) (string, error) {
	dn, err := FormatRFC2253(cert.RawSubject)
	if err != nil {
		return "", err
	}
	m, err := ParseMappingRules(mappingRules)
	if err != nil {
		return "", err
	}
	name, err := m.Map(dn)
	if err != nil {
		return "", err
	}
	return "User:" + name, nil
}

// RFC2253 formats a DER-encoded X.509 Name (a certificate's RawSubject or
// RawIssuer) as Java's X500Principal.getName(RFC2253) does. It returns "" for
// a malformed name; FormatRFC2253 returns the error.
func RFC2253(rawName []byte) string {
	s, _ := FormatRFC2253(rawName)
	return s
}

// RFC2253Name formats a pkix.Name the same way, after encoding it as Go's
// crypto/x509 would put it in a certificate.
func RFC2253Name(n pkix.Name) string {
	der, err := asn1.Marshal(n.ToRDNSequence())
	if err != nil {
		return ""
	}
	return RFC2253(der)
}

type attributeTypeAndValue struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

// A type name ending in SET makes encoding/asn1 read a SET OF.
type relativeDistinguishedNameSET []attributeTypeAndValue

// rfc2253Keywords are the attribute types Java prints by name in RFC 2253
// form (sun.security.x509.AVAKeyword entries marked RFC 2253 compliant);
// every other type is printed as a dotted OID with a #hex DER value.
var rfc2253Keywords = map[string]string{
	"2.5.4.3":                    "CN",
	"2.5.4.6":                    "C",
	"2.5.4.7":                    "L",
	"2.5.4.8":                    "ST",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"2.5.4.9":                    "STREET",
	"0.9.2342.19200300.100.1.25": "DC",
	"0.9.2342.19200300.100.1.1":  "UID",
}

// ASN.1 string tags Java renders as text (AVA.isDerString, non-canonical).
const (
	tagUTF8String      = 12
	tagPrintableString = 19
	tagT61String       = 20
	tagIA5String       = 22
	tagGeneralString   = 27
	tagBMPString       = 30
)

// FormatRFC2253 is RFC2253 with an error for a malformed name.
func FormatRFC2253(rawName []byte) (string, error) {
	var rdns []relativeDistinguishedNameSET
	rest, err := asn1.Unmarshal(rawName, &rdns)
	if err != nil {
		return "", fmt.Errorf("parse distinguished name: %w", err)
	}
	if len(rest) > 0 {
		return "", errors.New("parse distinguished name: trailing data")
	}
	var b strings.Builder
	// Most specific (last encoded) RDN first.
	for i := len(rdns) - 1; i >= 0; i-- {
		if i != len(rdns)-1 {
			b.WriteByte(',')
		}
		for j, atv := range rdns[i] {
			if j > 0 {
				b.WriteByte('+')
			}
			if err := writeAVA(&b, atv); err != nil {
				return "", err
			}
		}
	}
	return b.String(), nil
}

func writeAVA(b *strings.Builder, atv attributeTypeAndValue) error {
	oid := atv.Type.String()
	kw, known := rfc2253Keywords[oid]
	if !known {
		kw = oid
	}
	b.WriteString(kw)
	b.WriteByte('=')
	v := atv.Value
	if !known || v.Class != asn1.ClassUniversal || v.IsCompound || !isDERString(v.Tag) {
		b.WriteByte('#')
		b.WriteString(hex.EncodeToString(v.FullBytes))
		return nil
	}
	b.WriteString(escapeRFC2253(derString(v)))
	return nil
}

func isDERString(tag int) bool {
	switch tag {
	case tagUTF8String, tagPrintableString, tagT61String, tagIA5String, tagGeneralString, tagBMPString:
		return true
	}
	return false
}

// derString decodes a string value as Java 17's AVA.toRFC2253String does:
// the content bytes as UTF-8 whatever the string type (so a BMPString shows
// its zero bytes as \00), each invalid byte becoming U+FFFD.
func derString(v asn1.RawValue) string {
	if utf8.Valid(v.Bytes) {
		return string(v.Bytes)
	}
	var b strings.Builder
	for _, r := range string(v.Bytes) {
		b.WriteRune(r) // an invalid byte ranges as utf8.RuneError, width 1
	}
	return b.String()
}

// escapeRFC2253 escapes a value as sun.security.x509.AVA.toRFC2253String:
// a backslash before each of ,=+<>#;"\ (Java escapes '=' and every '#', not
// only a leading one), NUL as \00, and a backslash before each leading or
// trailing space (or CR).
func escapeRFC2253(s string) string {
	const escapees = ",=+<>#;\"\\"
	var esc []rune
	for _, c := range s {
		switch {
		case strings.ContainsRune(escapees, c):
			esc = append(esc, '\\', c)
		case c == 0:
			esc = append(esc, '\\', '0', '0')
		default:
			esc = append(esc, c)
		}
	}
	lead := 0
	for lead < len(esc) && (esc[lead] == ' ' || esc[lead] == '\r') {
		lead++
	}
	trail := len(esc) - 1
	for trail >= 0 && (esc[trail] == ' ' || esc[trail] == '\r') {
		trail--
	}
	var b strings.Builder
	for i, c := range esc {
		if i < lead || i > trail {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}
