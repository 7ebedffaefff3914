package audit

import (
	"context"
	"crypto/x509"
	"strings"
	"time"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/pki"
)

// BindingSources is, for every binding of a compile's provenance, the
// location ("file:line") of the first grant or rule that produced it.
func BindingSources(prov map[acl.Binding][]string) map[acl.Binding]string {
	srcs := map[acl.Binding]string{}
	for b, provs := range prov {
		for _, p := range provs {
			if s := provenanceLocation(p); s != "" {
				srcs[b] = s
				break
			}
		}
	}
	return srcs
}

// provenanceLocation takes "file:line" out of "grant inventory.yaml:14 (role
// producer)" or "rule data.x.acls (policies/x.rego:3)".
func provenanceLocation(p string) string {
	if rest, ok := strings.CutPrefix(p, "grant "); ok {
		loc, _, _ := strings.Cut(rest, " (")
		return loc
	}
	if i, j := strings.LastIndex(p, "("), strings.LastIndex(p, ")"); i >= 0 && j > i {
		return p[i+1 : j]
	}
	return ""
}

// caLister lists the certificates of a kafkaguard CA directory.
type caLister struct {
	ca    *pki.CA
	rules string // the cluster's ssl.principal.mapping.rules
}

// OpenCA opens the CA directory for the certificates check and returns its
// certificate as the root brokers must chain to. rules are the cluster's
// ssl.principal.mapping.rules.
func OpenCA(dir, rules string) (CertLister, *x509.CertPool, error) {
	ca, err := pki.Open(dir)
	if err != nil {
		return nil, nil, err
	}
	return caLister{ca: ca, rules: rules}, ca.CertPool(), nil
}

// ListCerts lists the CA's certificates. A client certificate's principal is
// what the cluster's mapping rules (the inventory's) make of its subject, as
// the broker would; without rules, what the rules given at issue made of it.
func (l caLister) ListCerts(context.Context) ([]Cert, error) {
	infos, err := l.ca.List(time.Now(), 0)
	if err != nil {
		return nil, err
	}
	var out []Cert
	for _, i := range infos {
		c := Cert{Serial: i.Serial, Name: i.Name, CADir: l.ca.Dir(), Kind: i.Kind, Subject: i.Subject, NotAfter: i.NotAfter,
			Revoked: i.Status == pki.StatusRevoked, Superseded: i.SupersededBy != ""}
		if i.Kind != "broker" {
			c.Principal = i.Principal
			if l.rules != "" && i.Cert != nil {
				if p, err := pki.PrincipalFromCert(i.Cert, l.rules); err == nil {
					c.Principal = p
				}
			}
		}
		out = append(out, c)
	}
	return out, nil
}
