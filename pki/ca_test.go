package pki

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	pkcs12 "software.sslmate.com/src/go-pkcs12"

	"github.com/kafkaguard/kafkaguard/internal/testutil"
)

func newTestCA(t *testing.T, opts InitOptions) (*CA, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ca")
	ca, err := Init(dir, opts)
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	return ca, dir
}

func fileMode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// snapshot returns every file under dir with its content, to check that a
// failed command wrote nothing.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() != lockFile {
			b, _ := os.ReadFile(p)
			out[p] = string(b)
		}
		return nil
	})
	return out
}

func TestInitCreatesCAWithSecretKey(t *testing.T) {
	cases := []struct {
		opts    InitOptions
		keyType string
		bits    int
	}{
		{InitOptions{}, "ecdsa", 256},
		{InitOptions{KeyAlgo: "ecdsa", KeySize: 384, CN: "Acme Kafka CA", Expiry: 48 * time.Hour}, "ecdsa", 384},
		{InitOptions{KeyAlgo: "rsa", KeySize: 2048}, "rsa", 2048},
	}
	for _, c := range cases {
		t.Run(c.keyType, func(t *testing.T) {
			ca, dir := newTestCA(t, c.opts)
			if m := fileMode(t, filepath.Join(dir, CAKeyFile)); m != 0o600 {
				t.Errorf("ca-key.pem mode %v, want 0600", m)
			}
			cert := ca.Certificate()
			if !cert.IsCA || !cert.MaxPathLenZero || cert.MaxPathLen != 0 {
				t.Errorf("IsCA %v MaxPathLen %d zero %v: want a CA for leaf certificates only", cert.IsCA, cert.MaxPathLen, cert.MaxPathLenZero)
			}
			if cert.KeyUsage != x509.KeyUsageCertSign|x509.KeyUsageCRLSign {
				t.Errorf("key usage %v, want cert sign + crl sign", cert.KeyUsage)
			}
			want := c.opts.CN
			if want == "" {
				want = "kafkaguard CA"
			}
			if cert.Subject.CommonName != want {
				t.Errorf("CN %q, want %q", cert.Subject.CommonName, want)
			}
			switch k := cert.PublicKey.(type) {
			case *ecdsa.PublicKey:
				if c.keyType != "ecdsa" || k.Curve.Params().BitSize != c.bits {
					t.Errorf("ecdsa %d, want %s %d", k.Curve.Params().BitSize, c.keyType, c.bits)
				}
			case *rsa.PublicKey:
				if c.keyType != "rsa" || k.N.BitLen() != c.bits {
					t.Errorf("rsa %d, want %s %d", k.N.BitLen(), c.keyType, c.bits)
				}
			}
			expiry := c.opts.Expiry
			if expiry == 0 {
				expiry = DefaultCAExpiry
			}
			if d := cert.NotAfter.Sub(time.Now().Add(expiry)); d > time.Minute || d < -10*time.Minute {
				t.Errorf("NotAfter %s is not about now + %s", cert.NotAfter, expiry)
			}
			keyPEM, _ := os.ReadFile(filepath.Join(dir, CAKeyFile))
			if b, _ := pem.Decode(keyPEM); b == nil || b.Type != "PRIVATE KEY" {
				t.Errorf("ca-key.pem is not a PKCS#8 PEM key")
			}
			if _, err := Open(dir); err != nil {
				t.Errorf("Open: %v", err)
			}
		})
	}
}

