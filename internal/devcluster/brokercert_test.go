package devcluster_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kafkaguard/kafkaguard/internal/devcluster"
	"github.com/kafkaguard/kafkaguard/pki"
)

// servedLeaf returns the certificate the broker at addr presents.
func servedLeaf(t *testing.T, addr string, roots *x509.CertPool) *x509.Certificate {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatalf("TLS handshake with %s: %v", addr, err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0]
}

func TestStartServesTheGivenBrokerCertificate(t *testing.T) {
	dir := t.TempDir()
	ca, err := pki.Init(dir, pki.InitOptions{CN: "test CA"})
	if err != nil {
		t.Fatal(err)
	}
	iss, err := ca.IssueBroker(pki.BrokerRequest{Name: "broker-0", Hosts: []string{"localhost", "127.0.0.1"}, OutDir: filepath.Join(dir, "issued")})
	if err != nil {
		t.Fatal(err)
	}
	dc, err := devcluster.Start(context.Background(), devcluster.Options{Dir: dir, BrokerCert: iss.CertPath, BrokerKey: iss.KeyPath})
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	leaf := servedLeaf(t, dc.Addr(), ca.CertPool())
	if leaf.SerialNumber.Cmp(iss.Cert.SerialNumber) != 0 {
		t.Fatalf("broker serves serial %x, want broker-0's %x", leaf.SerialNumber, iss.Cert.SerialNumber)
	}
	if _, err := os.Stat(filepath.Join(dir, "broker")); err == nil {
		t.Error("Start issued its own broker certificate although one was given")
	}
}

func TestStartRefusesABrokerCertificateFromAnotherCA(t *testing.T) {
	other := t.TempDir()
	otherCA, err := pki.Init(other, pki.InitOptions{CN: "other CA"})
	if err != nil {
		t.Fatal(err)
	}
	iss, err := otherCA.IssueBroker(pki.BrokerRequest{Name: "rogue", Hosts: []string{"127.0.0.1"}, OutDir: other})
	if err != nil {
		t.Fatal(err)
	}
	_, err = devcluster.Start(context.Background(), devcluster.Options{Dir: t.TempDir(), BrokerCert: iss.CertPath, BrokerKey: iss.KeyPath})
	if err == nil || !strings.Contains(err.Error(), "does not chain to the CA") {
		t.Fatalf("err = %v, want a 'does not chain to the CA' error", err)
	}
	_, err = devcluster.Start(context.Background(), devcluster.Options{Dir: t.TempDir(), BrokerCert: iss.CertPath})
	if err == nil || !strings.Contains(err.Error(), "both its certificate and its key") {
		t.Fatalf("err = %v, want a missing-key error", err)
	}
}
