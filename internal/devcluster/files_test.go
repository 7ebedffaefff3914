package devcluster

import (
	"os"
	"testing"
)

// The files dev up is pointed at are read up to their limit: /dev/zero as
// the broker's certificate, key or CRL is an error naming the limit, not a
// read until memory runs out.
func TestDevUpFilesAreBounded(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	if _, err := loadKeyPair("/dev/zero", "key.pem"); err == nil || err.Error() != "/dev/zero: larger than 16 MiB, too large for a certificate" {
		t.Errorf("certificate: %v", err)
	}
	cert := t.TempDir() + "/cert.pem"
	if err := os.WriteFile(cert, []byte("not PEM"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadKeyPair(cert, "/dev/zero"); err == nil || err.Error() != "/dev/zero: larger than 16 MiB, too large for a key" {
		t.Errorf("key: %v", err)
	}
	if _, err := loadCRL("/dev/zero", "ca.pem"); err == nil || err.Error() != "crl: /dev/zero: larger than 64 MiB, too large for a CRL" {
		t.Errorf("CRL: %v", err)
	}
}