func TestInitRefusesToReplaceACAWithoutForce(t *testing.T) {
	ca, dir := newTestCA(t, InitOptions{})
	before := snapshot(t, dir)
	_, err := Init(dir, InitOptions{})
	if !errors.Is(err, ErrExists) {
		t.Fatalf("second Init: %v, want ErrExists", err)
	}
	if after := snapshot(t, dir); !mapsEqual(before, after) {
		t.Error("a refused Init changed files")
	}
	ca2, err := Init(dir, InitOptions{Force: true})
	if err != nil {
		t.Fatalf("Init --force: %v", err)
	}
	if ca2.Certificate().SerialNumber.Cmp(ca.Certificate().SerialNumber) == 0 {
		t.Error("Init --force kept the old CA")
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestInitRejectsBadOptions(t *testing.T) {
	for _, opts := range []InitOptions{
		{KeyAlgo: "dsa"},
		{KeyAlgo: "ecdsa", KeySize: 300},
		{KeyAlgo: "rsa", KeySize: 1024},
		{Expiry: time.Minute},
	} {
		dir := filepath.Join(t.TempDir(), "ca")
		if _, err := Init(dir, opts); err == nil {
			t.Errorf("Init(%+v) succeeded, want an error", opts)
		}
		if _, err := os.Stat(filepath.Join(dir, CAKeyFile)); err == nil {
			t.Errorf("Init(%+v) failed but wrote a key", opts)
		}
	}
}

func TestOpenNamesTheMissingOrCorruptFile(t *testing.T) {
	_, other := newTestCA(t, InitOptions{})
	otherKey, _ := os.ReadFile(filepath.Join(other, CAKeyFile))
	cases := []struct {
		name    string
		prepare func(dir string)
		want    string
	}{
		{"no ca", func(dir string) { os.RemoveAll(dir) }, "ca.pem does not exist"},
		{"no key", func(dir string) { os.Remove(filepath.Join(dir, CAKeyFile)) }, "ca-key.pem does not exist"},
		{"cert not PEM", func(dir string) { os.WriteFile(filepath.Join(dir, CACertFile), []byte("garbage"), 0o644) }, "ca.pem: not a PEM file"},
		{"cert is a key", func(dir string) { os.WriteFile(filepath.Join(dir, CACertFile), otherKey, 0o644) }, `PEM block is "PRIVATE KEY", not a CERTIFICATE`},
		{"cert corrupt DER", func(dir string) {
			os.WriteFile(filepath.Join(dir, CACertFile), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1, 2, 3}}), 0o644)
		}, "ca.pem: parse certificate"},
		{"key corrupt", func(dir string) {
			os.WriteFile(filepath.Join(dir, CAKeyFile), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}}), 0o600)
		}, "ca-key.pem: corrupt private key"},
		{"key of another ca", func(dir string) { os.WriteFile(filepath.Join(dir, CAKeyFile), otherKey, 0o600) }, "does not belong to certificate"},
		{"index corrupt", func(dir string) { os.WriteFile(filepath.Join(dir, IndexFile), []byte("{"), 0o644) }, "index.json: corrupt"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, dir := newTestCA(t, InitOptions{})
			c.prepare(dir)
			_, err := Open(dir)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Open: %v, want an error containing %q", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func TestOpenAcceptsACAWithoutIndex(t *testing.T) {
	ca, dir := newTestCA(t, InitOptions{})
	os.Remove(filepath.Join(dir, IndexFile))
	ca, err := Open(dir)
	if err != nil {
		t.Fatalf("Open without index.json: %v", err)
	}
	if _, err := ca.IssueClient(ClientRequest{Name: "a"}); err != nil {
		t.Fatalf("IssueClient: %v", err)
	}
	if list, err := ca.List(time.Now(), 0); err != nil || len(list) != 1 {
		t.Fatalf("List = %d certs, %v; want 1", len(list), err)
	}
}

