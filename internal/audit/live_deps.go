package audit

import (
	"context"
	"crypto/x509"
	"time"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/report"
	"github.com/kafkaguard/kafkaguard/pki"
	"github.com/kafkaguard/kafkaguard/policies"
)

// BindingSources is, for every binding of a compile's provenance, the
// location ("file:line") of the first grant or rule that produced it.
func BindingSources(prov map[acl.Binding][]policies.Provenance) map[acl.Binding]string {
	srcs := map[acl.Binding]string{}
	for b, provs := range prov {
		for _, p := range provs {
			if s := p.Location(); s != "" {
				srcs[b] = s
				break
			}
		}
	}
	return srcs
}

// ReportFindings are the policy's findings as report findings: its deny
// findings (errors), its warn findings (warnings) and the findings waivers
// waived (info).
func ReportFindings(res *policies.Result) []report.Finding {
	out := make([]report.Finding, 0, len(res.Deny)+len(res.Warn)+len(res.Info))
	for _, f := range res.Deny {
		out = append(out, reportFinding(f, report.SeverityError))
	}
	for _, f := range res.Warn {
		out = append(out, reportFinding(f, report.SeverityWarning))
	}
	for _, f := range res.Info {
		out = append(out, reportFinding(f, report.SeverityInfo))
	}
	return out
}

func reportFinding(f policies.Finding, sev report.Severity) report.Finding {
	return report.Finding{ID: f.ID, Check: f.Check, Severity: sev, Resource: f.Resource, Message: f.Message, Fix: f.Fix, Location: f.Location}
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
	ca, err := pki.OpenReadOnly(dir) // the audit host need not hold ca-key.pem
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
