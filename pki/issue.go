package pki

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/kafkaguard/kafkaguard/internal/fsutil"
)

// BrokerRequest asks for a broker certificate: server and client auth (brokers
// also connect to each other), subject CN=Name, SANs from Hosts.
type BrokerRequest struct {
	Name   string        // CN and file name stem: NAME.pem, NAME-key.pem
	Hosts  []string      // DNS names and IP addresses (at least one)
	Expiry time.Duration // default 1 year; clamped to the CA's NotAfter
	OutDir string        // default DIR/issued
	Force  bool          // overwrite existing NAME.pem / NAME-key.pem / NAME.p12

	KeyAlgo string // "ecdsa" (default, P-256) or "rsa" (2048)
	KeySize int
	// PKCS12Password, when set, also writes NAME.p12 (key, leaf and CA chain;
	// go-pkcs12 Modern2023 encoding: AES-256-CBC, PBKDF2, SHA-256 MAC).
	PKCS12Password string
	// CSR, when set, is a PEM certificate request made where the key lives:
	// only its public key is used (subject and SANs come from this request),
	// and no key file or keystore is written.
	CSR []byte
}

// ClientRequest asks for a client certificate: client auth only, subject
// CN=Name[,OU=...][,O=Org] (RFC 2253 order, OUs in the order given).
type ClientRequest struct {
	Name         string
	OUs          []string
	Org          string
	Expiry       time.Duration
	OutDir       string
	MappingRules string // the brokers' ssl.principal.mapping.rules; "" = DEFAULT
	Force        bool
	// DN, when set, is the whole subject in RFC 2253 form (e.g. an
	// inventory principal's dn: "CN=analytics,OU=data,O=Acme"); OUs and Org
	// must then be empty. See ParseDN.
	DN string

	KeyAlgo        string
	KeySize        int
	PKCS12Password string
	CSR            []byte // as BrokerRequest.CSR
}

// Issued is a certificate written to disk and recorded in the index.
type Issued struct {
	Name, Kind, CertPath, KeyPath string
	Cert                          *x509.Certificate
	Principal                     string // Kafka principal, e.g. User:CN=alice,OU=eng
	Serial                        string // upper-case hex
	Subject                       string // RFC 2253
	SANs                          []string
	PKCS12Path                    string // "" when no keystore was written
	// Clamped is true when the requested expiry ran past the CA's own
	// NotAfter and the certificate's NotAfter was cut back to the CA's.
	Clamped bool
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func checkName(name string) error {
	if name == "" {
		return errors.New("a certificate name is required")
	}
	if !nameRE.MatchString(name) {
		return fmt.Errorf("name %q is not valid: use up to 64 letters, digits, '.', '_' and '-' (it becomes the CN and the file name)", name)
	}
	return nil
}

// CheckHost reports whether h is an IP address or a DNS name (an optional
// leading "*." wildcard label is allowed).
func CheckHost(h string) error {
	if net.ParseIP(h) != nil {
		return nil
	}
	bad := fmt.Errorf("host %q is neither a DNS name nor an IP address", h)
	if h == "" || len(h) > 253 {
		return bad
	}
	for i, label := range strings.Split(h, ".") {
		if i == 0 && label == "*" && strings.Contains(h, ".") {
			continue
		}
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return bad
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return bad
			}
		}
	}
	return nil
}

// output paths for an issued certificate.
type outPaths struct{ cert, key, p12 string }

func (ca *CA) outPaths(outDir, name string, withKey, withP12 bool, force bool) (outPaths, error) {
	if outDir == "" {
		outDir = filepath.Join(ca.dir, IssuedDir)
	}
	abs, err := filepath.Abs(outDir)
	if err != nil {
		return outPaths{}, fmt.Errorf("output directory %s: %w", outDir, err)
	}
	p := outPaths{cert: filepath.Join(abs, name+".pem")}
	if withKey {
		p.key = filepath.Join(abs, name+"-key.pem")
	}
	if withP12 {
		p.p12 = filepath.Join(abs, name+".p12")
	}
	if !force {
		for _, f := range []string{p.cert, p.key, p.p12} {
			if f == "" {
				continue
			}
			if err := fsutil.CheckNotExist(f); err != nil {
				return outPaths{}, err
			}
		}
	}
	return p, nil
}

// IssueBroker issues, writes and records a broker certificate.
func (ca *CA) IssueBroker(req BrokerRequest) (*Issued, error) {
	if err := checkName(req.Name); err != nil {
		return nil, err
	}
	if len(req.Hosts) == 0 {
		return nil, errors.New("a broker certificate needs at least one host (DNS name or IP address)")
	}
	var hosts []string
	seen := map[string]bool{}
	for _, h := range req.Hosts {
		h = strings.TrimSpace(h)
		if err := CheckHost(h); err != nil {
			return nil, err
		}
		if !seen[strings.ToLower(h)] {
			seen[strings.ToLower(h)] = true
			hosts = append(hosts, h)
		}
	}
	spec := leafSpec{
		kind: KindBroker, subject: pkix.Name{CommonName: req.Name}, hosts: hosts,
		expiry: req.Expiry, keyAlgo: req.KeyAlgo, keySize: req.KeySize,
	}
	if req.CSR != nil {
		der, err := decodeCSR(req.CSR)
		if err != nil {
			return nil, err
		}
		spec.csr = der
		if spec.rawSubject, err = asn1.Marshal(spec.subject.ToRDNSequence()); err != nil {
			return nil, fmt.Errorf("encode subject: %w", err)
		}
	}
	return ca.issue(spec, req.Name, req.OutDir, req.Force, "", req.PKCS12Password)
}

