package pki

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The nightly audit host holds ca.pem, index.json and certs/ but not the
// CA key: listing works, signing says the key is needed.
func TestOpenReadOnlyListsWithoutTheKey(t *testing.T) {
	ca, dir := newTestCA(t, InitOptions{})
	if _, err := ca.IssueClient(ClientRequest{Name: "alice"}); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, CAKeyFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); err == nil {
		t.Fatal("Open without the key succeeded")
	}
	ro, err := OpenReadOnly(dir)
	if err != nil {
		t.Fatal(err)
	}
	infos, err := ro.List(now(), 0)
	if err != nil || len(infos) != 1 || infos[0].Name != "alice" || infos[0].Principal != "User:CN=alice" {
		t.Fatalf("List = %+v, %v", infos, err)
	}
	if _, err := ro.IssueClient(ClientRequest{Name: "bob"}); err == nil || !strings.Contains(err.Error(), "opened without its key") {
		t.Errorf("IssueClient = %v", err)
	}
	if _, _, err := ro.CRL(0); err == nil || !strings.Contains(err.Error(), "opened without its key") {
		t.Errorf("CRL = %v", err)
	}
}

func crlNumber(t *testing.T, path string) int64 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(data)
	rl, err := x509.ParseRevocationList(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return rl.Number.Int64()
}

// Concurrent 'pki crl --out' runs leave the newest CRL, and a CRL with a
// higher number is never replaced by a lower one.
func TestCRLToFileNeverReplacesAHigherNumber(t *testing.T) {
	ca, _ := newTestCA(t, InitOptions{})
	out := filepath.Join(t.TempDir(), "ca.crl")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := ca.CRLToFile(0, out); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := crlNumber(t, out); n != 8 {
		t.Fatalf("CRL number %d after 8 runs, want 8", n)
	}
	// Another CA (or an older copy of this one) at number 1: refused.
	other, _ := newTestCA(t, InitOptions{})
	if _, err := other.CRLToFile(0, out); err == nil || !strings.Contains(err.Error(), "holds CRL number 8, not older than this one (1): not replaced") {
		t.Fatalf("err = %v", err)
	}
	if n := crlNumber(t, out); n != 8 {
		t.Fatalf("CRL number %d, want 8 still", n)
	}
}
