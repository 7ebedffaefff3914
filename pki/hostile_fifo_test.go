//go:build unix

package pki

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// pki crl --out FIFO --force: the CRL number check does not open what is
// not a regular file (a FIFO nobody writes to blocked it forever); the
// FIFO is replaced by the CRL like any other file.
func TestCRLToFileDoesNotReadAFIFO(t *testing.T) {
	ca, _ := newTestCA(t, InitOptions{})
	out := filepath.Join(t.TempDir(), "ca.crl")
	if err := syscall.Mkfifo(out, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := ca.CRLToFile(0, out)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("CRLToFile still waits on the FIFO after 10 s")
	}
	if n := crlNumber(t, out); n != 1 {
		t.Fatalf("CRL number %d, want 1", n)
	}
}