// IssueClient issues, writes and records a client certificate.
func (ca *CA) IssueClient(req ClientRequest) (*Issued, error) {
	if err := checkName(req.Name); err != nil {
		return nil, err
	}
	if _, err := ParseMappingRules(req.MappingRules); err != nil {
		return nil, err
	}
	for _, ou := range req.OUs {
		if strings.TrimSpace(ou) == "" || len(ou) > 64 {
			return nil, fmt.Errorf("organizational unit %q must be 1 to 64 characters", ou)
		}
	}
	if len(req.Org) > 64 {
		return nil, fmt.Errorf("organization %q is longer than 64 characters", req.Org)
	}
	var raw []byte
	var err error
	if req.DN != "" {
		if len(req.OUs) > 0 || req.Org != "" {
			return nil, errors.New("give either a DN or organizational units and an organization, not both")
		}
		if raw, err = ParseDN(req.DN); err != nil {
			return nil, err
		}
	} else if raw, err = clientSubject(req.Name, req.OUs, req.Org); err != nil {
		// One RDN per attribute, printed by a broker as CN=NAME,OU=<first>,...,O=ORG.
		return nil, fmt.Errorf("encode subject: %w", err)
	}
	spec := leafSpec{
		kind: KindClient, rawSubject: raw,
		expiry: req.Expiry, keyAlgo: req.KeyAlgo, keySize: req.KeySize,
	}
	if req.CSR != nil {
		if spec.csr, err = decodeCSR(req.CSR); err != nil {
			return nil, err
		}
	}
	return ca.issue(spec, req.Name, req.OutDir, req.Force, req.MappingRules, req.PKCS12Password)
}

// issue signs, writes and records one certificate under the CA lock.
func (ca *CA) issue(spec leafSpec, name, outDir string, force bool, rules, p12Password string) (*Issued, error) {
	if spec.csr != nil && p12Password != "" {
		return nil, errors.New("a PKCS12 keystore needs the private key, which stays with the CSR's owner")
	}
	unlock, _, err := ca.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	// Checked under the lock, so two issuers of one name cannot both pass.
	paths, err := ca.outPaths(outDir, name, spec.csr == nil, p12Password != "", force)
	if err != nil {
		return nil, err
	}
	l, err := ca.newLeaf(spec)
	if err != nil {
		return nil, err
	}
	principal, err := PrincipalFromCert(l.cert, rules)
	if err != nil {
		return nil, err
	}
	rec := newRecord(spec.kind, name, l, paths, rules)
	if err := ca.prepareDirs(paths); err != nil {
		return nil, err
	}
	if rec.Seq, err = ca.nextSeq(); err != nil {
		return nil, err
	}
	if err := ca.saveLeaf(l, rec, paths, p12Password); err != nil {
		return nil, err
	}
	return rec.issued(l, principal), nil
}

func newRecord(kind, name string, l *leaf, paths outPaths, rules string) Record {
	cert := l.cert
	serial := serialHex(cert.SerialNumber)
	return Record{
		Serial: serial, Kind: kind, Name: name, Subject: RFC2253(cert.RawSubject),
		SANs: certSANs(cert), NotBefore: cert.NotBefore.UTC(), NotAfter: cert.NotAfter.UTC(), Validity: l.expiry.String(),
		CertPath: paths.cert, KeyPath: paths.key, PKCS12Path: paths.p12,
		Copy: filepath.ToSlash(filepath.Join(CertsDir, serial+".pem")), MappingRules: rules,
	}
}

// issued is what IssueBroker, IssueClient and Renew return for r, the
// record of l.
func (r Record) issued(l *leaf, principal string) *Issued {
	return &Issued{
		Name: r.Name, Kind: r.Kind, CertPath: r.CertPath, KeyPath: r.KeyPath, Cert: l.cert,
		Principal: principal, Serial: r.Serial, Subject: r.Subject, SANs: r.SANs, PKCS12Path: r.PKCS12Path, Clamped: l.clamped,
	}
}

// prepareDirs creates the output directory, DIR/certs and DIR/txn; the files
// themselves are written by saveLeaf, after everything that can fail on bad
// input has been checked.
func (ca *CA) prepareDirs(paths outPaths) error {
	if err := os.MkdirAll(filepath.Dir(paths.cert), 0o755); err != nil {
		return fmt.Errorf("create output directory: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(ca.dir, CertsDir), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Join(ca.dir, CertsDir), err)
	}
	return os.MkdirAll(filepath.Join(ca.dir, txnDir), 0o755)
}
