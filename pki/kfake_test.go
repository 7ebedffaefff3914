package pki_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafkaguard/kafkaguard/pki"
)

// TestKfakeBrokerWithIssuedCertificates runs an in-process Kafka broker
// (kfake) on a broker certificate from the CA, requiring client
// certificates: a franz-go client trusting ca.pem connects with a client
// certificate (and with a broker certificate, as another broker would); one
// trusting another CA fails verification.
func TestKfakeBrokerWithIssuedCertificates(t *testing.T) {
	ca, err := pki.Init(filepath.Join(t.TempDir(), "ca"), pki.InitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	broker, err := ca.IssueBroker(pki.BrokerRequest{Name: "broker-0", Hosts: []string{"localhost", "127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	client, err := ca.IssueClient(pki.ClientRequest{Name: "app", OUs: []string{"eng"}})
	if err != nil {
		t.Fatal(err)
	}
	brokerPair := loadPair(t, broker)
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.TLS(&tls.Config{
		Certificates: []tls.Certificate{brokerPair},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    ca.CertPool(),
		MinVersion:   tls.VersionTLS12,
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)

	other, err := pki.Init(filepath.Join(t.TempDir(), "other"), pki.InitOptions{CN: "another CA"})
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := other.IssueClient(pki.ClientRequest{Name: "stranger"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name         string
		roots        *x509.CertPool
		cert         tls.Certificate
		wantErr      bool
		wantUnknowCA bool // the client itself rejects the broker's certificate
	}{
		{"client certificate, trusting ca.pem", ca.CertPool(), loadPair(t, client), false, false},
		{"broker certificate as a client (inter-broker)", ca.CertPool(), brokerPair, false, false},
		{"trusting another CA", other.CertPool(), loadPair(t, client), true, true},
		{"client certificate of another CA", ca.CertPool(), loadPair(t, stranger), true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cl, err := kgo.NewClient(
				kgo.SeedBrokers(cluster.ListenAddrs()...),
				kgo.DialTLSConfig(&tls.Config{RootCAs: c.roots, Certificates: []tls.Certificate{c.cert}, MinVersion: tls.VersionTLS12}),
				kgo.RequestRetries(0),
			)
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err = cl.Ping(ctx)
			switch {
			case !c.wantErr && err != nil:
				t.Fatalf("Ping: %v", err)
			case c.wantErr && err == nil:
				t.Fatal("Ping succeeded with a client that does not trust the broker's CA")
			case c.wantUnknowCA:
				var unknown x509.UnknownAuthorityError
				if !errors.As(err, &unknown) && !strings.Contains(err.Error(), "certificate signed by unknown authority") {
					t.Fatalf("Ping: %v, want an unknown-authority verification error", err)
				}
			}
		})
	}
}

func loadPair(t *testing.T, is *pki.Issued) tls.Certificate {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(is.CertPath, is.KeyPath)
	if err != nil {
		t.Fatalf("load %s: %v", is.Name, err)
	}
	return pair
}
