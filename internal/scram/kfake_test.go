package scram

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/testutil"
)

// testCluster is an in-process kfake cluster with TLS, SASL (a SCRAM-SHA-512
// superuser "admin") and ACLs on, as the dev cluster runs it.
type testCluster struct {
	Addr       string
	CAPath     string
	AdminProps string // admin client properties file
	Dir        string
	Admin      *cluster.Client
	Config     *cluster.Config
}

const testAdminPassword = "admin-secret-ZqX81nQ"

func startCluster(t testing.TB) *testCluster {
	t.Helper()
	dir := t.TempDir()
	caCert, caKey := testutil.Cert(t, &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kafkaguard test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}, nil, nil)
	srvCert, srvKey := testutil.Cert(t, &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
	}, caCert, caKey)
	caPath := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caCert.Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := kfake.NewCluster(
		kfake.NumBrokers(1),
		kfake.EnableSASL(),
		kfake.Superuser(SHA512, "admin", testAdminPassword),
		kfake.EnableACLs(),
		kfake.TLS(&tls.Config{Certificates: []tls.Certificate{testutil.TLSCert(srvCert, srvKey)}}),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	addr := c.ListenAddrs()[0]
	props := filepath.Join(dir, "admin.properties")
	content := "bootstrap.servers=" + addr + "\n" +
		"security.protocol=SASL_SSL\n" +
		"sasl.mechanism=SCRAM-SHA-512\n" +
		"sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" password=\"" + testAdminPassword + "\";\n" +
		"ssl.truststore.type=PEM\n" +
		"ssl.truststore.location=" + caPath + "\n"
	if err := os.WriteFile(props, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := cluster.LoadConfig("", props)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Timeout = 10 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	admin, err := cluster.Dial(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(admin.Close)
	return &testCluster{Addr: addr, CAPath: caPath, AdminProps: props, Dir: dir, Admin: admin, Config: cfg}
}
