package cluster

import (
	"bytes"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/kafkaguard/kafkaguard/internal/pkcs12safe"
	keystore "github.com/pavlo-v-chernykh/keystore-go/v4"
)

func (l *loader) loadTLS(cfg *Config) error {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	roots, err := l.trustStore()
	if err != nil {
		return err
	}
	tc.RootCAs = roots // nil: the system roots
	chain, key, err := l.keyStore()
	if err != nil {
		return err
	}
	if chain != nil {
		leaf, err := x509.ParseCertificate(chain[0])
		if err != nil {
			return l.errorf("", "client certificate: %v", err)
		}
		tc.Certificates = []tls.Certificate{{Certificate: chain, PrivateKey: key, Leaf: leaf}}
		cfg.ClientCert = leaf
	}
	if alg, ok := l.raw("ssl.endpoint.identification.algorithm"); ok {
		switch strings.ToLower(strings.TrimSpace(alg)) {
		case "", "none":
			// As in Java: an empty algorithm checks the chain but not the host name.
			tc.InsecureSkipVerify = true
			tc.VerifyPeerCertificate = verifyChainOnly(roots)
		case "https":
		default:
			return l.errorf("ssl.endpoint.identification.algorithm", "unknown algorithm %q (want https or empty)", alg)
		}
	}
	cfg.TLS = tc
	return nil
}

// verifyChainOnly checks the broker's chain against roots without a host name.
func verifyChainOnly(roots *x509.CertPool) func([][]byte, [][]*x509.Certificate) error {
	return func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 {
			return errors.New("broker sent no certificate")
		}
		certs := make([]*x509.Certificate, len(raw))
		for i, r := range raw {
			c, err := x509.ParseCertificate(r)
			if err != nil {
				return err
			}
			certs[i] = c
		}
		inter := x509.NewCertPool()
		for _, c := range certs[1:] {
			inter.AddCert(c)
		}
		_, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
		return err
	}
}

func storeType(l *loader, key string) (string, string) {
	t, k, ok := l.get(key)
	if !ok || t == "" {
		return "", k
	}
	return strings.ToUpper(t), k
}

// trustStore returns the CA pool the broker's certificate must chain to, or
// nil for the system pool.
func (l *loader) trustStore() (*x509.CertPool, error) {
	typ, typKey := storeType(l, "ssl.truststore.type")
	if inline, ok := l.raw("ssl.truststore.certificates"); ok && strings.TrimSpace(inline) != "" {
		return pemPool(l, "ssl.truststore.certificates", []byte(inline))
	}
	if loc, key, ok := l.get("ssl.truststore.location"); ok && loc != "" {
		data, err := readStore(loc)
		if err != nil {
			return nil, l.errorf(key, "%v", err)
		}
		// Kafka: "If a password is not set, trust store file configured will
		// still be used, but integrity checking is disabled."
		pass, hasPass := l.raw("ssl.truststore.password")
		format, err := storeFormat(typ, data)
		if err != nil {
			return nil, l.errorf(typKey, "truststore %s: %v", loc, err)
		}
		switch format {
		case "PEM":
			return pemPool(l, key, data)
		case "PKCS12":
			certs, err := pkcs12safe.DecodeTrustStore(data, pass)
			if err != nil {
				if !hasPass {
					return nil, l.errorf(key, "PKCS12 truststore %s: %v (no ssl.truststore.password is set: only a store without a password, e.g. keytool -J-Dkeystore.pkcs12.certProtectionAlgorithm=NONE -J-Dkeystore.pkcs12.macAlgorithm=NONE, reads without one)", loc, err)
				}
				return nil, l.errorf(key, "PKCS12 truststore %s: %v", loc, err)
			}
			if len(certs) == 0 {
				return nil, l.errorf(key, "PKCS12 truststore %s holds no trusted certificate", loc)
			}
			return certPool(certs), nil
		default: // JKS
			if !hasPass {
				data = skipJKSIntegrity(data)
			}
			certs, _, _, err := readJKS(data, pass, "", false)
			if err != nil {
				return nil, l.errorf(key, "JKS truststore %s: %v", loc, err)
			}
			if len(certs) == 0 {
				return nil, l.errorf(key, "JKS truststore %s holds no trusted certificate", loc)
			}
			return certPool(certs), nil
		}
	}
	if loc, key, ok := l.get("ssl.ca.location"); ok && loc != "" {
		return caLocation(l, key, loc, caProbePaths())
	}
	return nil, nil
}

