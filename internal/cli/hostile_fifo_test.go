//go:build unix

package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A FIFO that a writer fills without end is cut at the limit like
// /dev/zero; pki crl --out does not even open one (it would wait for a
// writer forever).
func TestEndlessFIFOsExit1AtTheirLimit(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "acls.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	writer := make(chan error, 1)
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			writer <- err
			return
		}
		defer f.Close()
		block := make([]byte, 64<<10)
		for {
			if _, err := f.Write(block); err != nil {
				writer <- err // EPIPE once the reader stops
				return
			}
		}
	}()
	code, stdout, stderr := runMain(t, "--max-bindings", "1000", "access", "can", "--acls", fifo, "User:app", "READ", "TOPIC", "t")
	if want := "kafkaguard: error: " + fifo + ": larger than 512,000 bytes, too large for an ACL file\n"; code != ExitError || stdout != "" || !strings.HasPrefix(stderr, want) {
		t.Errorf("access can --acls FIFO: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	select {
	case err := <-writer:
		if !errors.Is(err, syscall.EPIPE) {
			t.Errorf("the writer stopped with %v, want EPIPE (the reader closed the FIFO)", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the writer is still writing 10 s after access can returned")
	}

	done := make(chan struct{})
	go func() {
		defer close(done)
		code, _, stderr := runMain(t, "pki", "crl", "--dir", dir, "--out", fifo)
		if code != ExitError || !strings.Contains(stderr, fifo+" exists and is not a CRL") {
			t.Errorf("pki crl --out FIFO: exit %d, stderr %q", code, stderr)
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("pki crl --out FIFO still waits for a writer after 10 s")
	}
}
