package cluster

import (
	"crypto/ecdsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kafkaguard/kafkaguard/internal/testutil"
	keystore "github.com/pavlo-v-chernykh/keystore-go/v4"
	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadConfigReadsJavaAndLibrdkafkaSpellings(t *testing.T) {
	dir := t.TempDir()
	ca, _, caPEM, _ := testCert(t, "ca", nil, nil)
	_ = ca
	caPath := writeFile(t, dir, "ca.pem", caPEM)
	tests := []struct {
		name, props, flag       string
		wantBootstrap           string
		wantProto, wantMech     string
		wantUser                string
		wantTLS, wantSkipVerify bool
	}{
		{"plaintext default", "bootstrap.servers=a:9092, b:9092", "", "a:9092,b:9092", "PLAINTEXT", "", "", false, false},
		{"flag overrides file", "bootstrap.servers=a:9092", "x:1", "x:1", "PLAINTEXT", "", "", false, false},
		{"java scram over TLS", "bootstrap.servers=a:1\nsecurity.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\n" +
			"sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \\\n  username=\"alice\" password=\"p a ss\";\n" +
			"ssl.truststore.type=PEM\nssl.truststore.location=" + caPath, "", "a:1", "SASL_SSL", "SCRAM-SHA-512", "alice", true, false},
		{"librdkafka plain", "bootstrap.servers=a:1\nsecurity.protocol=sasl_ssl\nsasl.mechanisms=PLAIN\nsasl.username=bob\nsasl.password=pw\nssl.ca.location=" + caPath +
			"\nssl.endpoint.identification.algorithm=", "", "a:1", "SASL_SSL", "PLAIN", "bob", true, true},
		{"inline truststore", "bootstrap.servers=a:1\nsecurity.protocol=SSL\nssl.truststore.type=PEM\nssl.truststore.certificates=" +
			strings.ReplaceAll(strings.TrimSpace(caPEM), "\n", "\\n\\\n"), "", "a:1", "SSL", "", "", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), "c.properties", tt.props)
			cfg, err := LoadConfig(tt.flag, p)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(cfg.Bootstrap, ","); got != tt.wantBootstrap {
				t.Errorf("bootstrap = %q, want %q", got, tt.wantBootstrap)
			}
			if cfg.SecurityProtocol != tt.wantProto || cfg.SASLMechanism != tt.wantMech || cfg.Username != tt.wantUser {
				t.Errorf("got %s %s %s, want %s %s %s", cfg.SecurityProtocol, cfg.SASLMechanism, cfg.Username, tt.wantProto, tt.wantMech, tt.wantUser)
			}
			if (cfg.TLS != nil) != tt.wantTLS {
				t.Fatalf("TLS = %v, want %v", cfg.TLS != nil, tt.wantTLS)
			}
			if cfg.TLS != nil && cfg.TLS.InsecureSkipVerify != tt.wantSkipVerify {
				t.Errorf("skip host verification = %v, want %v", cfg.TLS.InsecureSkipVerify, tt.wantSkipVerify)
			}
			if cfg.TLS != nil && cfg.TLS.RootCAs == nil {
				t.Error("truststore not loaded")
			}
		})
	}
}

func TestLoadConfigParsesEscapedJAASPassword(t *testing.T) {
	p := writeFile(t, t.TempDir(), "c.properties", "bootstrap.servers=a:1\nsecurity.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n"+
		`sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p a\\"ss";`)
	cfg, err := LoadConfig("", p)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Password() != `p a"ss` {
		t.Fatalf("password not parsed as expected")
	}
}

func TestConfigNeverPrintsThePassword(t *testing.T) {
	cfg := NewConfig([]string{"a:1"}, ProtocolSASLSSL, MechanismSCRAMSHA512, "alice", "hunter2-secret", nil)
	for _, s := range []string{cfg.String(), fmt.Sprintf("%v", cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), fmt.Sprint(*cfg)} {
		if strings.Contains(s, "hunter2") {
			t.Errorf("password printed: %s", s)
		}
	}
}

