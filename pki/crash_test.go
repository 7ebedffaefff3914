package pki

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kafkaguard/kafkaguard/internal/testutil"
)

// TestKill9DuringRenewAndIssueForceLeavesConsistentCA builds kafkaguard and
// kills `pki renew` and `pki issue --force` with SIGKILL at random moments
// until 25 of them died part way. Afterwards `pki list` (after `pki doctor` when it warns) reports
// no inconsistency, every current key matches its certificate, every
// deployed certificate's serial is in index.json and `pki revoke --serial`
// revokes it, and no temporary or staged file is left.
func TestKill9DuringRenewAndIssueForceLeavesConsistentCA(t *testing.T) {
	bin := testutil.Kafkaguard(t, nil)
	work := t.TempDir()
	dir := filepath.Join(work, "ca")
	pw := filepath.Join(work, "p12.pass")
	os.WriteFile(pw, []byte("correct-horse-battery\n"), 0o600)
	run := func(args ...string) (string, string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "NO_COLOR=1")
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		return out.String(), errOut.String(), err
	}
	must := func(args ...string) string {
		out, errOut, err := run(args...)
		if err != nil {
			t.Fatalf("kafkaguard %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
		}
		return out
	}
	must("pki", "init", "--dir", dir)
	must("pki", "issue", "broker", "--dir", dir, "--name", "b1", "--host", "kafka-1.example.com")
	must("pki", "issue", "client", "--dir", dir, "--name", "c1", "--ou", "eng")
	must("pki", "issue", "client", "--dir", dir, "--name", "k1", "--pkcs12", "--password-file", pw)
	ops := [][]string{
		{"pki", "renew", "--dir", dir, "--name", "b1"},
		{"pki", "issue", "client", "--dir", dir, "--name", "c1", "--ou", "eng", "--force"},
		{"pki", "renew", "--dir", dir, "--name", "k1", "--password-file", pw},
		{"pki", "issue", "broker", "--dir", dir, "--name", "b1", "--host", "kafka-1.example.com", "--force"},
	}
	// One uninterrupted run of each sets the range of kill delays.
	took := make([]time.Duration, len(ops))
	for i, op := range ops {
		start := time.Now()
		must(op...)
		took[i] = time.Since(start)
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d, uninterrupted runs took %v", seed, took)
	rng := rand.New(rand.NewPCG(seed, 0))
	// Run until 25 operations were killed part way: on a loaded machine a
	// drawn delay can outlast a run that went faster than the first one, so
	// the number of attempts is bounded rather than fixed.
	const wantKilled, maxRuns = 25, 200
	killed, warned, runs := 0, 0, 0
	for ; killed < wantKilled && runs < maxRuns; runs++ {
		op := runs % len(ops)
		cmd := exec.Command(bin, ops[op]...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		d := took[op]
		time.Sleep(time.Duration(rng.Int64N(int64(d))))
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			killed++
		}
		if _, errOut, _ := run("pki", "list", "--dir", dir); strings.Contains(errOut, "inconsistent") {
			warned++
		}
	}
	t.Logf("%d of %d runs killed; pki list warned after %d", killed, runs, warned)
	if killed < wantKilled {
		t.Fatalf("only %d of %d runs were killed before they finished: the delays do not hit the operation", killed, runs)
	}

	_, errOut, err := run("pki", "list", "--dir", dir)
	if err != nil {
		t.Fatalf("pki list: %v\n%s", err, errOut)
	}
	if strings.Contains(errOut, "inconsistent") {
		if out, errOut, err := run("pki", "doctor", "--dir", dir); err != nil {
			t.Fatalf("pki doctor: %v\n%s%s", err, out, errOut)
		}
	}
	if out, errOut, err := run("pki", "list", "--dir", dir); err != nil || errOut != "" {
		t.Fatalf("pki list after repair: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	var listed struct {
		Certificates []CertInfo `json:"certificates"`
	}
	if err := json.Unmarshal([]byte(must("pki", "list", "--dir", dir, "-o", "json")), &listed); err != nil {
		t.Fatal(err)
	}
	inIndex := map[string]bool{}
	for _, c := range listed.Certificates {
		if c.Status == StatusPending {
			t.Errorf("certificate %s (%s) still pending after repair", c.Serial, c.Name)
		}
		inIndex[c.Serial] = true
	}
	var deployed []string
	for _, c := range listed.Certificates {
		if c.SupersededBy != "" || c.RevokedAt != nil {
			continue
		}
		cert, err := ReadCertificate(c.CertPath)
		if err != nil {
			t.Fatal(err)
		}
		serial := serialHex(cert.SerialNumber)
		if serial != c.Serial {
			t.Errorf("%s: deployed %s has serial %s, the current record %s", c.Name, c.CertPath, serial, c.Serial)
		}
		if !inIndex[serial] {
			t.Errorf("%s: deployed serial %s is not in index.json", c.Name, serial)
		}
		data, err := os.ReadFile(c.KeyPath)
		if err != nil {
			t.Fatal(err)
		}
		key, err := parseKeyPEM(data)
		if err != nil || !publicKeysEqual(key.Public(), cert.PublicKey) {
			t.Errorf("%s: key %s does not match certificate %s (%v)", c.Name, c.KeyPath, c.CertPath, err)
		}
		deployed = append(deployed, serial)
	}
	if len(deployed) != 3 {
		t.Errorf("%d current certificates, want 3 (b1, c1, k1): %v", len(deployed), deployed)
	}
	for _, d := range []string{dir, filepath.Join(dir, CertsDir), filepath.Join(dir, IssuedDir)} {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if strings.Contains(e.Name(), ".tmp-") || strings.Contains(e.Name(), stagedInfix) {
				t.Errorf("leftover file %s", filepath.Join(d, e.Name()))
			}
		}
	}
	for _, s := range deployed {
		must("pki", "revoke", "--dir", dir, "--serial", s, "--reason", "superseded")
	}
	if n := strings.Count(must("pki", "list", "--dir", dir), "revoked"); n != 3 {
		t.Errorf("pki list shows %d revoked certificates, want 3", n)
	}
}
