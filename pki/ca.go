// Package pki is kafkaguard's certificate authority, built on cfssl: it
// creates a CA, issues broker and client certificates, renews and revokes
// them, writes CRLs, and computes the Kafka principal a broker derives from a
// certificate (RFC 2253 subject DN + ssl.principal.mapping.rules).
//
// A CA lives in one directory:
//
//	DIR/ca.pem         the CA certificate
//	DIR/ca-key.pem     the CA private key (0600)
//	DIR/certs/S.pem    one per issued certificate, by serial (hex): its record
//	                   (a JSON line), then the certificate
//	DIR/index.json     the compact index: records as of the last compaction,
//	                   revocations, renewal links, CRL number; a directory
//	                   without one (a CA made elsewhere) starts empty
//	DIR/txn/S.pem      an issue or renewal not yet committed (txn.go)
//	DIR/txn/last-seq-N the issue-order number of the last record (seq.go)
//	DIR/issued/        default output directory for NAME.pem and NAME-key.pem
//
// All files are written atomically; keys get mode 0600; nothing is
// overwritten without Force.
package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/cloudflare/cfssl/config"
	"github.com/cloudflare/cfssl/csr"
	"github.com/cloudflare/cfssl/initca"
	cflog "github.com/cloudflare/cfssl/log"
	"github.com/cloudflare/cfssl/signer"
	"github.com/cloudflare/cfssl/signer/local"

	"github.com/kafkaguard/kafkaguard/internal/fsutil"
)

func init() {
	// cfssl logs [INFO] lines to stderr by default; kafkaguard's stderr is
	// for the user.
	cflog.Level = cflog.LevelError
}

// File names inside a CA directory.
const (
	CACertFile   = "ca.pem"
	CAKeyFile    = "ca-key.pem"
	IndexFile    = "index.json"
	CertsDir     = "certs"
	IssuedDir    = "issued"
	lockFile     = ".lock"
	defaultCN    = "kafkaguard CA"
	certFilePerm = 0o644
)

// Defaults for InitOptions and issue requests.
const (
	DefaultCAExpiry   = 10 * 365 * 24 * time.Hour
	DefaultLeafExpiry = 365 * 24 * time.Hour
	// backdate is how far before "now" a new certificate becomes valid, to
	// tolerate clock skew between the CA and the brokers.
	backdate = 5 * time.Minute
)

// Kinds of issued certificates.
const (
	KindBroker = "broker"
	KindClient = "client"
)

// ErrExists is returned (wrapped) when a file would be overwritten without Force.
var ErrExists = fsutil.ErrExists

// InitOptions configures a new CA.
type InitOptions struct {
	CN      string        // subject common name; default "kafkaguard CA"
	KeyAlgo string        // "ecdsa" (default) or "rsa"
	KeySize int           // ecdsa: 256 (default), 384, 521; rsa: 2048, 3072 (default), 4096
	Expiry  time.Duration // default 10 years
	Force   bool          // replace an existing CA (and start a new, empty index)
}

// CA is an open certificate authority directory.
type CA struct {
	dir    string
	cert   *x509.Certificate
	key    crypto.Signer
	signer *local.Signer // built once: cfssl's per-sign cost is then only the signature

	mu sync.Mutex // serialises index updates within this process

	// seqMarker and lastSeq are DIR/txn's seq marker and the seq it
	// holds ("" and 0 when there is none), read by recover with the lock
	// held (seq.go).
	seqMarker string
	lastSeq   int64

	// crashAt, set only by tests, stops an issue or renewal after the named
	// transaction step ("intent", "key") as a kill would.
	crashAt string
}

