// Command pkifloor is the floor program of `kafkaguard pki issue client`
// (issue 19): the least work that issuing one client certificate with its
// files on disk takes, with raw crypto/x509 and nothing in between.
// BenchmarkIssueClientVsFloor measures the CLI against it in the same run;
// run by hand it issues -n certificates into an existing CA directory:
//
//	go run ./internal/tools/pkifloor -dir ./ca -n 100
package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/kafkaguard/kafkaguard/internal/fsutil"
)

// The CA directory's layout (pki's constants, written out: a plain program
// links nothing of kafkaguard's but fsutil's four-line write helper).
const (
	caCertFile = "ca.pem"
	caKeyFile  = "ca-key.pem"
	issuedDir  = "issued"
	certsDir   = "certs"
)

func main() {
	dir := flag.String("dir", "", "CA `DIR` made by 'kafkaguard pki init'")
	n := flag.Int("n", 100, "how many certificates to issue")
	prefix := flag.String("prefix", "floor-", "name prefix")
	flag.Parse()
	start := time.Now()
	for i := range *n {
		if err := floorIssueClient(*dir, *prefix+strconv.Itoa(i)); err != nil {
			fmt.Fprintf(os.Stderr, "pkifloor: %v\n", err)
			os.Exit(1)
		}
	}
	d := time.Since(start)
	fmt.Printf("%d certificates in %s: %.0f certs/s\n", *n, d.Round(time.Millisecond), float64(*n)/d.Seconds())
}

// floorIssueClient is the floor of `kafkaguard pki issue client --dir DIR
// --name NAME`: a plain program that does the same work with nothing in
// between. It reads the CA certificate and key (as a process run per
// certificate must), generates an ECDSA P-256 key (the CLI's default),
// signs a client-auth certificate with crypto/x509 and writes the same
// files: DIR/issued/NAME.pem (certificate + CA), DIR/issued/NAME-key.pem
// (PKCS#8, mode 0600) and the CA's record of it, DIR/certs/SERIAL.pem (a
// JSON line + the certificate), each fsynced (fsutil.WriteFileSynced: open,
// write, fsync, close), then both directories.
func floorIssueClient(dir, name string) error {
	caPEM, err := os.ReadFile(filepath.Join(dir, caCertFile))
	if err != nil {
		return err
	}
	b, _ := pem.Decode(caPEM)
	if b == nil {
		return errors.New("ca.pem: not PEM")
	}
	caCert, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return err
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, caKeyFile))
	if err != nil {
		return err
	}
	if b, _ = pem.Decode(keyPEM); b == nil {
		return errors.New("ca-key.pem: not PEM")
	}
	caKey, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serialBytes := make([]byte, 20)
	rand.Read(serialBytes)
	serialBytes[0] &= 0x7f
	serial := new(big.Int).SetBytes(serialBytes)
	t := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             t.Add(-5 * time.Minute).Truncate(time.Second),
		NotAfter:              t.Add(365 * 24 * time.Hour).Truncate(time.Second),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey.(crypto.Signer))
	if err != nil {
		return err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	issued, certs := filepath.Join(dir, issuedDir), filepath.Join(dir, certsDir)
	if err := os.MkdirAll(issued, 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(certs, 0o755); err != nil {
		return err
	}
	hex := fmt.Sprintf("%X", serial)
	certPath, keyPath := filepath.Join(issued, name+".pem"), filepath.Join(issued, name+"-key.pem")
	record, err := json.Marshal(map[string]any{
		"serial": hex, "kind": "client", "name": name, "subject": "CN=" + name,
		"not_before": tmpl.NotBefore.UTC(), "not_after": tmpl.NotAfter.UTC(),
		"cert_path": certPath, "key_path": keyPath,
	})
	if err != nil {
		return err
	}
	files := []struct {
		path string
		data []byte
		perm os.FileMode
	}{
		{certPath, append(append([]byte{}, certPEM...), caPEM...), 0o644},
		{keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600},
		{filepath.Join(certs, hex+".pem"), append(append(record, '\n'), certPEM...), 0o644},
	}
	for _, f := range files {
		if err := fsutil.WriteFileSynced(f.path, f.data, f.perm); err != nil {
			return err
		}
	}
	for _, d := range []string{issued, certs} {
		if err := syncDir(d); err != nil {
			return err
		}
	}
	return nil
}

// syncDir fsyncs a directory as a plain program does, through os.Open
// (fsutil.SyncDir opens it without the runtime's poller, which is
// kafkaguard's own saving, not the floor's).
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
