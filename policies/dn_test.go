package policies

import (
	"errors"
	"testing"

	"github.com/kafkaguard/kafkaguard/inventory"
)

// An inventory dn is checked as a broker sees the subject of the
// certificate pki issue makes from it: parsed and printed in Java's RFC 2253
// form (upper-case keywords, no spaces after separators), then mapped.
func TestCheckDNsNormalisesDN(t *testing.T) {
	base := "cluster:\n  name: c\n  ssl_principal_mapping_rules: \"RULE:^CN=([^,]+),OU=.*$/$1/,DEFAULT\"\nprincipals:\n"
	for _, p := range []string{
		`  lower: {auth: mtls, dn: "cn=lower,ou=x,o=Acme"}`,
		`  spaced: {auth: mtls, dn: "CN=spaced, OU=x, O=Acme"}`,
		`  mixed: {auth: mtls, dn: " Cn = mixed ; oU=x,o=Acme"}`,
	} {
		if err := CheckDNs(parseInv(t, base+p+"\n")); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}

	err := CheckDNs(parseInv(t, base+`  analytics: {auth: mtls, dn: "cn=etl, ou=data, o=Acme"}`+"\n"))
	var de *inventory.DNError
	if !errors.As(err, &de) || de.DN != "CN=etl,OU=data,O=Acme" || de.MapsTo != "etl" {
		t.Fatalf("CheckDNs = %v", err)
	}
	want := `inv.yaml:5: principal "analytics": dn "CN=etl,OU=data,O=Acme" maps to User:etl under the cluster's ssl_principal_mapping_rules, not User:analytics`
	if err.Error() != want {
		t.Errorf("err = %q\nwant  %q", err, want)
	}
}
