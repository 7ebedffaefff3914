package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/cloudflare/cfssl/config"
	"github.com/cloudflare/cfssl/signer"
	"github.com/cloudflare/cfssl/signer/local"
)

// leafSpec is what the signer needs for one certificate.
type leafSpec struct {
	kind       string
	subject    pkix.Name
	rawSubject []byte // wins over subject (renewal keeps the exact DN)
	hosts      []string
	expiry     time.Duration
	key        crypto.Signer // nil: generate one
	csr        []byte        // DER of a request made elsewhere: sign it, no key here
	viaCSR     bool          // make a CSR for the generated key and sign that (benchmark only)
	keyAlgo    string
	keySize    int
}

type leaf struct {
	cert    *x509.Certificate
	certPEM []byte
	key     crypto.Signer
	clamped bool
	expiry  time.Duration // the requested validity (spec.expiry or the default)
}

// now is the clock; tests replace it.
var now = time.Now

// newLeaf generates a key (unless given), builds a CSR and has cfssl's local
// signer sign it. Nothing is written.
func (ca *CA) newLeaf(spec leafSpec) (*leaf, error) {
	if ca.signer == nil {
		return nil, errNoKey(ca.dir)
	}
	t := now()
	if !t.Before(ca.cert.NotAfter) {
		return nil, fmt.Errorf("the ca certificate expired on %s", ca.cert.NotAfter.UTC().Format(time.RFC3339))
	}
	if spec.expiry == 0 {
		spec.expiry = DefaultLeafExpiry
	}
	if spec.expiry < time.Minute {
		return nil, fmt.Errorf("expiry %s is too short (minimum 1m)", spec.expiry)
	}
	notBefore := t.Add(-backdate).Truncate(time.Second)
	if notBefore.Before(ca.cert.NotBefore) {
		notBefore = ca.cert.NotBefore
	}
	notAfter := t.Add(spec.expiry).Truncate(time.Second)
	clamped := false
	if notAfter.After(ca.cert.NotAfter) {
		notAfter, clamped = ca.cert.NotAfter, true
	}

	key := spec.key
	var pub crypto.PublicKey
	csrDER := spec.csr
	if csrDER != nil {
		csr, err := x509.ParseCertificateRequest(csrDER)
		if err != nil {
			return nil, fmt.Errorf("parse certificate request: %w", err)
		}
		if err := csr.CheckSignature(); err != nil {
			return nil, fmt.Errorf("certificate request signature: %w", err)
		}
		if err := checkPublicKey(csr.PublicKey); err != nil {
			return nil, err
		}
		pub = csr.PublicKey
	} else {
		if key == nil {
			kr, err := keyRequest(spec.keyAlgo, spec.keySize, false)
			if err != nil {
				return nil, err
			}
			k, err := kr.Generate()
			if err != nil {
				return nil, fmt.Errorf("generate key: %w", err)
			}
			key = k.(crypto.Signer)
		}
		pub = key.Public()
	}
	profile := spec.kind
	if _, ok := pub.(*rsa.PublicKey); ok {
		profile += "-rsa"
	}
	if csrDER == nil && spec.viaCSR {
		var err error
		csrDER, err = x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
			Subject: spec.subject, RawSubject: spec.rawSubject,
		}, key)
		if err != nil {
			return nil, fmt.Errorf("create certificate request: %w", err)
		}
	}
	var certPEM []byte
	var err error
	switch {
	case csrDER == nil:
		// A key generated here: no CSR round trip (see signDirect).
		certPEM, err = ca.signDirect(pub, spec, profile, notBefore, notAfter)
	case spec.csr != nil || spec.rawSubject != nil && !subjectSurvivesCFSSL(spec.rawSubject):
		// A request from outside: cfssl parses and verifies it and fills
		// the template, but the subject is the CA's, not the request's.
		certPEM, err = ca.signExactSubject(csrDER, profile, spec.rawSubject, spec.hosts, notBefore, notAfter)
	default:
		certPEM, err = ca.signer.Sign(signer.SignRequest{
			Request:   string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csrDER})),
			Hosts:     spec.hosts, // nil for clients: no SANs
			Profile:   profile,
			NotBefore: notBefore,
			NotAfter:  notAfter,
		})
	}
	if err != nil {
		return nil, fmt.Errorf("sign certificate: %w", err)
	}
	cert, err := ParseCertificatePEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("sign certificate: %w", err)
	}
	return &leaf{cert: cert, certPEM: certPEM, key: key, clamped: clamped, expiry: spec.expiry}, nil
}

// signDirect signs a key generated in this process. It uses cfssl's signing
// policy exactly as cfssl's local signer does (the same profile, with
// signer.FillTemplate for usages, validity, basic constraints and the subject
// key id, local.OverrideHosts for the SANs, 20 random bytes of serial) but
// skips the certificate request round trip: creating a CSR signs it with the
// new key and cfssl then parses it and verifies that signature, about 40% of
// the issuing time (BenchmarkIssueClientECDSA), and proves nothing when the
// key never left the process.
func (ca *CA) signDirect(pub crypto.PublicKey, spec leafSpec, profileName string, notBefore, notAfter time.Time) ([]byte, error) {
	profile := ca.signer.Policy().Profiles[profileName]
	tmpl := &x509.Certificate{
		Subject:            spec.subject,
		RawSubject:         spec.rawSubject,
		PublicKey:          pub,
		SignatureAlgorithm: ca.signer.SigAlgo(),
	}
	if spec.hosts != nil {
		local.OverrideHosts(tmpl, spec.hosts)
	}
	return ca.fillAndSign(tmpl, profile, notBefore, notAfter)
}

