package audit

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/inventory"
	"github.com/kafkaguard/kafkaguard/internal/report"
	"github.com/kafkaguard/kafkaguard/pki"
	"github.com/kafkaguard/kafkaguard/policies"
)

// compilePolicy runs the policy over the inventory: the desired ACLs, where
// each comes from, and the policy's deny and warn findings.
func compilePolicy(ctx context.Context, inv *inventory.Inventory, dirs []string) (acl.Set, map[acl.Binding]string, []report.Finding, error) {
	res, err := policies.Compile(ctx, inv, policies.Options{PolicyDirs: dirs})
	if err != nil {
		return acl.Set{}, nil, nil, err
	}
	srcs := map[acl.Binding]string{}
	for b, provs := range res.Provenance {
		for _, p := range provs {
			if s := provenanceLocation(p); s != "" {
				srcs[b] = s
				break
			}
		}
	}
	fs := append(append([]report.Finding{}, res.Deny...), res.Warn...)
	return res.ACLs, srcs, fs, nil
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
	dir   string
	rules string // the cluster's ssl.principal.mapping.rules
}

// openCA opens the CA directory for the certificates check and returns its
// certificate as the root brokers must chain to.
func openCA(dir string, inv *inventory.Inventory) (CertLister, *x509.CertPool, error) {
	ca, err := pki.Open(dir)
	if err != nil {
		return nil, nil, err
	}
	return caLister{dir: dir, rules: inv.Cluster.SSLPrincipalMappingRules}, ca.CertPool(), nil
}

// ListCerts reads the CA's index (DIR/index.json, pki.Record entries). A
// client certificate's principal is computed from its copy under the CA
// directory with the mapping rules, as the broker would.
func (l caLister) ListCerts(context.Context) ([]Cert, error) {
	path := filepath.Join(l.dir, pki.IndexFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read CA index: %w", err)
	}
	var idx struct {
		Certs []pki.Record `json:"certs"`
	}
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, fmt.Errorf("read CA index %s: %w", path, err)
	}
	var out []Cert
	for _, r := range idx.Certs {
		c := Cert{Serial: r.Serial, Kind: r.Kind, Subject: r.Subject, NotAfter: r.NotAfter, Revoked: r.RevokedAt != nil}
		if r.Kind == "client" {
			c.Principal = "User:" + r.Name
			rules := r.MappingRules
			if rules == "" {
				rules = l.rules
			}
			if r.Copy != "" {
				if cert, err := pki.ReadCertificate(filepath.Join(l.dir, r.Copy)); err == nil {
					if p, err := pki.PrincipalFromCert(cert, rules); err == nil {
						c.Principal = p
					}
				}
			}
		}
		out = append(out, c)
	}
	return out, nil
}
