package inventory

import "fmt"

// DNMapper turns a certificate subject DN (RFC 2253, most specific first)
// into the principal name a broker sees, without "User:": what the
// brokers' ssl.principal.mapping.rules make of it. pki.ParseMappingRules
// gives one (policies.CheckDNs wires it up).
type DNMapper interface {
	// Normalize returns dn as a broker sees the subject of a certificate
	// issued with it: parsed as pki issue parses it and printed in Java's
	// RFC 2253 form ("cn=a, ou=b" becomes "CN=a,OU=b"), or an error for a
	// malformed DN.
	Normalize(dn string) (string, error)
	// Map maps a normalised DN.
	Map(dn string) (string, error)
}

// DNError is an mtls principal whose dn the cluster's mapping rules turn
// into another principal: a certificate issued with that DN would not
// authenticate as the principal the grants are for.
type DNError struct {
	Source    string // "file:line" of the principal
	Principal string // the declared name (User:<Principal> is expected)
	DN        string // normalised (DNMapper.Normalize), as a broker sees it
	MapsTo    string // the name the rules give, without "User:"
}

func (e *DNError) Error() string {
	return fmt.Sprintf("%s: principal %q: dn %q maps to User:%s under the cluster's ssl_principal_mapping_rules, not User:%s",
		e.Source, e.Principal, e.DN, e.MapsTo, e.Principal)
}

// CheckDNs checks every mtls principal that declares a dn: m must map it,
// normalised as a broker would see it, to User:<name>. The first principal
// (in name order) that fails is the error: a *DNError when the DN maps
// elsewhere, or the mapper's error (a malformed DN, no rule matching) with
// the principal's file:line. newMapper is called
// only when some principal has a dn, so an inventory without DNs never
// depends on the mapping rules.
func (inv *Inventory) CheckDNs(newMapper func() (DNMapper, error)) error {
	var m DNMapper
	for _, p := range inv.Principals {
		if p.DN == "" {
			continue
		}
		if m == nil {
			var err error
			if m, err = newMapper(); err != nil {
				return err
			}
		}
		dn, err := m.Normalize(p.DN)
		if err != nil {
			return fmt.Errorf("%s: principal %q: dn %q: %w", p.Source, p.Name, p.DN, err)
		}
		got, err := m.Map(dn)
		if err != nil {
			return fmt.Errorf("%s: principal %q: dn %q: %w", p.Source, p.Name, dn, err)
		}
		if got != p.Name {
			return &DNError{Source: p.Source, Principal: p.Name, DN: dn, MapsTo: got}
		}
	}
	return nil
}
