package pki

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
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
	if _, err := ca.IssueClient(ClientRequest{Name: "c1", Force: true}); !errors.Is(err, errCrash) {
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

// An issue killed while staging (its chain never written) is undone by the
// next writer: nothing of it was deployed, the old certificate stays.
func TestNextWriterUndoesIssueKilledWhileStaging(t *testing.T) {
	ca, dir, old := reissueCrashedAt(t, "staging")
	ca.crashAt = ""
	if p, _ := ca.Check(); len(p) == 0 || !strings.Contains(p[0], "interrupted issue") {
		t.Fatalf("Check = %q, want the interrupted issue", p)
	}
	if _, err := ca.IssueClient(ClientRequest{Name: "other"}); err != nil {
		t.Fatal(err)
	}
	if cur := currentOf(t, ca, "c1"); cur.Serial != old.Serial {
		t.Fatalf("current c1 %s, want the old %s", cur.Serial, old.Serial)
	}
	assertDeployedMatches(t, old)
	names, _ := readDirNames(filepath.Join(dir, txnDir))
	if names = slices.DeleteFunc(names, seqMarkerRE.MatchString); len(names) != 0 { // the seq marker stays
		t.Fatalf("txn/ still holds %v", names)
	}
	if p, _ := ca.Check(); len(p) != 0 {
		t.Fatalf("Check after recovery = %q", p)
	}
}

// An issue killed after its files were deployed but before its record was
// committed is committed by the next writer.
func TestNextWriterCommitsIssueKilledAfterDeploy(t *testing.T) {
	ca, _, old := reissueCrashedAt(t, "deployed")
	ca.crashAt = ""
	if _, err := ca.IssueClient(ClientRequest{Name: "other"}); err != nil {
		t.Fatal(err)
	}
	cur := currentOf(t, ca, "c1")
	if cur.Serial == old.Serial || cur.Pending {
		t.Fatalf("current c1 %+v, want the committed new one", cur)
	}
	assertDeployedMatches(t, cur)
}

// A transaction record cut short before its fsync (it does not parse) is
// removed; doctor says so.
func TestDoctorRemovesAnIncompleteTransactionRecord(t *testing.T) {
	ca, dir := newTestCA(t, InitOptions{})
	path := filepath.Join(dir, txnDir, "0A1B2C.pem")
	os.WriteFile(path, []byte(`{"seq":1,"ser`), 0o644)
	if p, _ := ca.Check(); len(p) != 1 || !strings.Contains(p[0], path) {
		t.Fatalf("Check = %q, want the leftover record", p)
	}
	actions, remaining, err := ca.Doctor()
	if err != nil || len(remaining) != 0 || len(actions) != 1 || !strings.Contains(actions[0], "incomplete transaction record") {
		t.Fatalf("Doctor = %q, %q, %v", actions, remaining, err)
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("incomplete record not removed")
	}
}

// Should a power loss keep a commit but lose the renames before it (a file
// system that does not order them), the staged files stay next to the old
// ones: doctor deploys them, since the record says they are current.
func TestDoctorDeploysStagedFilesOfACommittedRecord(t *testing.T) {
	ca, _ := newTestCA(t, InitOptions{})
	if _, err := ca.IssueClient(ClientRequest{Name: "c1"}); err != nil {
		t.Fatal(err)
	}
	old := currentOf(t, ca, "c1")
	oldKey, _ := os.ReadFile(old.KeyPath)
	oldChain, _ := os.ReadFile(old.CertPath)
	if _, err := ca.IssueClient(ClientRequest{Name: "c1", Force: true}); err != nil {
		t.Fatal(err)
	}
	cur := currentOf(t, ca, "c1")
	for f, data := range map[string][]byte{cur.KeyPath: oldKey, cur.CertPath: oldChain} {
		os.Rename(f, stagedPath(f, cur.Serial))
		os.WriteFile(f, data, 0o600)
	}
	actions, remaining, err := ca.Doctor()
	if err != nil || len(remaining) != 0 || len(actions) != 1 || !strings.HasPrefix(actions[0], "deployed the staged files") {
		t.Fatalf("Doctor = %q, %q, %v", actions, remaining, err)
	}
	assertDeployedMatches(t, cur)
}

// The seq marker lost: the next issue numbers on from the records.
func TestIssueOrderSurvivesALostSequenceFile(t *testing.T) {
	ca, dir := newTestCA(t, InitOptions{})
	a, _ := ca.IssueClient(ClientRequest{Name: "a"})
	b, _ := ca.IssueClient(ClientRequest{Name: "b"})
	removeSeqMarkers(t, dir)
	c, err := ca.IssueClient(ClientRequest{Name: "c"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a:" + a.Serial, "b:" + b.Serial, "c:" + c.Serial}
	if got := listNames(t, ca); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("List = %v, want %v", got, want)
	}
}

// init --force starts an empty index: the replaced CA's record files are
// not read as the new one's.
func TestInitForceDropsTheRecordFiles(t *testing.T) {
	ca, dir := newTestCA(t, InitOptions{})
	if _, err := ca.IssueClient(ClientRequest{Name: "a"}); err != nil {
		t.Fatal(err)
	}
	ca, err := Init(dir, InitOptions{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := listNames(t, ca); len(got) != 0 {
		t.Fatalf("List after init --force = %v, want none", got)
	}
}
