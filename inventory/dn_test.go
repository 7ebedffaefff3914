package inventory

import (
	"errors"
	"strings"
	"testing"
)

// cnMapper maps "CN=x,..." to x, as RULE:^CN=([^,]+),.*$/$1/ would. It
// normalises a DN by upper-casing "cn=" and removing spaces after commas.
type cnMapper struct{ calls *int }

func (m cnMapper) Normalize(dn string) (string, error) {
	if strings.Contains(dn, "bad") {
		return "", errors.New("malformed")
	}
	return strings.ReplaceAll(strings.ReplaceAll(dn, "cn=", "CN="), ", ", ","), nil
}

func (m cnMapper) Map(dn string) (string, error) {
	*m.calls++
	cn, _, _ := strings.Cut(strings.TrimPrefix(dn, "CN="), ",")
	if !strings.HasPrefix(dn, "CN=") {
		return "", errors.New("no rule matches")
	}
	return cn, nil
}

func TestCheckDNs(t *testing.T) {
	inv, err := Parse("inv.yaml", []byte(`principals:
  analytics: {auth: mtls, dn: "CN=analytics,OU=data"}
  billing:   {auth: scram-sha-512}
  ops:       {auth: mtls}
  reports:   {auth: mtls, dn: "CN=reporting,OU=data"}
  zeta:      {auth: mtls, dn: "OU=nothing"}
`))
	if err != nil {
		t.Fatal(err)
	}
	calls, made := 0, 0
	newMapper := func() (DNMapper, error) { made++; return cnMapper{&calls}, nil }
	err = inv.CheckDNs(newMapper)
	var de *DNError
	if !errors.As(err, &de) {
		t.Fatalf("err = %v, want a *DNError", err)
	}
	if *de != (DNError{Source: "inv.yaml:5", Principal: "reports", DN: "CN=reporting,OU=data", MapsTo: "reporting"}) {
		t.Errorf("DNError = %+v", *de)
	}
	want := `inv.yaml:5: principal "reports": dn "CN=reporting,OU=data" maps to User:reporting under the cluster's ssl_principal_mapping_rules, not User:reports`
	if err.Error() != want {
		t.Errorf("err = %q\nwant  %q", err, want)
	}
	if made != 1 || calls != 2 {
		t.Errorf("mapper made %d times, called %d times", made, calls)
	}

	// A DN the mapper cannot map names the principal and wraps the cause.
	inv.Principals = inv.Principals[len(inv.Principals)-1:]
	err = inv.CheckDNs(newMapper)
	if err == nil || err.Error() != `inv.yaml:6: principal "zeta": dn "OU=nothing": no rule matches` {
		t.Errorf("err = %v", err)
	}
}

func TestCheckDNsWithoutDNsNeedsNoMapper(t *testing.T) {
	inv, err := Parse("inv.yaml", []byte("principals:\n  ops: {auth: mtls}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := inv.CheckDNs(func() (DNMapper, error) { return nil, errors.New("bad rules") }); err != nil {
		t.Errorf("err = %v", err)
	}
}

// The DN is normalised (as a broker prints a certificate's subject) before
// it is mapped, and errors show the normalised DN; a DN that cannot be
// normalised is an error showing the DN as written.
func TestCheckDNsNormalises(t *testing.T) {
	inv, err := Parse("inv.yaml", []byte(`principals:
  lower:  {auth: mtls, dn: "cn=lower,OU=x"}
  spaced: {auth: mtls, dn: "CN=spaced, OU=x"}
`))
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	newMapper := func() (DNMapper, error) { return cnMapper{&calls}, nil }
	if err := inv.CheckDNs(newMapper); err != nil {
		t.Errorf("err = %v", err)
	}

	inv, err = Parse("inv.yaml", []byte(`principals:
  other: {auth: mtls, dn: "cn=lower, OU=x"}
  zbad:  {auth: mtls, dn: "cn=bad"}
`))
	if err != nil {
		t.Fatal(err)
	}
	err = inv.CheckDNs(newMapper)
	want := `inv.yaml:2: principal "other": dn "CN=lower,OU=x" maps to User:lower under the cluster's ssl_principal_mapping_rules, not User:other`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant  %s", err, want)
	}
	inv.Principals = inv.Principals[1:]
	err = inv.CheckDNs(newMapper)
	if err == nil || err.Error() != `inv.yaml:3: principal "zbad": dn "cn=bad": malformed` {
		t.Errorf("err = %v", err)
	}
}