func looksPEM(data []byte) bool { return bytes.Contains(data, []byte("-----BEGIN ")) }

func certPool(certs []*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c)
	}
	return p
}

func pemPool(l *loader, key string, data []byte) (*x509.CertPool, error) {
	certs, _, err := parsePEM(data)
	if err != nil {
		return nil, l.errorf(key, "%v", err)
	}
	if len(certs) == 0 {
		return nil, l.errorf(key, "no PEM certificate found")
	}
	p := x509.NewCertPool()
	for _, c := range certs {
		cert, err := x509.ParseCertificate(c)
		if err != nil {
			return nil, l.errorf(key, "%v", err)
		}
		p.AddCert(cert)
	}
	return p, nil
}

// parsePEM returns the DER certificates and the first private key in data.
func parsePEM(data []byte) ([][]byte, crypto.PrivateKey, error) {
	var certs [][]byte
	var key crypto.PrivateKey
	for {
		var blk *pem.Block
		blk, data = pem.Decode(data)
		if blk == nil {
			break
		}
		switch {
		case blk.Type == "CERTIFICATE":
			certs = append(certs, blk.Bytes)
		case blk.Type == "ENCRYPTED PRIVATE KEY" || blk.Headers["Proc-Type"] != "":
			return nil, nil, errors.New("encrypted PEM private keys are not supported: decrypt it (openssl pkcs8 -topk8 -nocrypt) and keep the file 0600")
		case strings.HasSuffix(blk.Type, "PRIVATE KEY") && key == nil:
			k, err := parseKey(blk.Bytes)
			if err != nil {
				return nil, nil, err
			}
			key = k
		}
	}
	return certs, key, nil
}

func parseKey(der []byte) (crypto.PrivateKey, error) {
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	return nil, errors.New("unreadable private key (want PKCS#8, PKCS#1 or SEC1)")
}

// keyStore returns the client certificate chain (DER) and key for mTLS, or
// nil when none is configured.
func (l *loader) keyStore() ([][]byte, crypto.PrivateKey, error) {
	typ, typKey := storeType(l, "ssl.keystore.type")
	// Inline PEM (Java ssl.keystore.certificate.chain + ssl.keystore.key).
	if chainPEM, ok := l.raw("ssl.keystore.certificate.chain"); ok && strings.TrimSpace(chainPEM) != "" {
		keyPEM, _ := l.raw("ssl.keystore.key")
		return pemPair(l, "ssl.keystore.certificate.chain", []byte(chainPEM), []byte(keyPEM))
	}
	if loc, key, ok := l.get("ssl.keystore.location"); ok && loc != "" {
		data, err := readStore(loc)
		if err != nil {
			return nil, nil, l.errorf(key, "%v", err)
		}
		storePass, _ := l.raw("ssl.keystore.password")
		keyPass, hasKeyPass := l.raw("ssl.key.password")
		if !hasKeyPass {
			keyPass = storePass
		}
		format, err := storeFormat(typ, data)
		if err != nil {
			return nil, nil, l.errorf(typKey, "keystore %s: %v", loc, err)
		}
		switch format {
		case "PEM":
			return pemPair(l, key, data, nil)
		case "PKCS12":
			k, leaf, cas, err := pkcs12safe.DecodeChain(data, storePass)
			if err != nil {
				return nil, nil, l.errorf(key, "PKCS12 keystore %s: %v", loc, err)
			}
			chain := [][]byte{leaf.Raw}
			for _, c := range cas {
				chain = append(chain, c.Raw)
			}
			return chain, k, nil
		default: // JKS
			_, chain, k, err := readJKS(data, storePass, keyPass, true)
			if err != nil {
				return nil, nil, l.errorf(key, "JKS keystore %s: %v", loc, err)
			}
			if chain == nil {
				return nil, nil, l.errorf(key, "JKS keystore %s holds no private key entry", loc)
			}
			return chain, k, nil
		}
	}
	// librdkafka: ssl.certificate.location + ssl.key.location.
	if certLoc, key, ok := l.get("ssl.certificate.location"); ok && certLoc != "" {
		certData, err := readStore(certLoc)
		if err != nil {
			return nil, nil, l.errorf(key, "%v", err)
		}
		var keyData []byte
		if keyLoc, kk, ok := l.get("ssl.key.location"); ok && keyLoc != "" {
			if keyData, err = readStore(keyLoc); err != nil {
				return nil, nil, l.errorf(kk, "%v", err)
			}
		}
		return pemPair(l, key, certData, keyData)
	}
	return nil, nil, nil
}

