package pki

import "testing"

func TestParseDNRoundTripsThroughRFC2253(t *testing.T) {
	cases := []struct{ in, want string }{
		{"CN=analytics,OU=data,O=Acme", "CN=analytics,OU=data,O=Acme"},
		{"CN=alice, OU=eng ; O=Acme,C=US", "CN=alice,OU=eng,O=Acme,C=US"},
		{`CN=Tkac\, Adam,O=Acme\2C Inc.`, `CN=Tkac\, Adam,O=Acme\, Inc.`},
		{`CN=\#hash\=eq,OU=\ lead`, `CN=\#hash\=eq,OU=\ lead`},
		{`CN=trail\ `, `CN=trail\ `},
		{"CN=trailing unescaped   ", "CN=trailing unescaped"},
		{"cn=lower,ou=case", "CN=lower,OU=case"},
		{"CN=Zürich \\E2\\9C\\93", "CN=Zürich ✓"},
		// DER sorts the values of a multi-valued RDN by their encoding.
		{"CN=svc+UID=42,O=Acme", "CN=svc+UID=42,O=Acme"},
		{"UID=42+CN=svc", "CN=svc+UID=42"},
		{`UID=42+CN=Tkac\, Adam`, `UID=42+CN=Tkac\, Adam`},
		{"EMAILADDRESS=a@b.c,CN=x", "1.2.840.113549.1.9.1=#16056140622e63,CN=x"},
		{"CN=x,1.3.6.1.4.1.99999.1=#0c06637573746f6d", "CN=x,1.3.6.1.4.1.99999.1=#0c06637573746f6d"},
		{"CN=x,OID.2.5.4.12=Boss", "CN=x,2.5.4.12=#0c04426f7373"},
		{"DC=example,DC=com", "DC=example,DC=com"},
	}
	for _, c := range cases {
		raw, err := ParseDN(c.in)
		if err != nil {
			t.Errorf("ParseDN(%q): %v", c.in, err)
			continue
		}
		if got := RFC2253(raw); got != c.want {
			t.Errorf("ParseDN(%q) prints as %q, want %q", c.in, got, c.want)
		}
	}
}

func TestParseDNRejectsMalformedNames(t *testing.T) {
	for _, in := range []string{
		"", "   ", "CN", "CN=a,", "FOO=x", "CN=a\\", `CN=a\q`, `CN=a"b`, "CN=a,=b", "1=x", "CN=#zz", "CN=#0c05", `CN=\ff`,
	} {
		if raw, err := ParseDN(in); err == nil {
			t.Errorf("ParseDN(%q) = %s, want an error", in, RFC2253(raw))
		}
	}
}

func TestIssueClientWithDN(t *testing.T) {
	ca, _ := newTestCA(t, InitOptions{})
	is, err := ca.IssueClient(ClientRequest{Name: "analytics", DN: "CN=analytics,OU=data,O=Acme", MappingRules: "RULE:^CN=([^,]+),OU=.*$/$1/,DEFAULT"})
	if err != nil {
		t.Fatal(err)
	}
	if is.Subject != "CN=analytics,OU=data,O=Acme" || is.Principal != "User:analytics" {
		t.Errorf("subject %q principal %q", is.Subject, is.Principal)
	}
	if _, err := ca.IssueClient(ClientRequest{Name: "x", DN: "CN=x", OUs: []string{"a"}}); err == nil {
		t.Error("DN together with OUs accepted")
	}
}
