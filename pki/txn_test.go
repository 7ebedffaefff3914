package pki

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func currentOf(t *testing.T, ca *CA, name string) Record {
	t.Helper()
	idx, err := loadIndex(ca.dir)
	if err != nil {
		t.Fatal(err)
	}
	var cur []Record
	for _, r := range idx.Certs {
		if r.Name == name && r.SupersededBy == "" && r.RevokedAt == nil {
			cur = append(cur, r)
		}
	}
	if len(cur) != 1 {
		t.Fatalf("%d current records for %s, want 1: %+v", len(cur), name, cur)
	}
	return cur[0]
}

func assertDeployedMatches(t *testing.T, r Record) {
	t.Helper()
	serial, cert := deployedSerial(r.CertPath)
	if serial != r.Serial {
		t.Fatalf("deployed serial %s, current record %s", serial, r.Serial)
	}
	data, err := os.ReadFile(r.KeyPath)
	if err != nil {
		t.Fatal(err)
	}
	key, err := parseKeyPEM(data)
	if err != nil || !publicKeysEqual(key.Public(), cert.PublicKey) {
		t.Fatalf("key %s does not match certificate %s", r.KeyPath, r.CertPath)
	}
}

// reissueCrashedAt issues client c1 in a new CA, then force-reissues it with
// a simulated kill at step (ca.crashAt is left set); it returns the CA, its
// directory and c1's record from before the reissue.
func reissueCrashedAt(t *testing.T, step string) (*CA, string, Record) {
	t.Helper()
	ca, dir := newTestCA(t, InitOptions{})
	if _, err := ca.IssueClient(ClientRequest{Name: "c1"}); err != nil {
		t.Fatal(err)
	}
	old := currentOf(t, ca, "c1")
	ca.crashAt = step
	if _, err := ca.IssueClient(ClientRequest{Name: "c1", Force: true}); err != errCrash {
		t.Fatalf("err = %v, want the simulated crash", err)
	}
	return ca, dir, old
}

// A kill after the key was renamed into place but before the certificate
// (the state the red team found: new key, old certificate) is reported by
// Check and rolled forward by Doctor.
func TestDoctorRollsForwardIssueKilledBetweenKeyAndCert(t *testing.T) {
	ca, _, old := reissueCrashedAt(t, "key")
	problems, err := ca.Check()
	if err != nil || len(problems) == 0 || !strings.Contains(strings.Join(problems, "\n"), "interrupted issue") {
		t.Fatalf("Check = %v, %v; want the interrupted issue", problems, err)
	}
	ca.crashAt = ""
	actions, remaining, err := ca.Doctor()
	if err != nil || len(remaining) != 0 || len(actions) != 1 || !strings.HasPrefix(actions[0], "completed") {
		t.Fatalf("Doctor = %v, %v, %v", actions, remaining, err)
	}
	cur := currentOf(t, ca, "c1")
	if cur.Serial == old.Serial || cur.Pending {
		t.Fatalf("current record %+v, want the committed new one", cur)
	}
	assertDeployedMatches(t, cur)
}

// A renewal killed right after its intent is completed by the next writer
// (here a revoke), which then finds the renewed serial.
func TestNextWriterCompletesRenewalKilledAfterIntent(t *testing.T) {
	dir := t.TempDir()
	ca, err := Init(dir, InitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ca.IssueBroker(BrokerRequest{Name: "b1", Hosts: []string{"kafka-1"}}); err != nil {
		t.Fatal(err)
	}
	old := currentOf(t, ca, "b1")
	ca.crashAt = "intent"
	if _, err := ca.Renew(t.Context(), RenewRequest{Name: "b1"}); err != errCrash {
		t.Fatalf("err = %v, want the simulated crash", err)
	}
	if serial, _ := deployedSerial(old.CertPath); serial != old.Serial {
		t.Fatalf("deployed %s before deploy step, want old %s", serial, old.Serial)
	}
	ca.crashAt = ""
	if _, _, err := ca.CRL(24 * time.Hour); err != nil {
		t.Fatal(err)
	}
	cur := currentOf(t, ca, "b1")
	if cur.Renews != old.Serial || cur.Pending {
		t.Fatalf("current %+v, want the committed renewal of %s", cur, old.Serial)
	}
	assertDeployedMatches(t, cur)
	if p, _ := ca.Check(); len(p) != 0 {
		t.Fatalf("Check after recovery: %v", p)
	}
}

// A pending record whose staged files are gone (and another certificate
// deployed) is rolled back; temporaries, staged files and orphan copies
// are removed.
func TestDoctorRollsBackAndRemovesLeftovers(t *testing.T) {
	ca, dir, old := reissueCrashedAt(t, "intent")
	ca.crashAt = ""
	idx, _ := loadIndex(dir)
	var pending Record
	for _, r := range idx.Certs {
		if r.Pending {
			pending = r
		}
	}
	for _, f := range deployOrder(recPaths(pending)) {
		os.Remove(stagedPath(f, pending.Serial))
	}
	issued := filepath.Dir(old.CertPath)
	leftovers := []string{
		filepath.Join(issued, ".c1-key.pem.tmp-123456"),
		filepath.Join(issued, "c2.pem.pending-0A1B"),
		filepath.Join(dir, ".index.json.tmp-42"),
		filepath.Join(dir, CertsDir, "0ABCDEF0.pem"),
	}
	for _, f := range leftovers {
		os.WriteFile(f, []byte("x"), 0o600)
	}
	problems, _ := ca.Check()
	if len(problems) != 1+len(leftovers) {
		t.Fatalf("Check = %q, want the pending record and %d leftovers", problems, len(leftovers))
	}
	actions, remaining, err := ca.Doctor()
	if err != nil || len(remaining) != 0 || !strings.HasPrefix(actions[0], "rolled back") {
		t.Fatalf("Doctor = %q, %v, %v", actions, remaining, err)
	}
	for _, f := range append(leftovers, filepath.Join(dir, filepath.FromSlash(pending.Copy))) {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("%s not removed", f)
		}
	}
	if cur := currentOf(t, ca, "c1"); cur.Serial != old.Serial {
		t.Fatalf("current %s, want the old %s kept", cur.Serial, old.Serial)
	}
	assertDeployedMatches(t, old)
}