func pemPair(l *loader, key string, certData, keyData []byte) ([][]byte, crypto.PrivateKey, error) {
	chain, k, err := parsePEM(append(append([]byte{}, certData...), append([]byte("\n"), keyData...)...))
	if err != nil {
		return nil, nil, l.errorf(key, "%v", err)
	}
	if len(chain) == 0 {
		return nil, nil, l.errorf(key, "no client certificate found")
	}
	if k == nil {
		return nil, nil, l.errorf(key, "no private key found for the client certificate")
	}
	if _, err := tls.X509KeyPair(pemEncode(chain[0], "CERTIFICATE"), mustPKCS8(k)); err != nil {
		return nil, nil, l.errorf(key, "client certificate and key do not match: %v", err)
	}
	return chain, k, nil
}

func pemEncode(der []byte, typ string) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func mustPKCS8(k crypto.PrivateKey) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil
	}
	return pemEncode(der, "PRIVATE KEY")
}

// readJKS reads a Java keystore: its trusted certificates, and the first
// private key entry's chain and key.
func readJKS(data []byte, storePass, keyPass string, wantKey bool) ([]*x509.Certificate, [][]byte, crypto.PrivateKey, error) {
	if err := checkJKSLengths(data); err != nil {
		return nil, nil, nil, err
	}
	ks := keystore.New(keystore.WithOrderedAliases())
	if err := ks.Load(bytes.NewReader(data), []byte(storePass)); err != nil {
		return nil, nil, nil, fmt.Errorf("load (wrong ssl.*store.password?): %w", err)
	}
	var trusted []*x509.Certificate
	var chain [][]byte
	var key crypto.PrivateKey
	for _, alias := range ks.Aliases() {
		switch {
		case ks.IsTrustedCertificateEntry(alias):
			e, err := ks.GetTrustedCertificateEntry(alias)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("entry %s: %w", alias, err)
			}
			c, err := x509.ParseCertificate(e.Certificate.Content)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("entry %s: %w", alias, err)
			}
			trusted = append(trusted, c)
		case wantKey && ks.IsPrivateKeyEntry(alias) && chain == nil:
			e, err := ks.GetPrivateKeyEntry(alias, []byte(keyPass))
			if err != nil {
				return nil, nil, nil, fmt.Errorf("key entry %s (wrong ssl.key.password?): %w", alias, err)
			}
			k, err := parseKey(e.PrivateKey)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("key entry %s: %w", alias, err)
			}
			for _, c := range e.CertificateChain {
				chain = append(chain, c.Content)
			}
			key = k
		}
	}
	return trusted, chain, key, nil
}
