package inventory

import (
	"errors"
	"strings"
	"testing"
)

// cnMapper maps "CN=x,..." to x, as RULE:^CN=([^,]+),.*$/$1/ would.
type cnMapper struct{ calls *int }

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