func TestIssuedCertificatesHaveUsagesForTheirKind(t *testing.T) {
	ca, _ := newTestCA(t, InitOptions{})
	broker, err := ca.IssueBroker(BrokerRequest{Name: "broker-1", Hosts: []string{"kafka-1.example.com", "10.0.0.11", "::1", "*.kafka.example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	brokerRSA, err := ca.IssueBroker(BrokerRequest{Name: "broker-rsa", Hosts: []string{"localhost"}, KeyAlgo: "rsa"})
	if err != nil {
		t.Fatal(err)
	}
	client, err := ca.IssueClient(ClientRequest{Name: "alice", OUs: []string{"eng"}, Org: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		is   *Issued
		ku   x509.KeyUsage
		eku  []x509.ExtKeyUsage
	}{
		{"broker ecdsa", broker, x509.KeyUsageDigitalSignature, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}},
		{"broker rsa", brokerRSA, x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}},
		{"client", client, x509.KeyUsageDigitalSignature, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
	}
	for _, c := range cases {
		cert := c.is.Cert
		if cert.KeyUsage != c.ku {
			t.Errorf("%s: key usage %v, want %v", c.name, cert.KeyUsage, c.ku)
		}
		if !slices.Equal(cert.ExtKeyUsage, c.eku) {
			t.Errorf("%s: extended key usage %v, want %v", c.name, cert.ExtKeyUsage, c.eku)
		}
		if cert.IsCA || !cert.BasicConstraintsValid {
			t.Errorf("%s: want basic constraints CA:FALSE", c.name)
		}
		if cert.SerialNumber.BitLen() < 64 {
			t.Errorf("%s: serial %x has fewer than 64 bits", c.name, cert.SerialNumber)
		}
		if !bytes.Equal(cert.AuthorityKeyId, ca.Certificate().SubjectKeyId) {
			t.Errorf("%s: authority key id does not name the CA", c.name)
		}
		if err := cert.CheckSignatureFrom(ca.Certificate()); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if !slices.Equal(broker.Cert.DNSNames, []string{"kafka-1.example.com", "*.kafka.example.com"}) {
		t.Errorf("broker DNS SANs %v", broker.Cert.DNSNames)
	}
	if len(broker.Cert.IPAddresses) != 2 || !broker.Cert.IPAddresses[0].Equal(net.ParseIP("10.0.0.11")) || !broker.Cert.IPAddresses[1].Equal(net.IPv6loopback) {
		t.Errorf("broker IP SANs %v", broker.Cert.IPAddresses)
	}
	if len(client.Cert.DNSNames)+len(client.Cert.IPAddresses)+len(client.Cert.EmailAddresses)+len(client.Cert.URIs) != 0 {
		t.Errorf("client certificate has SANs")
	}
	if client.Principal != "User:CN=alice,OU=eng,O=Acme" || broker.Principal != "User:CN=broker-1" {
		t.Errorf("principals %q, %q", client.Principal, broker.Principal)
	}
}

func TestSerialsAreUnique(t *testing.T) {
	ca, _ := newTestCA(t, InitOptions{})
	seen := map[string]bool{}
	for i := 0; i < 20; i++ {
		l, err := ca.newLeaf(leafSpec{kind: KindClient, rawSubject: mustClientSubject(t, "x")})
		if err != nil {
			t.Fatal(err)
		}
		s := serialHex(l.cert.SerialNumber)
		if seen[s] {
			t.Fatalf("serial %s issued twice", s)
		}
		seen[s] = true
	}
}

func mustClientSubject(t testing.TB, name string, ous ...string) []byte {
	raw, err := clientSubject(name, ous, "")
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestIssueWritesChainKeyCopyAndIndex(t *testing.T) {
	ca, dir := newTestCA(t, InitOptions{})
	out := filepath.Join(t.TempDir(), "out")
	is, err := ca.IssueClient(ClientRequest{Name: "svc", OutDir: out, PKCS12Password: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	if is.CertPath != filepath.Join(out, "svc.pem") || is.KeyPath != filepath.Join(out, "svc-key.pem") || is.PKCS12Path != filepath.Join(out, "svc.p12") {
		t.Fatalf("paths %s %s %s", is.CertPath, is.KeyPath, is.PKCS12Path)
	}
	for _, p := range []string{is.KeyPath, is.PKCS12Path} {
		if m := fileMode(t, p); m != 0o600 {
			t.Errorf("%s mode %v, want 0600", p, m)
		}
	}
	chain, _ := os.ReadFile(is.CertPath)
	var blocks []*pem.Block
	for rest := chain; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		blocks = append(blocks, b)
	}
	if len(blocks) != 2 || !bytes.Equal(blocks[0].Bytes, is.Cert.Raw) || !bytes.Equal(blocks[1].Bytes, ca.Certificate().Raw) {
		t.Errorf("svc.pem holds %d blocks, want leaf then CA", len(blocks))
	}
	keyPEM, _ := os.ReadFile(is.KeyPath)
	key, err := parseKeyPEM(keyPEM)
	if err != nil || !publicKeysEqual(key.Public(), is.Cert.PublicKey) {
		t.Errorf("svc-key.pem does not hold the certificate's key: %v", err)
	}
	if b, _ := pem.Decode(keyPEM); b.Type != "PRIVATE KEY" {
		t.Errorf("key PEM type %q, want PKCS#8 PRIVATE KEY", b.Type)
	}
	p12, _ := os.ReadFile(is.PKCS12Path)
	k12, c12, cas, err := pkcs12.DecodeChain(p12, "s3cret")
	if err != nil || !bytes.Equal(c12.Raw, is.Cert.Raw) || len(cas) != 1 || !publicKeysEqual(k12.(*ecdsa.PrivateKey).Public(), is.Cert.PublicKey) {
		t.Errorf("svc.p12: %v", err)
	}
	if _, _, _, err := pkcs12.DecodeChain(p12, "wrong"); err == nil {
		t.Error("svc.p12 opens with a wrong password")
	}
	// certs/SERIAL.pem is the record (a JSON line) and the certificate,
	// which openssl and ReadCertificate read past the line.
	copyPEM, err := os.ReadFile(filepath.Join(dir, CertsDir, is.Serial+".pem"))
	line, certPEM, _ := bytes.Cut(copyPEM, []byte("\n"))
	if err != nil || !bytes.Equal(certPEM, blocks0(chain)) || !bytes.Contains(line, []byte(`"serial":"`+is.Serial+`"`)) {
		t.Errorf("record file in certs/: %v\n%s", err, copyPEM)
	}
	if c, err := ReadCertificate(filepath.Join(dir, CertsDir, is.Serial+".pem")); err != nil || !c.Equal(is.Cert) {
		t.Errorf("ReadCertificate(record file) = %v", err)
	}
	idx, err := loadIndex(dir)
	if err != nil || len(idx.Certs) != 1 {
		t.Fatalf("index: %v", err)
	}
	r := idx.Certs[0]
	if r.Serial != is.Serial || r.Kind != KindClient || r.Name != "svc" || r.Subject != "CN=svc" || r.CertPath != is.CertPath || r.KeyPath != is.KeyPath {
		t.Errorf("index record %+v", r)
	}
}

func blocks0(chain []byte) []byte {
	b, _ := pem.Decode(chain)
	return pem.EncodeToMemory(b)
}

func TestIssueRefusesToOverwriteWithoutForce(t *testing.T) {
	ca, dir := newTestCA(t, InitOptions{})
	first, err := ca.IssueBroker(BrokerRequest{Name: "b", Hosts: []string{"localhost"}})
	if err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, dir)
	if _, err := ca.IssueBroker(BrokerRequest{Name: "b", Hosts: []string{"localhost"}}); !errors.Is(err, ErrExists) {
		t.Fatalf("second issue: %v, want ErrExists", err)
	}
	if !mapsEqual(before, snapshot(t, dir)) {
		t.Error("a refused issue changed files")
	}
	second, err := ca.IssueBroker(BrokerRequest{Name: "b", Hosts: []string{"localhost"}, Force: true})
	if err != nil {
		t.Fatalf("issue --force: %v", err)
	}
	list, _ := ca.List(time.Now(), 0)
	if len(list) != 2 || list[0].SupersededBy != second.Serial || list[0].Serial != first.Serial {
		t.Errorf("the replaced certificate is not marked superseded: %+v", list)
	}
}

func TestBadIssueRequestsWriteNothing(t *testing.T) {
	cases := []struct {
		name string
		do   func(ca *CA) error
		want string
	}{
		{"host neither DNS name nor IP", func(ca *CA) error {
			_, err := ca.IssueBroker(BrokerRequest{Name: "b", Hosts: []string{"localhost", "bad host!"}})
			return err
		}, `host "bad host!" is neither a DNS name nor an IP address`},
		{"no hosts", func(ca *CA) error { _, err := ca.IssueBroker(BrokerRequest{Name: "b"}); return err }, "at least one host"},
		{"name with a path", func(ca *CA) error { _, err := ca.IssueClient(ClientRequest{Name: "../x"}); return err }, "is not valid"},
		{"empty OU", func(ca *CA) error { _, err := ca.IssueClient(ClientRequest{Name: "x", OUs: []string{" "}}); return err }, "organizational unit"},
		{"malformed mapping rule", func(ca *CA) error {
			_, err := ca.IssueClient(ClientRequest{Name: "x", MappingRules: "RULE:^CN=(.*$/$1/"})
			return err
		}, "invalid mapping rule"},
		{"no rule maps the DN", func(ca *CA) error {
			_, err := ca.IssueClient(ClientRequest{Name: "x", MappingRules: "RULE:^CN=(.*),OU=.*$/$1/"})
			return err
		}, "no ssl.principal.mapping.rules rule matches"},
		{"bad key algo", func(ca *CA) error { _, err := ca.IssueClient(ClientRequest{Name: "x", KeyAlgo: "dsa"}); return err }, "unknown key algorithm"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ca, dir := newTestCA(t, InitOptions{})
			before := snapshot(t, dir)
			err := c.do(ca)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
			if !mapsEqual(before, snapshot(t, dir)) {
				t.Error("a refused request changed files")
			}
		})
	}
}

func TestExpiryIsClampedToTheCA(t *testing.T) {
	ca, _ := newTestCA(t, InitOptions{Expiry: 48 * time.Hour})
	is, err := ca.IssueClient(ClientRequest{Name: "x", Expiry: 365 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if !is.Clamped || !is.Cert.NotAfter.Equal(ca.Certificate().NotAfter) {
		t.Errorf("NotAfter %s clamped %v, want the CA's %s", is.Cert.NotAfter, is.Clamped, ca.Certificate().NotAfter)
	}
	short, err := ca.IssueClient(ClientRequest{Name: "y", Expiry: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if short.Clamped || short.Cert.NotAfter.After(time.Now().Add(time.Hour)) {
		t.Errorf("a short expiry was changed: %s", short.Cert.NotAfter)
	}
	if short.Cert.NotBefore.Before(ca.Certificate().NotBefore) {
		t.Errorf("NotBefore %s is before the CA's %s", short.Cert.NotBefore, ca.Certificate().NotBefore)
	}
}

func TestIssueRefusesWhenTheCAHasExpired(t *testing.T) {
	ca, _ := newTestCA(t, InitOptions{Expiry: 2 * time.Hour})
	defer func(f func() time.Time) { now = f }(now)
	now = func() time.Time { return time.Now().Add(3 * time.Hour) }
	if _, err := ca.IssueClient(ClientRequest{Name: "x"}); err == nil || !strings.Contains(err.Error(), "ca certificate expired") {
		t.Fatalf("got %v, want a CA-expired error", err)
	}
}

func TestOpenSSLVerifiesEveryIssuedCertificate(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not on PATH")
	}
	for _, algo := range []string{"ecdsa", "rsa"} {
		t.Run(algo+" CA", func(t *testing.T) {
			ca, _ := newTestCA(t, InitOptions{KeyAlgo: algo, KeySize: map[string]int{"ecdsa": 256, "rsa": 2048}[algo]})
			var issued []*Issued
			for _, keyAlgo := range []string{"ecdsa", "rsa"} {
				b, err := ca.IssueBroker(BrokerRequest{Name: "broker-" + keyAlgo, Hosts: []string{"localhost", "127.0.0.1"}, KeyAlgo: keyAlgo})
				if err != nil {
					t.Fatal(err)
				}
				c, err := ca.IssueClient(ClientRequest{Name: "client-" + keyAlgo, OUs: []string{"a", "b"}, Org: "Acme", KeyAlgo: keyAlgo})
				if err != nil {
					t.Fatal(err)
				}
				issued = append(issued, b, c)
			}
			for _, is := range issued {
				purpose := "sslclient"
				if is.Kind == KindBroker {
					purpose = "sslserver"
				}
				out, err := exec.Command(openssl, "verify", "-purpose", purpose, "-CAfile", ca.CertPath(), is.CertPath).CombinedOutput()
				if err != nil || !strings.Contains(string(out), ": OK") {
					t.Errorf("openssl verify -purpose %s %s: %v\n%s", purpose, is.Name, err, out)
				}
			}
		})
	}
}

// A renewal reuses the expiry the certificate was issued with, not its
// NotAfter-NotBefore (which holds the 5-minute backdate): renewing again and
// again keeps the span instead of adding the backdate each time.
func TestRepeatedRenewalsKeepTheRequestedValidity(t *testing.T) {
	ca, _ := newTestCA(t, InitOptions{})
	if _, err := ca.IssueClient(ClientRequest{Name: "short", Expiry: time.Minute}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		before := time.Now().Truncate(time.Second)
		res, err := ca.Renew(context.Background(), RenewRequest{Name: "short"})
		if err != nil || len(res.Renewed) != 1 {
			t.Fatalf("renewal %d: %v", i, err)
		}
		c := res.Renewed[0].Cert
		if left := c.NotAfter.Sub(before); left < time.Minute-time.Second || left > time.Minute+2*time.Second {
			t.Errorf("renewal %d: valid %s from now (span %s), want the requested 1m", i, left, c.NotAfter.Sub(c.NotBefore))
		}
	}
	// A record written before the index kept the validity: its span less
	// the backdate.
	r := Record{NotBefore: time.Unix(0, 0), NotAfter: time.Unix(0, 0).Add(240*time.Hour + backdate)}
	if d := r.validity(); d != 240*time.Hour {
		t.Errorf("validity of an old record = %s, want 240h", d)
	}
	r = Record{NotBefore: time.Unix(0, 0), NotAfter: time.Unix(0, 0).Add(75 * time.Second)}
	if d := r.validity(); d != time.Minute {
		t.Errorf("validity of an old clamped record = %s, want 1m", d)
	}
}

func TestRenewKeepsSubjectSANsAndFiles(t *testing.T) {
	ca, _ := newTestCA(t, InitOptions{})
	b, err := ca.IssueBroker(BrokerRequest{Name: "b", Hosts: []string{"kafka.example.com", "10.1.2.3"}, Expiry: 240 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	c, err := ca.IssueClient(ClientRequest{Name: "c", OUs: []string{"eng", "data"}, Org: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := ca.Renew(context.Background(), RenewRequest{Name: "b"})
	if err != nil || len(res.Renewed) != 1 {
		t.Fatalf("Renew b: %v", err)
	}
	nb := res.Renewed[0]
	if !bytes.Equal(nb.Cert.RawSubject, b.Cert.RawSubject) || !slices.Equal(certSANs(nb.Cert), certSANs(b.Cert)) {
		t.Errorf("renewal changed subject or SANs: %s %v", nb.Subject, certSANs(nb.Cert))
	}
	if publicKeysEqual(nb.Cert.PublicKey, b.Cert.PublicKey) {
		t.Error("renewal without ReuseKey kept the key")
	}
	if nb.CertPath != b.CertPath || nb.KeyPath != b.KeyPath || nb.Serial == b.Serial {
		t.Errorf("renewal wrote %s %s serial %s", nb.CertPath, nb.KeyPath, nb.Serial)
	}
	if d := nb.Cert.NotAfter.Sub(nb.Cert.NotBefore); d < 240*time.Hour || d > 241*time.Hour {
		t.Errorf("renewal validity %s, want the old one (240h + backdate)", d)
	}
	// A two-OU subject must survive renewal byte for byte: cfssl alone would
	// merge the OUs into one multi-valued RDN and change the principal.
	res, err = ca.Renew(context.Background(), RenewRequest{Name: "c", ReuseKey: true})
	if err != nil {
		t.Fatalf("Renew c: %v", err)
	}
	rc := res.Renewed
	if !bytes.Equal(rc[0].Cert.RawSubject, c.Cert.RawSubject) || rc[0].Principal != "User:CN=c,OU=eng,OU=data,O=Acme" {
		t.Errorf("renewed subject %s principal %s", rc[0].Subject, rc[0].Principal)
	}
	if !publicKeysEqual(rc[0].Cert.PublicKey, c.Cert.PublicKey) {
		t.Error("ReuseKey changed the key")
	}
	list, _ := ca.List(time.Now(), 0)
	if len(list) != 4 || list[0].SupersededBy != nb.Serial || list[2].Renews != b.Serial {
		t.Errorf("index does not link renewals: %+v", list)
	}
	if _, err := ca.Renew(context.Background(), RenewRequest{Name: "nope"}); err == nil {
		t.Error("renewing an unknown name succeeded")
	}
}

func TestRenewExpiringWithinSelectsOnlyThoseCertificates(t *testing.T) {
	ca, _ := newTestCA(t, InitOptions{})
	if _, err := ca.IssueClient(ClientRequest{Name: "soon", Expiry: 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	if _, err := ca.IssueClient(ClientRequest{Name: "later", Expiry: 90 * 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	res, err := ca.Renew(context.Background(), RenewRequest{ExpiringWithin: 7 * 24 * time.Hour, Expiry: 30 * 24 * time.Hour})
	if err != nil || len(res.Renewed) != 1 || res.Renewed[0].Name != "soon" {
		t.Fatalf("Renew = %v, %v; want only soon", res, err)
	}
	again, err := ca.Renew(context.Background(), RenewRequest{ExpiringWithin: 7 * 24 * time.Hour})
	if err != nil || len(again.Renewed) != 0 {
		t.Errorf("second renewal renewed %d certificates, want 0 (already renewed)", len(again.Renewed))
	}
}

func TestRenewChecksTheKeystorePassword(t *testing.T) {
	ca, dir := newTestCA(t, InitOptions{})
	if _, err := ca.IssueBroker(BrokerRequest{Name: "b", Hosts: []string{"localhost"}, PKCS12Password: "right"}); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, dir)
	for _, pw := range []string{"", "wrong"} {
		if _, err := ca.Renew(context.Background(), RenewRequest{Name: "b", PKCS12Password: pw}); err == nil {
			t.Errorf("Renew with password %q succeeded", pw)
		}
	}
	if !mapsEqual(before, snapshot(t, dir)) {
		t.Error("a refused renewal changed files")
	}
	if _, err := ca.Renew(context.Background(), RenewRequest{Name: "b", PKCS12Password: "right"}); err != nil {
		t.Errorf("Renew with the right password: %v", err)
	}
}

// A keystore replaced by a hostile one is refused before any key derivation
// (a MAC asking for 2^31-1 iterations) or, past 16 MiB, unread.
func TestRenewRefusesAHostileKeystore(t *testing.T) {
	ca, _ := newTestCA(t, InitOptions{})
	is, err := ca.IssueBroker(BrokerRequest{Name: "b", Hosts: []string{"localhost"}, PKCS12Password: "right"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		data []byte
		want string
	}{
		{testutil.PKCS12(t, testutil.PKCS12Counts{MAC: 1<<31 - 1, Contents: 2048}), "the MAC iteration count 2147483647 is over the limit of 5000000"},
		{make([]byte, 16<<20+1), "larger than 16 MiB, too large for a keystore"},
	} {
		if err := os.WriteFile(is.PKCS12Path, tc.data, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := ca.Renew(context.Background(), RenewRequest{Name: "b", PKCS12Password: "right"})
		if err == nil || !strings.Contains(err.Error(), is.PKCS12Path) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
}

func TestRevokeAndCRL(t *testing.T) {
	ca, dir := newTestCA(t, InitOptions{})
	a, _ := ca.IssueClient(ClientRequest{Name: "a"})
	b, _ := ca.IssueClient(ClientRequest{Name: "b"})
	if _, err := ca.IssueClient(ClientRequest{Name: "c"}); err != nil {
		t.Fatal(err)
	}
	colons := strings.ToLower(a.Serial[:2] + ":" + a.Serial[2:])
	if _, err := ca.Revoke(RevokeRequest{Serial: colons, Reason: "key-compromise"}); err != nil {
		t.Fatalf("revoke by serial: %v", err)
	}
	if _, err := ca.Revoke(RevokeRequest{Name: "b", Reason: "superseded"}); err != nil {
		t.Fatalf("revoke by name: %v", err)
	}
	before := snapshot(t, dir)
	for _, req := range []RevokeRequest{
		{Serial: "ABCDEF"},
		{Serial: a.Serial},
		{Serial: "xyz"},
		{Name: "nobody"},
		{Name: "b"},
		{Name: "c", Reason: "bored"},
		{},
	} {
		if _, err := ca.Revoke(req); err == nil {
			t.Errorf("Revoke(%+v) succeeded, want an error", req)
		}
	}
	if !mapsEqual(before, snapshot(t, dir)) {
		t.Error("refused revocations changed files")
	}
	crlPEM, n, err := ca.CRL(24 * time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("CRL says it lists %d serials, want 2", n)
	}
	block, _ := pem.Decode(crlPEM)
	if block == nil || block.Type != "X509 CRL" {
		t.Fatalf("CRL is not a PEM X509 CRL")
	}
	crl, err := x509.ParseRevocationList(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if err := crl.CheckSignatureFrom(ca.Certificate()); err != nil {
		t.Errorf("CRL signature: %v", err)
	}
	got := map[string]int{}
	for _, e := range crl.RevokedCertificateEntries {
		got[serialHex(e.SerialNumber)] = e.ReasonCode
	}
	if len(got) != 2 || got[a.Serial] != 1 || got[b.Serial] != 4 {
		t.Errorf("CRL entries %v, want %s (keyCompromise) and %s (superseded)", got, a.Serial, b.Serial)
	}
	if crl.Number.Int64() != 1 {
		t.Errorf("CRL number %v, want 1", crl.Number)
	}
	crl2, _, _ := ca.CRL(0)
	b2, _ := pem.Decode(crl2)
	if l2, _ := x509.ParseRevocationList(b2.Bytes); l2.Number.Int64() != 2 {
		t.Errorf("second CRL number %v, want 2", l2.Number)
	}
	if openssl, err := exec.LookPath("openssl"); err == nil {
		path := filepath.Join(t.TempDir(), "crl.pem")
		os.WriteFile(path, crlPEM, 0o644)
		out, err := exec.Command(openssl, "crl", "-in", path, "-CAfile", ca.CertPath(), "-noout", "-text").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "verify OK") || !strings.Contains(string(out), a.Serial) {
			t.Errorf("openssl crl: %v\n%s", err, out)
		}
		// A revoked certificate fails verification against the CRL.
		out, err = exec.Command(openssl, "verify", "-crl_check", "-CAfile", ca.CertPath(), "-CRLfile", path, a.CertPath).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "revoked") {
			t.Errorf("openssl verify -crl_check of a revoked certificate: %v\n%s", err, out)
		}
	}
}

func TestListReportsStatusAndPrincipal(t *testing.T) {
	ca, _ := newTestCA(t, InitOptions{})
	ca.IssueClient(ClientRequest{Name: "valid", Expiry: 90 * 24 * time.Hour, MappingRules: "RULE:^CN=([^,]+)$/$1/,DEFAULT"})
	ca.IssueClient(ClientRequest{Name: "expiring", Expiry: 10 * 24 * time.Hour})
	ca.IssueClient(ClientRequest{Name: "expired", Expiry: time.Hour})
	ca.IssueBroker(BrokerRequest{Name: "revoked", Hosts: []string{"h"}})
	if _, err := ca.Revoke(RevokeRequest{Name: "revoked"}); err != nil {
		t.Fatal(err)
	}
	list, err := ca.List(time.Now().Add(2*time.Hour), 30*24*time.Hour)
	if err != nil || len(list) != 4 {
		t.Fatalf("List: %d, %v", len(list), err)
	}
	want := map[string][2]string{
		"valid":    {StatusValid, "User:valid"},
		"expiring": {StatusExpiring, "User:CN=expiring"},
		"expired":  {StatusExpired, "User:CN=expired"},
		"revoked":  {StatusRevoked, "User:CN=revoked"},
	}
	for _, ci := range list {
		if w := want[ci.Name]; ci.Status != w[0] || ci.Principal != w[1] {
			t.Errorf("%s: status %s principal %s, want %v", ci.Name, ci.Status, ci.Principal, w)
		}
		if ci.Cert == nil || serialHex(ci.Cert.SerialNumber) != ci.Serial {
			t.Errorf("%s: certificate missing", ci.Name)
		}
	}
	revoked, err := ca.Revoked()
	if err != nil || len(revoked) != 1 || revoked[0].Name != "revoked" {
		t.Errorf("Revoked = %+v, %v", revoked, err)
	}
}

func TestCheckHost(t *testing.T) {
	good := []string{"localhost", "kafka-1.example.com", "*.example.com", "10.0.0.1", "::1", "fe80::1", "a1", "xn--bcher-kva.example"}
	bad := []string{"", "bad host", "-lead.example.com", "trail-.example.com", "a..b", "*", "a.*.b", "under_score.example", "ex!.com", strings.Repeat("a", 64) + ".com", "http://x"}
	for _, h := range good {
		if err := CheckHost(h); err != nil {
			t.Errorf("CheckHost(%q): %v", h, err)
		}
	}
	for _, h := range bad {
		if err := CheckHost(h); err == nil {
			t.Errorf("CheckHost(%q) accepted", h)
		}
	}
}

func TestNormalizeSerial(t *testing.T) {
	cases := map[string]string{"0a:Bc": "0ABC", "0xABC": "0ABC", "abc": "0ABC", " 1F ": "1F"}
	for in, want := range cases {
		if got, err := NormalizeSerial(in); err != nil || got != want {
			t.Errorf("NormalizeSerial(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "xyz", "0", "-1"} {
		if _, err := NormalizeSerial(in); err == nil {
			t.Errorf("NormalizeSerial(%q) accepted", in)
		}
	}
}

// The direct path (keys generated here) and cfssl's CSR path must produce
// the same certificate contents.
func TestDirectSigningMatchesCFSSLLocalSigner(t *testing.T) {
	ca, _ := newTestCA(t, InitOptions{})
	specs := []leafSpec{
		{kind: KindBroker, subject: pkix.Name{CommonName: "b"}, hosts: []string{"kafka.example.com", "10.0.0.1"}, expiry: time.Hour},
		{kind: KindClient, rawSubject: mustClientSubject(t, "c", "eng"), expiry: time.Hour},
		{kind: KindClient, rawSubject: mustClientSubject(t, "c", "eng", "data"), expiry: time.Hour}, // exact-subject path
		{kind: KindBroker, subject: pkix.Name{CommonName: "r"}, hosts: []string{"h"}, keyAlgo: "rsa", expiry: time.Hour},
	}
	for _, spec := range specs {
		direct, err := ca.newLeaf(spec)
		if err != nil {
			t.Fatal(err)
		}
		spec.viaCSR = true
		viaCSR, err := ca.newLeaf(spec)
		if err != nil {
			t.Fatal(err)
		}
		d, c := direct.cert, viaCSR.cert
		if !bytes.Equal(d.RawSubject, c.RawSubject) || d.KeyUsage != c.KeyUsage || !slices.Equal(d.ExtKeyUsage, c.ExtKeyUsage) ||
			!slices.Equal(certSANs(d), certSANs(c)) || d.IsCA != c.IsCA || d.SignatureAlgorithm != c.SignatureAlgorithm ||
			len(d.Extensions) != len(c.Extensions) || d.SerialNumber.BitLen() < 64 || c.SerialNumber.BitLen() < 64 {
			t.Errorf("%s %s: direct and CSR certificates differ:\n%+v\n%+v", spec.kind, RFC2253(d.RawSubject), d, c)
		}
	}
}

// Two handles on one CA directory (as two kafkaguard processes) issuing at
// the same time lose no index entry: the index is updated under flock.
func TestConcurrentIssuersKeepEveryIndexEntry(t *testing.T) {
	_, dir := newTestCA(t, InitOptions{})
	const perHandle = 15
	errs := make(chan error, 2*perHandle)
	for h := 0; h < 2; h++ {
		ca, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		go func(h int) {
			for i := 0; i < perHandle; i++ {
				_, err := ca.IssueClient(ClientRequest{Name: "c" + string(rune('a'+h)) + strings.Repeat("x", i)})
				errs <- err
			}
		}(h)
	}
	for i := 0; i < 2*perHandle; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	idx, err := loadIndex(dir)
	if err != nil || len(idx.Certs) != 2*perHandle {
		t.Fatalf("index holds %d certificates, want %d (%v)", len(idx.Certs), 2*perHandle, err)
	}
}

func TestIssueFromCSRUsesOnlyItsKey(t *testing.T) {
	ca, dir := newTestCA(t, InitOptions{})
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	csrDER, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:  pkix.Name{CommonName: "someone-else"},
		DNSNames: []string{"evil.example.com"},
	}, key)
	if err != nil {
		t.Fatal(err)
	}
	csrPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csrDER})
	b, err := ca.IssueBroker(BrokerRequest{Name: "broker-9", Hosts: []string{"kafka-9.example.com"}, CSR: csrPEM})
	if err != nil {
		t.Fatal(err)
	}
	if b.Subject != "CN=broker-9" || !slices.Equal(certSANs(b.Cert), []string{"kafka-9.example.com"}) || !publicKeysEqual(key.Public(), b.Cert.PublicKey) {
		t.Errorf("subject %s SANs %v: want the CA's subject and SANs with the request's key", b.Subject, certSANs(b.Cert))
	}
	if !slices.Equal(b.Cert.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}) {
		t.Errorf("extended key usage %v", b.Cert.ExtKeyUsage)
	}
	if b.KeyPath != "" {
		t.Errorf("a key file %s was written for a CSR", b.KeyPath)
	}
	if _, err := os.Stat(filepath.Join(dir, IssuedDir, "broker-9-key.pem")); err == nil {
		t.Error("broker-9-key.pem exists")
	}
	c, err := ca.IssueClient(ClientRequest{Name: "app", OUs: []string{"a", "b"}, CSR: csrPEM})
	if err != nil || c.Subject != "CN=app,OU=a,OU=b" || len(certSANs(c.Cert)) != 0 {
		t.Fatalf("client from CSR: %v %+v", err, c)
	}
	if _, err := ca.Renew(context.Background(), RenewRequest{Name: "broker-9"}); err == nil || !strings.Contains(err.Error(), "certificate request") {
		t.Errorf("renewing a CSR certificate by name: %v, want an error", err)
	}
	res, err := ca.Renew(context.Background(), RenewRequest{ExpiringWithin: 10 * 365 * 24 * time.Hour})
	if err != nil || len(res.Renewed) != 0 || len(res.Skipped) != 2 {
		t.Errorf("bulk renewal: %+v, %v; want both skipped", res, err)
	}
	for _, bad := range [][]byte{[]byte("nope"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: b.Cert.Raw})} {
		if _, err := ca.IssueClient(ClientRequest{Name: "bad", CSR: bad}); err == nil {
			t.Errorf("CSR %q accepted", bad[:4])
		}
	}
	tampered := append([]byte{}, csrDER...)
	tampered[len(tampered)-3] ^= 0xff
	if _, err := ca.IssueClient(ClientRequest{Name: "bad", CSR: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: tampered})}); err == nil {
		t.Error("a CSR with a bad signature was accepted")
	}
	if _, err := ca.IssueClient(ClientRequest{Name: "bad", CSR: csrPEM, PKCS12Password: "x"}); err == nil {
		t.Error("PKCS12 with a CSR accepted")
	}
}

func TestParseCertificatePEMFindsTheCertificateAfterAKey(t *testing.T) {
	ca, _ := newTestCA(t, InitOptions{})
	is, err := ca.IssueClient(ClientRequest{Name: "k"})
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, _ := os.ReadFile(is.KeyPath)
	chain, _ := os.ReadFile(is.CertPath)
	cert, err := ParseCertificatePEM(append(keyPEM, chain...)) // a Kafka PEM key store
	if err != nil || !bytes.Equal(cert.Raw, is.Cert.Raw) {
		t.Errorf("key + chain: %v", err)
	}
	if _, err := ParseCertificatePEM(keyPEM); err == nil || !strings.Contains(err.Error(), `"PRIVATE KEY", not a CERTIFICATE`) {
		t.Errorf("key only: %v", err)
	}
}

// A renewal stopped by Ctrl-C before it starts writes nothing and says so.
func TestRenewStopsWhenItsContextEnds(t *testing.T) {
	ca, _ := newTestCA(t, InitOptions{})
	if _, err := ca.IssueClient(ClientRequest{Name: "a"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := ca.Renew(ctx, RenewRequest{Name: "a"})
	if !errors.Is(err, context.Canceled) || res == nil || len(res.Renewed) != 0 {
		t.Fatalf("renew: %+v, %v", res, err)
	}
	certs, err := ca.List(time.Now(), 0)
	if err != nil || len(certs) != 1 {
		t.Fatalf("after a cancelled renewal: %d certificates, %v", len(certs), err)
	}
}
