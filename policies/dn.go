package policies

import (
	"fmt"

	"github.com/kafkaguard/kafkaguard/inventory"
	"github.com/kafkaguard/kafkaguard/pki"
)

// CheckDNs checks that every mtls principal's dn maps to User:<name> under
// the cluster's ssl_principal_mapping_rules (DEFAULT when unset), with pki's
// port of Kafka's SslPrincipalMapper, as the brokers will map the subject of
// a certificate issued with that DN. Compile runs it first, so compile,
// policy check, plan, apply, audit and the demo all refuse such an
// inventory; commands that load an inventory without compiling it (users)
// call it themselves. A DN that maps elsewhere is an *inventory.DNError.
func CheckDNs(inv *inventory.Inventory) error {
	return inv.CheckDNs(func() (inventory.DNMapper, error) {
		m, err := pki.ParseMappingRules(inv.Cluster.SSLPrincipalMappingRules)
		if err != nil {
			return nil, fmt.Errorf("%s: cluster.ssl_principal_mapping_rules: %w", inv.Cluster.Source, err)
		}
		return dnMapper{m}, nil
	})
}

// dnMapper normalises a DN as pki issue parses it and a broker prints the
// certificate's subject (Java's RFC 2253 form: upper-case keywords, no
// spaces around separators, Java's escaping), then maps it.
type dnMapper struct{ m *pki.Mapper }

func (d dnMapper) Normalize(dn string) (string, error) {
	der, err := pki.ParseDN(dn)
	if err != nil {
		return "", err
	}
	return pki.FormatRFC2253(der)
}

func (d dnMapper) Map(dn string) (string, error) { return d.m.Map(dn) }
