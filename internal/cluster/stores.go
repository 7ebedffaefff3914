package cluster

import (
	"crypto/sha1"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
)

// storeFormat is the format a key or trust store file is read as: PEM,
// PKCS12 or JKS. Like Java 9+ (keystore.type.compat, the default), JKS and
// PKCS12 are told apart by the file's first bytes whatever the declared
// type or the file name says: `keytool -keystore truststore.jks` on Java 9+
// writes PKCS12 into a .jks name. PEM is read only when declared
// (ssl.*store.type=PEM) or, with no type set, when the file is PEM text.
func storeFormat(declared string, data []byte) (string, error) {
	switch declared {
	case "PEM":
		return "PEM", nil
	case "", "JKS", "PKCS12", "P12":
	default:
		return "", fmt.Errorf("unsupported store type %q (want PEM, JKS or PKCS12)", declared)
	}
	var magic uint32
	if len(data) >= 4 {
		magic = binary.BigEndian.Uint32(data)
	}
	switch {
	case magic == 0xFEEDFEED:
		return "JKS", nil
	case magic == 0xCECECECE:
		return "", errors.New("a JCEKS store: convert it with keytool -importkeystore -deststoretype PKCS12")
	case len(data) > 0 && data[0] == 0x30: // a DER SEQUENCE: PKCS#12's PFX
		return "PKCS12", nil
	case looksPEM(data):
		if declared == "" {
			return "PEM", nil
		}
		return "", fmt.Errorf("PEM text, not %s: set the type to PEM", declared)
	}
	return "", errors.New("neither JKS, PKCS12 nor PEM")
}

// jksWhitener is the text Java's JavaKeyStore mixes into a store's SHA-1
// integrity digest after the password.
const jksWhitener = "Mighty Aphrodite"

// skipJKSIntegrity returns data with its integrity digest recomputed for an
// empty password, so a JKS truststore loads with no password as Java's
// KeyStore.load(in, null) does: the digest is then not checked at all.
// Trusted-certificate entries are not encrypted, so nothing else needs the
// password.
func skipJKSIntegrity(data []byte) []byte {
	if len(data) < sha1.Size {
		return data
	}
	body := data[:len(data)-sha1.Size]
	h := sha1.New()
	h.Write([]byte(jksWhitener))
	h.Write(body)
	return h.Sum(append([]byte(nil), body...))
}

// opensslHashName is a certificate's name in an OpenSSL hashed directory
// (c_rehash, openssl rehash): the subject hash and a sequence number.
var opensslHashName = regexp.MustCompile(`^[0-9a-f]{8}\.[0-9]+$`)

// caProbePaths are librdkafka's (rdkafka_ssl.c) standard CA locations, in its
// order, tried for ssl.ca.location=probe.
func caProbePaths() []string {
	paths := []string{
		"/etc/pki/tls/certs/ca-bundle.crt",
		"/etc/ssl/certs/ca-bundle.crt",
		"/etc/pki/tls/certs/ca-bundle.trust.crt",
		"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
		"/etc/ssl/ca-bundle.pem",
		"/etc/pki/tls/cacert.pem",
		"/etc/ssl/cert.pem",
		"/etc/ssl/cacert.pem",
		"/etc/certs/ca-certificates.crt",
		"/etc/ssl/certs/ca-certificates.crt",
		"/etc/ssl/certs",
		"/usr/local/etc/ssl/cert.pem",
		"/usr/local/etc/ssl/cacert.pem",
		"/usr/local/etc/ssl/certs/cert.pem",
		"/usr/local/etc/ssl/certs/cacert.pem",
		"/usr/local/share/certs/ca-root-nss.crt",
		"/etc/openssl/certs/ca-certificates.crt",
	}
	if runtime.GOOS == "darwin" {
		paths = append(paths,
			"/private/etc/ssl/cert.pem",
			"/private/etc/ssl/certs",
			"/usr/local/etc/openssl@1.1/cert.pem",
			"/usr/local/etc/openssl@1.0/cert.pem",
			"/usr/local/etc/openssl/certs",
			"/System/Library/OpenSSL",
		)
	}
	return paths
}

// caLocation reads librdkafka's ssl.ca.location: a PEM file, a directory of
// OpenSSL-hashed certificates, or "probe" (the first standard CA location
// that loads; when none does, the system's roots, as librdkafka falls back
// to OpenSSL's default paths).
func caLocation(l *loader, key, loc string, probe []string) (*x509.CertPool, error) {
	if loc == "probe" {
		for _, p := range probe {
			if pool, err := caPath(p); err == nil {
				return pool, nil
			}
		}
		return nil, nil
	}
	pool, err := caPath(loc)
	if err != nil {
		return nil, l.errorf(key, "%v", err)
	}
	return pool, nil
}

// caPath loads a CA file or hashed directory.
func caPath(path string) (*x509.CertPool, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		data, err := readStore(path)
		if err != nil {
			return nil, err
		}
		return pemCertPool(path, data)
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	var n int
	for _, e := range entries {
		// OpenSSL looks certificates up as <subject hash>.<n>; nothing else in
		// the directory is read, as with SSL_CTX_load_verify_locations.
		if !opensslHashName.MatchString(e.Name()) {
			continue
		}
		data, err := readStore(filepath.Join(path, e.Name()))
		if err != nil {
			continue // a dangling link, as OpenSSL skips it
		}
		for _, c := range pemCerts(data) {
			pool.AddCert(c)
			n++
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("%s: no certificate named <subject hash>.<n> in the directory (make the names with openssl rehash %s)", path, path)
	}
	return pool, nil
}

// pemCerts returns the certificates PEM data holds, skipping anything else.
func pemCerts(data []byte) []*x509.Certificate {
	var certs []*x509.Certificate
	for {
		var blk *pem.Block
		if blk, data = pem.Decode(data); blk == nil {
			return certs
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		if c, err := x509.ParseCertificate(blk.Bytes); err == nil {
			certs = append(certs, c)
		}
	}
}

func pemCertPool(path string, data []byte) (*x509.CertPool, error) {
	certs := pemCerts(data)
	if len(certs) == 0 {
		return nil, fmt.Errorf("%s: no PEM certificate", path)
	}
	return certPool(certs), nil
}