// Init creates a new CA in dir: DIR/ca.pem, DIR/ca-key.pem (0600) and an empty
// DIR/index.json. It refuses to replace an existing CA unless opts.Force.
func Init(dir string, opts InitOptions) (*CA, error) {
	if err := fsutil.CheckDirNotWritableByOthers(dir, "ca dir"); err != nil {
		return nil, err
	}
	kr, err := keyRequest(opts.KeyAlgo, opts.KeySize, true)
	if err != nil {
		return nil, err
	}
	if opts.CN == "" {
		opts.CN = defaultCN
	}
	if opts.Expiry == 0 {
		opts.Expiry = DefaultCAExpiry
	}
	if opts.Expiry < time.Hour {
		return nil, fmt.Errorf("ca expiry %s is too short (minimum 1h)", opts.Expiry)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create ca directory: %w", err)
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if !opts.Force {
		for _, f := range []string{CACertFile, CAKeyFile, IndexFile} {
			if err := fsutil.CheckNotExist(filepath.Join(dir, f)); err != nil {
				return nil, fmt.Errorf("ca in %s: %w", dir, err)
			}
		}
	}
	req := &csr.CertificateRequest{
		CN:         opts.CN,
		KeyRequest: kr,
		CA: &csr.CAConfig{
			Expiry:      opts.Expiry.String(),
			PathLenZero: true, // leaf certificates only, no intermediates
		},
	}
	certPEM, _, keyPEM, err := initca.New(req)
	if err != nil {
		return nil, fmt.Errorf("create ca: %w", err)
	}
	key, err := parseKeyPEM(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("create ca: %w", err)
	}
	keyPEM, err = encodeKeyPEM(key) // PKCS#8, like every key kafkaguard writes
	if err != nil {
		return nil, fmt.Errorf("create ca: %w", err)
	}
	cert, err := ParseCertificatePEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("create ca: %w", err)
	}
	if err := fsutil.WriteFileAtomic(filepath.Join(dir, CAKeyFile), keyPEM, fsutil.SecretPerm); err != nil {
		return nil, err
	}
	if err := fsutil.WriteFileAtomic(filepath.Join(dir, CACertFile), certPEM, certFilePerm); err != nil {
		return nil, err
	}
	// A new CA starts a new, empty index: the record files, transactions
	// and sequence of the one it replaces go first, so that a kill cannot
	// leave them next to the new index.
	if err := removeRecords(dir); err != nil {
		return nil, err
	}
	idx := &index{Version: indexVersion, CASerial: serialHex(cert.SerialNumber)}
	if err := idx.save(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, txnDir), 0o755); err != nil {
		return nil, fmt.Errorf("create ca directory: %w", err)
	}
	if err := fsutil.SyncDir(dir); err != nil {
		return nil, err
	}
	return newCA(dir, cert, key)
}

// Open loads the CA in dir. Missing or corrupt files are reported by name.
func Open(dir string) (*CA, error) {
	cert, certPath, err := readCACert(dir)
	if err != nil {
		return nil, err
	}
	keyPath := filepath.Join(dir, CAKeyFile)
	keyPEM, err := fsutil.ReadFile(keyPath)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("ca key %s does not exist", keyPath)
		}
		return nil, fmt.Errorf("read ca key: %w", err)
	}
	key, err := parseKeyPEM(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("read ca key %s: %w", keyPath, err)
	}
	if !publicKeysEqual(key.Public(), cert.PublicKey) {
		return nil, fmt.Errorf("ca key %s does not belong to certificate %s", keyPath, certPath)
	}
	if _, err := readIndexHeader(dir); err != nil {
		return nil, err
	}
	return newCA(dir, cert, key)
}

// OpenReadOnly loads the CA in dir for reading its certificates (List,
// Revoked, CertPool): it needs ca.pem, index.json and certs/ only, not the
// private key, so the nightly audit host need not hold it. Anything that
// signs fails with an error saying the key is needed.
func OpenReadOnly(dir string) (*CA, error) {
	cert, _, err := readCACert(dir)
	if err != nil {
		return nil, err
	}
	if _, err := readIndexHeader(dir); err != nil {
		return nil, err
	}
	return &CA{dir: dir, cert: cert}, nil
}

