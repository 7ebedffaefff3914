package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Files named on the command line are read only up to their limit: a path
// that never ends (/dev/zero) is exit 1 at once, naming the limit.
func TestEndlessFilesExit1AtTheirLimit(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	dir := t.TempDir()
	zeroJSON := filepath.Join(dir, "zero.json") // access diff reads *.json as a binding file
	if err := os.Symlink("/dev/zero", zeroJSON); err != nil {
		t.Fatal(err)
	}
	const bindingHint = "\nkafkaguard: hint: raise it with --max-bindings (512 bytes a binding)\n"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"pki", "issue", "client", "--dir", dir, "--name", "x", "--csr", "/dev/zero"}, "read certificate request: /dev/zero: larger than 1 MiB, too large for a certificate request"},
		{[]string{"audit", "--clusters", "/dev/zero"}, "read clusters file: /dev/zero: larger than 16 MiB, too large for a clusters file"},
		{[]string{"compile", "-f", "/dev/zero"}, "/dev/zero: the inventory files are 33,554,433 bytes or more, over the limit of 33,554,432"},
		// Files of ACL bindings: 512 bytes a binding of --max-bindings.
		{[]string{"--max-bindings", "1000", "access", "can", "--acls", "/dev/zero", "User:app", "READ", "TOPIC", "t"}, "/dev/zero: larger than 512,000 bytes, too large for an ACL file" + bindingHint},
		{[]string{"--max-bindings", "1000", "access", "diff", "--base", zeroJSON, "--head", zeroJSON}, zeroJSON + ": larger than 512,000 bytes, too large for an ACL file" + bindingHint},
		{[]string{"--max-bindings", "1000", "import", "--from", "kafka-acls", "/dev/zero"}, "/dev/zero: larger than 512,000 bytes, too large for an import source" + bindingHint},
		{[]string{"pki", "principal", "/dev/zero"}, "read certificate: /dev/zero: larger than 16 MiB, too large for a certificate"},
		// Only the head of an existing pki crl --out is read, only if it
		// is a regular file.
		{[]string{"pki", "crl", "--dir", dir, "--out", "/dev/zero"}, "/dev/zero exists and is not a CRL"},
	} {
		code, stdout, stderr := runMain(t, tc.args...)
		if code != ExitError || stdout != "" || !strings.HasPrefix(stderr, "kafkaguard: error: "+tc.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", tc.args, code, stdout, stderr)
		}
	}
}

// firstPEMType finds the first PEM header line, as encoding/pem looks for one: after
// text, with CRLF or trailing spaces, past a line that is not a header.
func TestFirstPEMType(t *testing.T) {
	for data, want := range map[string]string{
		"-----BEGIN X509 CRL-----\nMIIB\n-----END X509 CRL-----\n": "X509 CRL",
		"issuer notes\r\n-----BEGIN X509 CRL----- \r\nMIIB\r\n":    "X509 CRL",
		"-----BEGIN PRIVATE KEY-----\n-----BEGIN X509 CRL-----\n":  "PRIVATE KEY",
		"-----BEGIN X509 CRL\n-----BEGIN CERTIFICATE-----\n":       "CERTIFICATE",
		"text -----BEGIN X509 CRL-----\n":                          "",
		"":                                                         "",
	} {
		if got := firstPEMType([]byte(data)); got != want {
			t.Errorf("%q: %q, want %q", data, got, want)
		}
	}
	// Only the head of a large CRL is read: it is still a CRL.
	p := filepath.Join(t.TempDir(), "crl.pem")
	big := "-----BEGIN X509 CRL-----\n" + strings.Repeat(strings.Repeat("A", 64)+"\n", 4096) + "-----END X509 CRL-----\n"
	if err := os.WriteFile(p, []byte(big), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := checkReplaceableCRL(p); err != nil {
		t.Errorf("a 260 KiB CRL: %v", err)
	}
}
