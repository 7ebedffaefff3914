package pki

import "testing"

// FuzzParseDN: any string is a DN or an error, never a panic.
func FuzzParseDN(f *testing.F) {
	for _, s := range []string{"CN=alice,OU=eng,O=Acme,C=US", `CN=a\,b+OU=x`, "CN=#0403616263", `CN="quoted"`, "cn=a;ou=b", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { ParseDN(s) })
}

// FuzzMappingRules: any rules are parsed or refused, never a panic, and
// mapping any DN with parsed rules does not panic either.
func FuzzMappingRules(f *testing.F) {
	f.Add("RULE:^CN=([^,]+),OU=.*$/$1/L,DEFAULT", "CN=Alice,OU=eng")
	f.Add("RULE:^(((a)))$/$3$9${x}\\$/U", "a")
	f.Add("RULE:(?i)cn=(.*)/$1/,RULE:x/y/", "CN=x")
	f.Fuzz(func(t *testing.T, rules, dn string) {
		m, err := ParseMappingRules(rules)
		if err != nil {
			return
		}
		m.Map(dn)
		_ = m.String()
	})
}