// fillAndSign completes tmpl as cfssl's local signer does (20 random bytes
// of serial; signer.FillTemplate for usages, validity, basic constraints and
// the subject key id from profile) and signs it: the certificate as PEM.
func (ca *CA) fillAndSign(tmpl *x509.Certificate, profile *config.SigningProfile, notBefore, notAfter time.Time) ([]byte, error) {
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = serial
	if err := signer.FillTemplate(tmpl, ca.signer.Policy().Default, profile, notBefore, notAfter); err != nil {
		return nil, err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, tmpl.PublicKey, ca.key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

// randomSerial is cfssl's: 20 random bytes, the top bit cleared (RFC 5280:
// positive, at most 20 octets), so 159 random bits.
func randomSerial() (*big.Int, error) {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("serial number: %w", err)
	}
	b[0] &= 0x7F
	return new(big.Int).SetBytes(b), nil
}

func certSANs(cert *x509.Certificate) []string {
	var out []string
	out = append(out, cert.DNSNames...)
	for _, ip := range cert.IPAddresses {
		out = append(out, ip.String())
	}
	out = append(out, cert.EmailAddresses...)
	for _, u := range cert.URIs {
		out = append(out, u.String())
	}
	return out
}

// subjectSurvivesCFSSL reports whether cfssl's signer, which rebuilds the
// subject through a pkix.Name, keeps the DN a broker sees. It does not for
// repeated attributes (Go puts all OUs into one multi-valued RDN, which
// changes the Kafka principal) or unusual attribute order.
func subjectSurvivesCFSSL(raw []byte) bool {
	var rdns pkix.RDNSequence
	if _, err := asn1.Unmarshal(raw, &rdns); err != nil {
		return false
	}
	var n pkix.Name
	n.FillFromRDNSequence(&rdns)
	for _, rdn := range rdns {
		for _, atv := range rdn {
			if !isCFSSLCommonAttr(atv.Type) {
				n.ExtraNames = append(n.ExtraNames, atv)
			}
		}
	}
	return RFC2253Name(n) == RFC2253(raw)
}

// isCFSSLCommonAttr mirrors cfssl signer.isCommonAttr.
func isCFSSLCommonAttr(t asn1.ObjectIdentifier) bool {
	return len(t) == 4 && t[0] == 2 && t[1] == 5 && t[2] == 4 && (t[3] == 3 || (t[3] >= 5 && t[3] <= 11) || t[3] == 17)
}

// signExactSubject signs like cfssl's local signer (cfssl parses and checks
// the CSR and fills in usages, validity and key identifiers from the same
// profile) but keeps the subject exactly as encoded.
func (ca *CA) signExactSubject(csrDER []byte, profileName string, rawSubject []byte, hosts []string, notBefore, notAfter time.Time) ([]byte, error) {
	profile := ca.signer.Policy().Profiles[profileName]
	tmpl, err := signer.ParseCertificateRequest(ca.signer, profile, csrDER)
	if err != nil {
		return nil, err
	}
	// Only the key comes from the request: no SANs or extensions it asks for.
	tmpl.DNSNames, tmpl.IPAddresses, tmpl.EmailAddresses, tmpl.URIs = nil, nil, nil, nil
	tmpl.ExtraExtensions = nil
	if hosts != nil {
		local.OverrideHosts(tmpl, hosts)
	}
	tmpl.RawSubject = rawSubject // signer.FillTemplate leaves the subject alone
	return ca.fillAndSign(tmpl, profile, notBefore, notAfter)
}

// clientSubject encodes CN=name,OU=ous[0],OU=ous[1],...,O=org (RFC 2253
// order), one RDN per attribute.
func clientSubject(name string, ous []string, org string) ([]byte, error) {
	var rdns pkix.RDNSequence
	add := func(oid asn1.ObjectIdentifier, v string) {
		rdns = append(rdns, pkix.RelativeDistinguishedNameSET{{Type: oid, Value: v}})
	}
	if org != "" {
		add(oidOrganization, org)
	}
	for i := len(ous) - 1; i >= 0; i-- {
		add(oidOrganizationalUnit, ous[i])
	}
	add(oidCommonName, name)
	return asn1.Marshal(rdns)
}

var (
	oidCommonName         = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidOrganization       = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidOrganizationalUnit = asn1.ObjectIdentifier{2, 5, 4, 11}
)

// decodeCSR returns the DER of a PEM certificate request.
func decodeCSR(data []byte) ([]byte, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("certificate request: not a PEM file")
	}
	if block.Type != "CERTIFICATE REQUEST" && block.Type != "NEW CERTIFICATE REQUEST" {
		return nil, fmt.Errorf("certificate request: PEM block is %q, not a CERTIFICATE REQUEST", block.Type)
	}
	return block.Bytes, nil
}

// checkPublicKey accepts the keys kafkaguard would generate itself.
func checkPublicKey(pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return fmt.Errorf("certificate request: rsa key of %d bits is too weak (minimum 2048)", k.N.BitLen())
		}
		return nil
	case *ecdsa.PublicKey:
		return nil
	}
	return fmt.Errorf("certificate request: %T keys are not supported (use ecdsa or rsa)", pub)
}
