package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// issueBatch is the number of certificates each benchmark iteration issues
// with each method, so that `-benchtime=1x` still measures a steady rate.
const issueBatch = 400

// BenchmarkIssueClientECDSA issues ECDSA P-256 client certificates through
// the CA (key generation, CSR, cfssl's local signer with the policy built
// once, parse) and, in the same iteration, with a bare crypto/x509 loop
// (key generation + CreateCertificate), reporting both rates and their ratio.
// Target: at least 1,000 certs/s through the CA on one core.
func BenchmarkIssueClientECDSA(b *testing.B) {
	ca, err := Init(filepath.Join(b.TempDir(), "ca"), InitOptions{})
	if err != nil {
		b.Fatal(err)
	}
	subjects := make([][]byte, issueBatch)
	for i := range subjects {
		subjects[i] = mustClientSubject(b, "client-"+strconv.Itoa(i), "bench")
	}
	caCert := ca.Certificate()
	var cfsslTime, csrTime, rawTime time.Duration
	// The three methods take turns in rounds, so that load from other
	// processes on a shared machine hits all of them alike.
	const rounds = 8
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for r := 0; r < rounds; r++ {
			lo, hi := r*issueBatch/rounds, (r+1)*issueBatch/rounds

			start := time.Now()
			for j := lo; j < hi; j++ {
				if _, err := ca.newLeaf(leafSpec{kind: KindClient, rawSubject: subjects[j], expiry: DefaultLeafExpiry}); err != nil {
					b.Fatal(err)
				}
			}
			cfsslTime += time.Since(start)

			start = time.Now()
			for j := lo; j < hi; j++ {
				if _, err := ca.newLeaf(leafSpec{kind: KindClient, rawSubject: subjects[j], expiry: DefaultLeafExpiry, viaCSR: true}); err != nil {
					b.Fatal(err)
				}
			}
			csrTime += time.Since(start)

			start = time.Now()
			for j := lo; j < hi; j++ {
				key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
				if err != nil {
					b.Fatal(err)
				}
				serial := make([]byte, 20)
				rand.Read(serial)
				serial[0] &= 0x7f
				t := time.Now()
				tmpl := &x509.Certificate{
					SerialNumber:          new(big.Int).SetBytes(serial),
					Subject:               pkix.Name{CommonName: "client-" + strconv.Itoa(j), OrganizationalUnit: []string{"bench"}},
					NotBefore:             t.Add(-backdate),
					NotAfter:              t.Add(DefaultLeafExpiry),
					KeyUsage:              x509.KeyUsageDigitalSignature,
					ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
					BasicConstraintsValid: true,
				}
				if _, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, ca.key); err != nil {
					b.Fatal(err)
				}
			}
			rawTime += time.Since(start)
		}
	}
	n := float64(b.N * issueBatch)
	cfsslRate := n / cfsslTime.Seconds()
	rawRate := n / rawTime.Seconds()
	b.ReportMetric(cfsslRate, "certs/s")
	b.ReportMetric(n/csrTime.Seconds(), "csr-certs/s")
	b.ReportMetric(rawRate, "raw-certs/s")
	b.ReportMetric(rawRate/cfsslRate, "raw/cfssl")
}

// BenchmarkIssueClientToDisk is IssueClient end to end: sign, write the key,
// chain and copy atomically (fsync), and rewrite the index.
func BenchmarkIssueClientToDisk(b *testing.B) {
	ca, err := Init(filepath.Join(b.TempDir(), "ca"), InitOptions{})
	if err != nil {
		b.Fatal(err)
	}
	const batch = 100
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		for j := 0; j < batch; j++ {
			if _, err := ca.IssueClient(ClientRequest{Name: "c-" + strconv.Itoa(i) + "-" + strconv.Itoa(j)}); err != nil {
				b.Fatal(err)
			}
		}
		total += time.Since(start)
	}
	b.ReportMetric(float64(b.N*batch)/total.Seconds(), "certs/s")
}
