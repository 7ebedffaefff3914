package pki

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func listNames(t *testing.T, ca *CA) []string {
	t.Helper()
	list, err := ca.List(time.Now(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range list {
		s := c.Name + ":" + c.Serial
		if c.SupersededBy != "" {
			s += ">" + c.SupersededBy
		}
		out = append(out, s)
	}
	return out
}

// An issue or renewal adds one record file and rewrites no index; reading
// puts the record files in issue order after index.json's and links what
// each one replaced, the same as a compaction then stores in index.json.
func TestIssueWritesARecordFileAndLeavesIndexJSONAlone(t *testing.T) {
	ca, dir := newTestCA(t, InitOptions{})
	before, err := os.ReadFile(filepath.Join(dir, IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	a1, _ := ca.IssueClient(ClientRequest{Name: "a"})
	b1, _ := ca.IssueBroker(BrokerRequest{Name: "b", Hosts: []string{"kafka-1"}})
	a2, err := ca.IssueClient(ClientRequest{Name: "a", Force: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err := ca.Renew(t.Context(), RenewRequest{Name: "b"})
	if err != nil || len(res.Renewed) != 1 {
		t.Fatalf("Renew = %v, %v", res, err)
	}
	b2 := res.Renewed[0]
	after, _ := os.ReadFile(filepath.Join(dir, IndexFile))
	if !bytes.Equal(before, after) {
		t.Fatalf("index.json rewritten by issue/renew:\n%s", after)
	}
	want := []string{"a:" + a1.Serial + ">" + a2.Serial, "b:" + b1.Serial + ">" + b2.Serial, "a:" + a2.Serial, "b:" + b2.Serial}
	if got := listNames(t, ca); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("List = %v, want %v", got, want)
	}
	for _, s := range []string{a1.Serial, b1.Serial, a2.Serial, b2.Serial} {
		data, err := os.ReadFile(filepath.Join(dir, CertsDir, s+".pem"))
		if err != nil || !isRecordFile(data) {
			t.Fatalf("record file of %s: %v", s, err)
		}
	}
	// A compaction (revoke) stores the same records and links in index.json.
	if _, err := ca.Revoke(RevokeRequest{Serial: a2.Serial}); err != nil {
		t.Fatal(err)
	}
	idx, err := readIndexFile(dir)
	if err != nil || idx.Version != indexVersion || len(idx.Certs) != 4 {
		t.Fatalf("index.json after revoke: %+v, %v", idx, err)
	}
	if idx.Certs[0].SupersededBy != a2.Serial || idx.Certs[1].SupersededBy != b2.Serial || idx.Certs[2].RevokedAt == nil {
		t.Fatalf("compacted records lost a link or the revocation: %+v", idx.Certs)
	}
	if got := listNames(t, ca); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("List after compaction = %v, want %v", got, want)
	}
	// Issued after the compaction: linked to the compacted records, except
	// a revoked one (as its commit would have done).
	a3, _ := ca.IssueClient(ClientRequest{Name: "a", Force: true})
	got := listNames(t, ca)
	if len(got) != 5 || got[2] != "a:"+a2.Serial || got[4] != "a:"+a3.Serial {
		t.Fatalf("List = %v: the revoked a must stay unlinked, a3 last", got)
	}
}

// writeV1CA turns dir into what kafkaguard wrote before record files: every
// record in index.json version 1 and plain PEM copies in certs/.
func writeV1CA(t *testing.T, dir string) {
	t.Helper()
	idx, err := loadIndex(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range idx.Certs {
		r := &idx.Certs[i]
		cert := idx.certs[r.Serial]
		if cert == nil {
			t.Fatalf("no certificate for %s", r.Serial)
		}
		os.WriteFile(filepath.Join(dir, CertsDir, r.Serial+".pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o644)
		r.Seq, r.PKCS12SHA256 = 0, ""
	}
	idx.Version = legacyIndexVersion
	data, _ := json.MarshalIndent(idx, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, IndexFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(dir, txnDir))
	os.Remove(filepath.Join(dir, sequenceFile))
}

// A CA directory written by the previous release is read as it is; the
// first command that writes migrates index.json to version 2 (the same
// records) and completes the pending record version 1 kept in it.
func TestVersion1CAIsReadAndMigratedByTheFirstWrite(t *testing.T) {
	ca, dir := newTestCA(t, InitOptions{})
	c1, _ := ca.IssueClient(ClientRequest{Name: "c1", OUs: []string{"eng"}})
	b1, _ := ca.IssueBroker(BrokerRequest{Name: "b1", Hosts: []string{"kafka-1"}})
	c2, err := ca.IssueClient(ClientRequest{Name: "c1", OUs: []string{"eng"}, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	want := listNames(t, ca)
	writeV1CA(t, dir)
	v1, _ := os.ReadFile(filepath.Join(dir, IndexFile))

	ca, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := listNames(t, ca); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("List of the version 1 CA = %v, want %v", got, want)
	}
	if p, err := ca.Check(); err != nil || len(p) != 0 {
		t.Fatalf("Check of the version 1 CA = %v, %v", p, err)
	}
	if now, _ := os.ReadFile(filepath.Join(dir, IndexFile)); !bytes.Equal(now, v1) {
		t.Fatal("reading rewrote index.json")
	}
	d1, err := ca.IssueClient(ClientRequest{Name: "d1"})
	if err != nil {
		t.Fatal(err)
	}
	idx, err := readIndexFile(dir)
	if err != nil || idx.Version != indexVersion || len(idx.Certs) != 3 {
		t.Fatalf("index.json after the first write: version %d, %d records, %v; want version 2 with the 3 old records", idx.Version, len(idx.Certs), err)
	}
	want = append(want, "d1:"+d1.Serial)
	if got := listNames(t, ca); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("List after migration = %v, want %v", got, want)
	}
	if _, err := ca.Revoke(RevokeRequest{Serial: c1.Serial}); err != nil {
		t.Fatalf("revoke a version 1 record: %v", err)
	}
	if _, err := ca.Renew(t.Context(), RenewRequest{Name: b1.Name}); err != nil {
		t.Fatalf("renew a version 1 record: %v", err)
	}
	if cur := currentOf(t, ca, "c1"); cur.Serial != c2.Serial {
		t.Fatalf("current c1 %s, want %s", cur.Serial, c2.Serial)
	}
}

// A pending record in a version 1 index.json (the previous release's
// transaction, killed after its intent) is completed by the migration.
func TestMigrationCompletesAVersion1PendingRecord(t *testing.T) {
	ca, dir, old := reissueCrashedAt(t, "intent")
	ca.crashAt = ""
	idx, err := loadIndex(dir)
	if err != nil {
		t.Fatal(err)
	}
	var pending Record
	for _, r := range idx.Certs {
		if r.Pending {
			pending = r
		}
	}
	// The record file becomes version 1's pending record and plain copy.
	os.Remove(filepath.Join(dir, txnDir, pending.Serial+".pem"))
	writeV1CA(t, dir)
	idx, _ = readIndexFile(dir)
	idx.Certs = append(idx.Certs, pending)
	idx.certs = nil
	data, _ := json.MarshalIndent(idx, "", "  ")
	os.WriteFile(filepath.Join(dir, IndexFile), data, 0o644)
	cert, err := ReadCertificate(stagedPath(pending.CertPath, pending.Serial))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, filepath.FromSlash(pending.Copy)), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o644)

	if p, _ := ca.Check(); len(p) != 3 || !strings.Contains(p[0], "interrupted issue") {
		t.Fatalf("Check = %q, want the interrupted issue and its two staged files", p)
	}
	actions, remaining, err := ca.Doctor()
	if err != nil || len(remaining) != 0 || len(actions) != 1 || !strings.HasPrefix(actions[0], "completed") {
		t.Fatalf("Doctor = %q, %q, %v", actions, remaining, err)
	}
	cur := currentOf(t, ca, "c1")
	if cur.Serial != pending.Serial || cur.Serial == old.Serial {
		t.Fatalf("current c1 %s, want the completed %s", cur.Serial, pending.Serial)
	}
	assertDeployedMatches(t, cur)
	if idx, _ := readIndexFile(dir); idx.Version != indexVersion {
		t.Fatalf("index.json version %d after doctor, want %d", idx.Version, indexVersion)
	}
}

// TestReadIndexHeader covers both ways the header is read: the prefix that
// idx.save writes, and the JSON decoder for anything else.
func TestReadIndexHeader(t *testing.T) {
	for _, c := range []struct {
		data    string
		version int
		err     string
	}{
		{"{\n  \"version\": 2,\n  \"ca_serial\": \"01\",\n  \"certs\": []\n}\n", 2, ""},
		{"{\n  \"version\": 1,\n  \"certs\": []\n}\n", 1, ""},
		{`{"version":2,"certs":[]}`, 2, ""},
		{"{ \"version\" : 1 }", 1, ""},
		{"{\n  \"version\": 20,\n  \"certs\": []\n}\n", 0, "unsupported version 20"},
		{`{"version":3}`, 0, "unsupported version 3"},
		{`{"certs":[],"version":2}`, 0, "corrupt: no version"},
		{`[]`, 0, "corrupt: not a JSON object"},
		{"", 0, "corrupt: EOF"},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, IndexFile), []byte(c.data), 0o644); err != nil {
			t.Fatal(err)
		}
		h, err := readIndexHeader(dir)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want %q", c.data, err, c.err)
			}
			continue
		}
		if err != nil || h.version != c.version || h.absent {
			t.Errorf("%q: %+v %v, want version %d", c.data, h, err, c.version)
		}
	}
	idx := &index{Version: indexVersion, CASerial: "0A"}
	dir := t.TempDir()
	if err := idx.save(dir); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, IndexFile)); !bytes.HasPrefix(data, []byte("{\n  \"version\": 2,\n")) {
		t.Errorf("idx.save no longer writes the prefix readIndexHeader looks for first: %.40q", data)
	}
}