func TestLoadConfigErrorsNameFileAndLine(t *testing.T) {
	tests := []struct{ name, props, want string }{
		{"unknown protocol", "bootstrap.servers=a:1\nsecurity.protocol=SASL_TLS", "c.properties:2: security.protocol: unknown security protocol"},
		{"unsupported mechanism", "bootstrap.servers=a:1\nsecurity.protocol=SASL_SSL\nsasl.mechanism=GSSAPI", "c.properties:3: sasl.mechanism: unsupported SASL mechanism"},
		{"missing truststore", "bootstrap.servers=a:1\nsecurity.protocol=SSL\nssl.truststore.type=PEM\nssl.truststore.location=/nonexistent/ca.pem", "c.properties:4: ssl.truststore.location:"},
		{"no bootstrap", "security.protocol=SSL", "no bootstrap server"},
		{"no password", "bootstrap.servers=a:1\nsecurity.protocol=SASL_SSL\nsasl.mechanism=PLAIN\nsasl.username=u", "has no password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), "c.properties", tt.props)
			_, err := LoadConfig("", p)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestLoadConfigReadsClientKeystores(t *testing.T) {
	dir := t.TempDir()
	caCert, caKey, caPEM, _ := testCert(t, "ca", nil, nil)
	leaf, leafKey, leafPEM, keyPEM := testCert(t, "alice", caCert, caKey)
	caPath := writeFile(t, dir, "ca.pem", caPEM)

	p12, err := pkcs12.Modern.Encode(leafKey, leaf, []*x509.Certificate{caCert}, "storepw")
	if err != nil {
		t.Fatal(err)
	}
	p12Path := writeFile(t, dir, "client.p12", string(p12))
	trust12, err := pkcs12.Modern.EncodeTrustStore([]*x509.Certificate{caCert}, "trustpw")
	if err != nil {
		t.Fatal(err)
	}
	trust12Path := writeFile(t, dir, "trust.p12", string(trust12))

	ks := keystore.New()
	kder, _ := x509.MarshalPKCS8PrivateKey(leafKey)
	if err := ks.SetPrivateKeyEntry("alice", keystore.PrivateKeyEntry{CreationTime: time.Now(), PrivateKey: kder,
		CertificateChain: []keystore.Certificate{{Type: "X509", Content: leaf.Raw}}}, []byte("keypw-long")); err != nil {
		t.Fatal(err)
	}
	if err := ks.SetTrustedCertificateEntry("ca", keystore.TrustedCertificateEntry{CreationTime: time.Now(), Certificate: keystore.Certificate{Type: "X509", Content: caCert.Raw}}); err != nil {
		t.Fatal(err)
	}
	jksPath := filepath.Join(dir, "client.jks")
	f, _ := os.Create(jksPath)
	if err := ks.Store(f, []byte("storepw-long")); err != nil {
		t.Fatal(err)
	}
	f.Close()
	combined := writeFile(t, dir, "client.pem", leafPEM+keyPEM)

	tests := []struct{ name, props string }{
		{"PEM keystore", "ssl.truststore.type=PEM\nssl.truststore.location=" + caPath + "\nssl.keystore.type=PEM\nssl.keystore.location=" + combined},
		{"PKCS12", "ssl.truststore.type=PKCS12\nssl.truststore.location=" + trust12Path + "\nssl.truststore.password=trustpw\nssl.keystore.type=PKCS12\nssl.keystore.location=" + p12Path + "\nssl.keystore.password=storepw"},
		{"JKS", "ssl.truststore.location=" + jksPath + "\nssl.truststore.password=storepw-long\nssl.keystore.location=" + jksPath + "\nssl.keystore.password=storepw-long\nssl.key.password=keypw-long"},
		{"librdkafka", "ssl.ca.location=" + caPath + "\nssl.certificate.location=" + writeFile(t, dir, "c.crt", leafPEM) + "\nssl.key.location=" + writeFile(t, dir, "c.key", keyPEM)},
		{"inline PEM", "ssl.truststore.type=PEM\nssl.truststore.location=" + caPath + "\nssl.keystore.type=PEM\nssl.keystore.certificate.chain=" + inline(leafPEM) + "\nssl.keystore.key=" + inline(keyPEM)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), "c.properties", "bootstrap.servers=a:1\nsecurity.protocol=SSL\n"+tt.props)
			cfg, err := LoadConfig("", p)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.ClientCert == nil || cfg.ClientCert.Subject.CommonName != "alice" {
				t.Fatalf("client certificate not loaded: %v", cfg.ClientCert)
			}
			if cfg.TLS.RootCAs == nil || len(cfg.TLS.Certificates) != 1 {
				t.Fatal("TLS config incomplete")
			}
			if _, err := leaf.Verify(x509.VerifyOptions{Roots: cfg.TLS.RootCAs, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
				t.Fatalf("truststore does not hold the CA: %v", err)
			}
		})
	}
	t.Run("wrong JKS password", func(t *testing.T) {
		p := writeFile(t, t.TempDir(), "c.properties", "bootstrap.servers=a:1\nsecurity.protocol=SSL\nssl.keystore.location="+jksPath+"\nssl.keystore.password=nope-nope")
		_, err := LoadConfig("", p)
		if err == nil || !strings.Contains(err.Error(), "c.properties:3: ssl.keystore.location: JKS keystore") {
			t.Fatalf("err = %v", err)
		}
	})
}

func inline(pemText string) string {
	return strings.ReplaceAll(strings.TrimSpace(pemText), "\n", "\\n\\\n")
}

// testCert makes a CA (parent nil) or a leaf signed by parent.
func testCert(t *testing.T, cn string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey, string, string) {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if parent == nil {
		tmpl.IsCA, tmpl.BasicConstraintsValid, tmpl.KeyUsage = true, true, x509.KeyUsageCertSign
	}
	cert, key := testutil.Cert(t, tmpl, parent, parentKey)
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	return cert, key, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}))
}