// NoCAError is Open's (and OpenReadOnly's) error for a directory without a
// CA certificate; it matches fs.ErrNotExist.
type NoCAError struct {
	Dir, CertPath string
}

func (e *NoCAError) Error() string {
	return fmt.Sprintf("no ca in %s: %s does not exist", e.Dir, e.CertPath)
}
func (e *NoCAError) Unwrap() error { return fs.ErrNotExist }

// readCACert checks that no one else may write to dir and reads its CA
// certificate, which must be a CA's.
func readCACert(dir string) (cert *x509.Certificate, certPath string, err error) {
	if err := fsutil.CheckDirNotWritableByOthers(dir, "ca dir"); err != nil {
		return nil, "", err
	}
	certPath = filepath.Join(dir, CACertFile)
	certPEM, err := fsutil.ReadFile(certPath)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, "", &NoCAError{Dir: dir, CertPath: certPath}
		}
		return nil, "", fmt.Errorf("read ca certificate: %w", err)
	}
	cert, err = ParseCertificatePEM(certPEM)
	if err != nil {
		return nil, "", fmt.Errorf("read ca certificate %s: %w", certPath, err)
	}
	if !cert.IsCA {
		return nil, "", fmt.Errorf("read ca certificate %s: not a ca certificate (basic constraints CA:FALSE)", certPath)
	}
	return cert, certPath, nil
}

// removeRecords removes the record files, pending transactions and
// sequence (file or marker) of a CA that Init replaces.
func removeRecords(dir string) error {
	for _, d := range []string{CertsDir, txnDir} {
		names, err := readDirNames(filepath.Join(dir, d))
		if err != nil {
			return err
		}
		for _, n := range names {
			if copyRE.MatchString(n) || d == txnDir && seqMarkerRE.MatchString(n) {
				if err := os.Remove(filepath.Join(dir, d, n)); err != nil {
					return fmt.Errorf("remove the replaced ca's records: %w", err)
				}
			}
		}
	}
	if err := os.Remove(filepath.Join(dir, sequenceFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove the replaced ca's records: %w", err)
	}
	return nil
}

func errNoKey(dir string) error {
	return fmt.Errorf("the ca in %s was opened without its key (%s): signing needs it", dir, CAKeyFile)
}

func newCA(dir string, cert *x509.Certificate, key crypto.Signer) (*CA, error) {
	s, err := local.NewSigner(key, cert, signer.DefaultSigAlgo(key), signingPolicy())
	if err != nil {
		return nil, fmt.Errorf("ca signer: %w", err)
	}
	return &CA{dir: dir, cert: cert, key: key, signer: s}, nil
}

// Profile names in the cfssl signing policy. Key encipherment only makes
// sense for RSA keys (RSA key exchange); ECDSA leaves get digital signature only.
const (
	profileBroker    = "broker"
	profileBrokerRSA = "broker-rsa"
	profileClient    = "client"
	profileClientRSA = "client-rsa"
)

// signingPolicy is the cfssl policy: no linting (zlint re-signs every
// certificate with a throwaway key: it would halve issuance speed), no CT.
func signingPolicy() *config.Signing {
	prof := func(usages ...string) *config.SigningProfile {
		return &config.SigningProfile{Usage: usages, Expiry: DefaultLeafExpiry, ExpiryString: DefaultLeafExpiry.String()}
	}
	return &config.Signing{
		Default: prof("digital signature", "client auth"),
		Profiles: map[string]*config.SigningProfile{
			profileBroker:    prof("digital signature", "server auth", "client auth"),
			profileBrokerRSA: prof("digital signature", "key encipherment", "server auth", "client auth"),
			profileClient:    prof("digital signature", "client auth"),
			profileClientRSA: prof("digital signature", "key encipherment", "client auth"),
		},
	}
}

// Dir is the CA directory.
func (ca *CA) Dir() string { return ca.dir }

// CertPath is DIR/ca.pem.
func (ca *CA) CertPath() string { return filepath.Join(ca.dir, CACertFile) }

// Certificate is the CA certificate.
func (ca *CA) Certificate() *x509.Certificate { return ca.cert }

// CertPool is a pool holding only this CA, for TLS configs that trust it.
func (ca *CA) CertPool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

func keyRequest(algo string, size int, forCA bool) (*csr.KeyRequest, error) {
	switch strings.ToLower(algo) {
	case "", "ecdsa", "ec":
		if size == 0 {
			size = 256
		}
		if size != 256 && size != 384 && size != 521 {
			return nil, fmt.Errorf("ecdsa key size %d is not supported (use 256, 384 or 521)", size)
		}
		return &csr.KeyRequest{A: "ecdsa", S: size}, nil
	case "rsa":
		if size == 0 {
			size = 2048
			if forCA {
				size = 3072
			}
		}
		if size < 2048 || size > 8192 {
			return nil, fmt.Errorf("rsa key size %d is not supported (use 2048 to 8192)", size)
		}
		return &csr.KeyRequest{A: "rsa", S: size}, nil
	}
	return nil, fmt.Errorf("unknown key algorithm %q (want ecdsa or rsa)", algo)
}

// ParseCertificatePEM parses the first PEM block of data as a certificate,
// saying clearly when it is something else (a key, a CSR, not PEM at all).
// A file with a key before the certificate (a Kafka PEM key store) is fine:
// the first CERTIFICATE block counts.
func ParseCertificatePEM(data []byte) (*x509.Certificate, error) {
	var first string
	var block *pem.Block
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if first == "" {
			first = b.Type
		}
		if b.Type == "CERTIFICATE" {
			block = b
			break
		}
	}
	switch {
	case first == "":
		return nil, errors.New("not a PEM file")
	case block == nil:
		return nil, fmt.Errorf("PEM block is %q, not a CERTIFICATE", first)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse certificate: %w", err)
	}
	return cert, nil
}

