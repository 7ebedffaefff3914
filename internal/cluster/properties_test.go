package cluster

import (
	"strings"
	"testing"
)

func TestParsePropertiesFollowsJavaSyntax(t *testing.T) {
	tests := []struct {
		name, in string
		want     map[string]string
	}{
		{"equals", "a=b", map[string]string{"a": "b"}},
		{"colon", "a:b", map[string]string{"a": "b"}},
		{"space separator", "a   b", map[string]string{"a": "b"}},
		{"spaces around equals", "  a  =  b c ", map[string]string{"a": "b c "}},
		{"comments skipped", "# x=y\n! z=w\na=1", map[string]string{"a": "1"}},
		{"continuation", "a=one \\\n    two", map[string]string{"a": "one two"}},
		{"escaped backslash is not continuation", "a=c:\\\\\nb=2", map[string]string{"a": `c:\`, "b": "2"}},
		{"escapes", `a=x\ty\u0041\=`, map[string]string{"a": "x\tyA="}},
		{"escaped separator in key", `my\=key=v`, map[string]string{"my=key": "v"}},
		{"empty value", "a=", map[string]string{"a": ""}},
		{"second separator kept", "a==b", map[string]string{"a": "=b"}},
		{"later wins", "a=1\na=2", map[string]string{"a": "2"}},
		{"jaas with quotes", `sasl.jaas.config=x required username="u" password="p";`, map[string]string{"sasl.jaas.config": `x required username="u" password="p";`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseProperties(strings.NewReader(tt.in), "t.properties")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func TestParsePropertiesErrorNamesFileAndLine(t *testing.T) {
	_, err := ParseProperties(strings.NewReader("a=1\n\nb=\\u12"), "client.properties")
	if err == nil || !strings.HasPrefix(err.Error(), "client.properties:3:") {
		t.Fatalf("err = %v, want client.properties:3: ...", err)
	}
}

// A value written with EscapePropertyValue is printable ASCII, so it reads
// the same as ISO-8859-1 (Java's Properties.load(InputStream)) and as UTF-8,
// and ParseProperties gives the value back.
func TestEscapePropertyValueRoundTripsAsPrintableASCII(t *testing.T) {
	values := []string{
		"GoodPässwörd1234",
		"emoji😀and€",
		" leading space",
		`C:\ca\ca.pem`,
		"tab\tnew\nline\rff\f",
		"a=b:c#d!e",
		"\x01\x7f\u00a0",
		"",
	}
	for _, v := range values {
		esc := EscapePropertyValue(v)
		for _, c := range []byte(esc) {
			if c < 0x20 || c > 0x7e {
				t.Errorf("EscapePropertyValue(%q) = %q: byte %#x is not printable ASCII", v, esc, c)
				break
			}
		}
		got, err := ParseProperties(strings.NewReader("k="+esc+"\nnext=1\n"), "t.properties")
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		if got["k"] != v || got["next"] != "1" {
			t.Errorf("round trip of %q via %q: got %q", v, esc, got)
		}
	}
	// As Properties.store writes them: UTF-16 code units, a surrogate pair
	// for a character outside the BMP.
	if got, want := EscapePropertyValue("ä😀"), `\u00E4\uD83D\uDE00`; got != want {
		t.Errorf("EscapePropertyValue(ä😀) = %s, want %s", got, want)
	}
}