// Every file client properties point at is refused unread past 16 MiB:
// stores, librdkafka's certificate and key, the CA file.
func TestLoadConfigRefusesHugeCertificateAndStoreFiles(t *testing.T) {
	dir := t.TempDir()
	huge := filepath.Join(dir, "huge.pem")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: a 1 GiB file that takes no disk.
	if err := f.Truncate(1 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, _, certPEM, keyPEM := testCert(t, "client", nil, nil)
	cert, key := writeFile(t, dir, "cert.pem", certPEM), writeFile(t, dir, "key.pem", keyPEM)
	for _, tc := range []struct{ name, props, at string }{
		{"truststore", "ssl.truststore.location=" + huge, "3: ssl.truststore.location"},
		{"keystore", "ssl.keystore.location=" + huge + "\nssl.keystore.password=x", "3: ssl.keystore.location"},
		{"certificate", "ssl.certificate.location=" + huge + "\nssl.key.location=" + key, "3: ssl.certificate.location"},
		{"key", "ssl.certificate.location=" + cert + "\nssl.key.location=" + huge, "4: ssl.key.location"},
		{"CA file", "ssl.ca.location=" + huge, "3: ssl.ca.location"},
	} {
		p := writeFile(t, dir, "c.properties", "bootstrap.servers=a:1\nsecurity.protocol=SSL\n"+tc.props)
		_, err := LoadConfig("", p)
		want := "c.properties:" + tc.at + ": " + huge + ": larger than 16 MiB, too large for a key store, certificate or key"
		if err == nil || !strings.HasSuffix(err.Error(), want) {
			t.Errorf("%s: %v, want …%q", tc.name, err, want)
		}
	}
}