// ReadCertificate reads the first certificate of a PEM file (a chain or a
// bundle too) of at most maxCertificateFileBytes: `pki principal` reads
// whatever path it is given.
func ReadCertificate(path string) (*x509.Certificate, error) {
	data, err := fsutil.ReadFileLimit(path, maxCertificateFileBytes, "a certificate")
	if err != nil {
		return nil, fmt.Errorf("read certificate: %w", err)
	}
	cert, err := ParseCertificatePEM(data)
	if err != nil {
		return nil, fmt.Errorf("read certificate %s: %w", path, err)
	}
	return cert, nil
}

// maxCertificateFileBytes bounds a certificate file as the stores and
// PEM files client properties name are bounded.
const maxCertificateFileBytes = 16 << 20

// parseKeyPEM parses a PKCS#8, PKCS#1 or SEC 1 private key.
func parseKeyPEM(data []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("not a PEM file")
	}
	if !strings.HasSuffix(block.Type, "PRIVATE KEY") {
		return nil, fmt.Errorf("PEM block is %q, not a PRIVATE KEY", block.Type)
	}
	if strings.HasPrefix(block.Type, "ENCRYPTED") {
		return nil, errors.New("encrypted private keys are not supported")
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		if s, ok := k.(crypto.Signer); ok {
			return s, nil
		}
		return nil, errors.New("unsupported private key type")
	}
	if k, err := x509.ParseECPrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	return nil, errors.New("corrupt private key (not PKCS#8, PKCS#1 or SEC 1)")
}

// encodeKeyPEM writes a key as unencrypted PKCS#8 ("PRIVATE KEY"), the only
// form Kafka's PEM key store (ssl.keystore.type=PEM) reads.
func encodeKeyPEM(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	switch k := a.(type) {
	case *ecdsa.PublicKey, *rsa.PublicKey, ed25519.PublicKey:
		return k.(equaler).Equal(b)
	}
	return false
}
