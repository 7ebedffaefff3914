package pki

import (
	"bufio"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// The fixtures under testdata/pki were produced by OpenJDK 17 with these
// programs (kept here, not run by the tests):
//
//	// Names.java: java Names.java cases.tsv   (lines: description \t DER hex)
//	for (String line : Files.readAllLines(Path.of(a[0]))) {
//	    String[] f = line.split("\t");
//	    String name = new X500Principal(HexFormat.of().parseHex(f[1])).getName();
//	    System.out.println(f[0] + "\t" + f[1] + "\t" + name); // control chars as \uXXXX
//	}
//
// and, for mapping_java17.tsv, Kafka's SslPrincipalMapper rule splitting,
// parsing and apply (String.replaceAll) copied into a scratch Java file.

type fixtureLine struct {
	line   int
	fields []string
}

func readFixture(t *testing.T, name string, columns int) []fixtureLine {
	t.Helper()
	f, err := os.Open("../testdata/pki/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []fixtureLine
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) != columns {
			t.Fatalf("%s:%d: %d columns, want %d", name, n, len(fields), columns)
		}
		out = append(out, fixtureLine{n, fields})
	}
	if len(out) == 0 {
		t.Fatalf("%s: no cases", name)
	}
	return out
}

// unescapeU turns the fixture's \uXXXX back into characters.
func unescapeU(t *testing.T, s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if strings.HasPrefix(s[i:], `\u`) && i+6 <= len(s) {
			if n, err := strconv.ParseUint(s[i+2:i+6], 16, 16); err == nil {
				b.WriteRune(rune(n))
				i += 5
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func TestRFC2253MatchesJavaX500Principal(t *testing.T) {
	for _, c := range readFixture(t, "rfc2253_java17.tsv", 3) {
		desc, der, want := c.fields[0], c.fields[1], unescapeU(t, c.fields[2])
		t.Run(desc, func(t *testing.T) {
			raw, err := hex.DecodeString(der)
			if err != nil {
				t.Fatalf("line %d: %v", c.line, err)
			}
			got, err := FormatRFC2253(raw)
			if err != nil {
				t.Fatalf("line %d: %v", c.line, err)
			}
			if got != want {
				t.Errorf("line %d:\n got %q\nwant %q", c.line, got, want)
			}
		})
	}
}

func TestRFC2253RejectsMalformedNames(t *testing.T) {
	for _, der := range []string{"", "30", "3003310130", "0c03616263", "3000ff"} {
		raw, _ := hex.DecodeString(der)
		if _, err := FormatRFC2253(raw); err == nil {
			t.Errorf("FormatRFC2253(%s) succeeded, want an error", der)
		}
		if s := RFC2253(raw); s != "" {
			t.Errorf("RFC2253(%s) = %q, want empty", der, s)
		}
	}
}

func TestRFC2253NamePrintsMostSpecificFirst(t *testing.T) {
	n := pkix.Name{CommonName: "alice", OrganizationalUnit: []string{"eng"}, Organization: []string{"Acme"}, Country: []string{"US"}}
	if got, want := RFC2253Name(n), "CN=alice,OU=eng,O=Acme,C=US"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestClientSubjectKeepsOUOrderOneRDNEach(t *testing.T) {
	raw, err := clientSubject("alice", []string{"eng", "data"}, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := RFC2253(raw), "CN=alice,OU=eng,OU=data,O=Acme"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestMappingRulesMatchKafkaSslPrincipalMapper(t *testing.T) {
	for _, c := range readFixture(t, "mapping_java17.tsv", 4) {
		desc, rules, dn, want := c.fields[0], c.fields[1], c.fields[2], c.fields[3]
		t.Run(desc, func(t *testing.T) {
			m, err := ParseMappingRules(rules)
			if err != nil {
				if want != "!ERROR" {
					t.Fatalf("line %d: ParseMappingRules(%q): %v, want %q", c.line, rules, err, want)
				}
				return
			}
			got, err := m.Map(dn)
			switch {
			case err != nil && want == "!ERROR":
			case err != nil && want == "!NOMATCH" && strings.Contains(err.Error(), "no ssl.principal.mapping.rules rule matches"):
			case err != nil:
				t.Errorf("line %d: Map(%q): %v, want %q", c.line, dn, err, want)
			case got != want:
				t.Errorf("line %d: Map(%q) = %q, want %q", c.line, dn, got, want)
			}
		})
	}
}

// Ported from Kafka's SslPrincipalMapperTest.testValidRules / testInvalidRules.
func TestMappingRuleValidity(t *testing.T) {
	valid := []string{
		"DEFAULT",
		"RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/",
		"RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L, DEFAULT",
		"RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/",
		"RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/L",
		"RULE:^cn=(.?),ou=(.?),dc=(.?),dc=(.?)$/$1@$2/U",
		"RULE:^CN=([^,ADEFLTU,]+)(,.*|$)/$1/",
		"RULE:^CN=([^,DEFAULT,]+)(,.*|$)/$1/",
	}
	for _, r := range valid {
		if _, err := ParseMappingRules(r); err != nil {
			t.Errorf("ParseMappingRules(%q): %v", r, err)
		}
	}
	invalid := []string{
		"default",
		"DEFAUL",
		"DEFAULT/L",
		"DEFAULT/U",
		"RULE:CN=(.*?),OU=ServiceUsers.*/$1",
		"rule:^CN=(.*?),OU=ServiceUsers.*$/$1/",
		"RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L/U",
		"RULE:^CN=(.*?),OU=ServiceUsers.*$/L",
		"RULE:^CN=(.*?),OU=ServiceUsers.*$/U",
		"RULE:^CN=(.*?),OU=ServiceUsers.*$/LU",
		// Java regex features RE2 lacks are refused, not misread.
		"RULE:^CN=(?=x).*$/$1/",
		"RULE:^CN=(a)\\1$/$1/",
	}
	for _, r := range invalid {
		if _, err := ParseMappingRules(r); err == nil {
			t.Errorf("ParseMappingRules(%q) succeeded, want an error", r)
		}
	}
}

// Ported from Kafka's SslPrincipalMapperTest.testRulesSplitting: the rules
// as Kafka's toString prints them after splitting.
func TestMappingRulesSplitting(t *testing.T) {
	cases := []struct{ want, rules string }{
		{"[DEFAULT]", "DEFAULT"},
		{"[RULE:/]", "RULE://"},
		{"[RULE:/.*]", "RULE:/.*/"},
		{"[RULE:/.*/L]", "RULE:/.*/L"},
		{"[RULE:/, DEFAULT]", "RULE://,DEFAULT"},
		{"[RULE:/, DEFAULT]", "  RULE:// ,  DEFAULT  "},
		{"[RULE:   /     , DEFAULT]", "  RULE:   /     / ,  DEFAULT  "},
		{"[RULE:  /     /U, DEFAULT]", "  RULE:  /     /U   ,DEFAULT  "},
		{"[RULE:([A-Z]*)/$1/U, RULE:([a-z]+)/$1, DEFAULT]", "  RULE:([A-Z]*)/$1/U   ,RULE:([a-z]+)/$1/,   DEFAULT  "},
		// empty rules are ignored
		{"[]", ",   , , ,      , , ,   "},
		{"[RULE:/, DEFAULT]", ",,RULE://,,,DEFAULT,,"},
		{"[RULE: /   , DEFAULT]", ",  , RULE: /   /    ,,,   DEFAULT, ,   "},
		{"[RULE:   /  /U, DEFAULT]", "     ,  , RULE:   /  /U    ,,  ,DEFAULT, ,"},
		// escape sequences
		{`[RULE:\/\\\(\)\n\t/\/\/]`, `RULE:\/\\\(\)\n\t/\/\//`},
		{`[RULE:\**\/+/*/L, RULE:\/*\**/**]`, `RULE:\**\/+/*/L,RULE:\/*\**/**/`},
		// rules rule
		{
			`[RULE:,RULE:,/,RULE:,\//U, RULE:,/RULE:,, RULE:,RULE:,/L,RULE:,/L, RULE:, DEFAULT, /DEFAULT, DEFAULT]`,
			`RULE:,RULE:,/,RULE:,\//U,RULE:,/RULE:,/,RULE:,RULE:,/L,RULE:,/L,RULE:, DEFAULT, /DEFAULT/,DEFAULT`,
		},
	}
	for _, c := range cases {
		m, err := ParseMappingRules(c.rules)
		if err != nil {
			t.Errorf("ParseMappingRules(%q): %v", c.rules, err)
			continue
		}
		if got := m.String(); got != c.want {
			t.Errorf("ParseMappingRules(%q) = %s, want %s", c.rules, got, c.want)
		}
	}
}

func TestEmptyMappingRulesMeanDefault(t *testing.T) {
	m, err := ParseMappingRules("")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := m.Map("CN=a,O=b"); err != nil || got != "CN=a,O=b" {
		t.Errorf("Map = %q, %v; want the DN unchanged", got, err)
	}
}

// TestDefaultMappingRulesShortcut: the rules ParseMappingRules builds
// without its regular expressions for an empty value and "DEFAULT" are
// the ones the parser builds for "DEFAULT".
func TestDefaultMappingRulesShortcut(t *testing.T) {
	want, err := parseMappingRules("DEFAULT")
	if err != nil {
		t.Fatal(err)
	}
	for _, rules := range []string{"", " \t\n", "DEFAULT"} {
		got, err := ParseMappingRules(rules)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ParseMappingRules(%q) = %+v, %v; want %+v", rules, got, err, want)
		}
	}
}

func TestPrincipalFromCertUsesRawSubject(t *testing.T) {
	raw, _ := hex.DecodeString("302a31133011060355040a0c0a41636d652c20496e632e3113301106035504030c0a546b61632c204164616d")
	cert := &x509.Certificate{RawSubject: raw}
	cases := []struct{ rules, want string }{
		{"", `User:CN=Tkac\, Adam,O=Acme\, Inc.`},
		{`RULE:^CN=((\\, *|\w)+)(,.*|$)/$1/L,DEFAULT`, `User:tkac\, adam`},
	}
	for _, c := range cases {
		got, err := PrincipalFromCert(cert, c.rules)
		if err != nil || got != c.want {
			t.Errorf("PrincipalFromCert(rules %q) = %q, %v; want %q", c.rules, got, err, c.want)
		}
	}
}

// A pattern at RE2's nesting limit compiles alone but not wrapped in the
// group Java-style matching needs: refused with an error, never a panic.
func TestMappingRuleTooDeepToWrapIsAnError(t *testing.T) {
	for _, depth := range []int{999, 1000, 5000} {
		rule := "RULE:" + strings.Repeat("(", depth) + "a" + strings.Repeat(")", depth) + "/x/"
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("depth %d: panic: %v", depth, r)
				}
			}()
			_, err := ParseMappingRules(rule)
			if err == nil || !strings.Contains(err.Error(), "invalid mapping rule") || len(err.Error()) > 600 {
				t.Errorf("depth %d: error = %.600v", depth, err)
			}
		}()
	}
	// One level less still works.
	rule := "RULE:" + strings.Repeat("(", 997) + "a" + strings.Repeat(")", 997) + "/x/"
	if _, err := ParseMappingRules(rule); err != nil {
		t.Errorf("depth 997: %v", err)
	}
}
