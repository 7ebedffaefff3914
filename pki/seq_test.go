package pki

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// seqMarkers lists DIR/txn's seq markers.
func seqMarkers(t *testing.T, dir string) []string {
	t.Helper()
	names, err := readDirNames(filepath.Join(dir, txnDir))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range names {
		if seqMarkerRE.MatchString(n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

func removeSeqMarkers(t *testing.T, dir string) {
	t.Helper()
	for _, n := range seqMarkers(t, dir) {
		if err := os.Remove(filepath.Join(dir, txnDir, n)); err != nil {
			t.Fatal(err)
		}
	}
}

// seqOf is the seq of serial's record.
func seqOf(t *testing.T, dir, serial string) int64 {
	t.Helper()
	idx, err := loadIndex(dir)
	if err != nil {
		t.Fatal(err)
	}
	r := idx.find(serial)
	if r == nil {
		t.Fatalf("no record %s", serial)
	}
	return r.Seq
}

func issueSeq(t *testing.T, ca *CA, dir, name string) int64 {
	t.Helper()
	is, err := ca.IssueClient(ClientRequest{Name: name, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	return seqOf(t, dir, is.Serial)
}

// Each issue renames the one marker to its record's seq; the marker is no
// leftover for list or doctor, and no DIR/sequence is written.
func TestSeqMarkerFollowsIssues(t *testing.T) {
	ca, dir := newTestCA(t, InitOptions{})
	for i, name := range []string{"a", "b", "a"} {
		seq := issueSeq(t, ca, dir, name)
		if seq != int64(i+1) {
			t.Fatalf("issue %d: seq %d", i+1, seq)
		}
		if got, want := seqMarkers(t, dir), []string{seqMarkerName(seq)}; !slices.Equal(got, want) {
			t.Fatalf("markers after issue %d: %q, want %q", i+1, got, want)
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, sequenceFile)); !os.IsNotExist(err) {
		t.Fatalf("DIR/sequence written: %v", err)
	}
	if p, err := ca.Check(); err != nil || len(p) != 0 {
		t.Fatalf("Check = %q, %v: the marker is no leftover", p, err)
	}
	if _, remaining, err := ca.Doctor(); err != nil || len(remaining) != 0 {
		t.Fatalf("Doctor: %q, %v", remaining, err)
	}
	if got := seqMarkers(t, dir); len(got) != 1 {
		t.Fatalf("markers after doctor: %q", got)
	}
	if seq := issueSeq(t, ca, dir, "c"); seq != 4 {
		t.Fatalf("seq after doctor %d, want 4", seq)
	}
}

// A CA of an earlier version keeps the number in DIR/sequence: the next
// issue numbers on from it (or from the records, if they are further),
// creates the marker and removes the file.
func TestSequenceFileOfEarlierVersionsIsReplacedByTheMarker(t *testing.T) {
	for _, c := range []struct {
		file string
		want int64
	}{
		{"00000000000000000041\n", 42}, // the file is further than the records
		{"00000000000000000001\n", 4},  // the records are further
		{"garbage", 4},
	} {
		ca, dir := newTestCA(t, InitOptions{})
		issueSeq(t, ca, dir, "a")
		issueSeq(t, ca, dir, "b")
		issueSeq(t, ca, dir, "c")
		removeSeqMarkers(t, dir)
		if err := os.WriteFile(filepath.Join(dir, sequenceFile), []byte(c.file), 0o644); err != nil {
			t.Fatal(err)
		}
		ca, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		if seq := issueSeq(t, ca, dir, "d"); seq != c.want {
			t.Errorf("sequence %q: seq %d, want %d", c.file, seq, c.want)
		}
		if got, want := seqMarkers(t, dir), []string{seqMarkerName(c.want)}; !slices.Equal(got, want) {
			t.Errorf("sequence %q: markers %q, want %q", c.file, got, want)
		}
		if _, err := os.Lstat(filepath.Join(dir, sequenceFile)); !os.IsNotExist(err) {
			t.Errorf("sequence %q: DIR/sequence still there (%v)", c.file, err)
		}
		if seq := issueSeq(t, ca, dir, "e"); seq != c.want+1 {
			t.Errorf("sequence %q: next seq %d, want %d", c.file, seq, c.want+1)
		}
	}
}

// Several markers (a copied directory): the largest counts, the others go.
func TestSeveralSeqMarkersTheLargestCounts(t *testing.T) {
	ca, dir := newTestCA(t, InitOptions{})
	issueSeq(t, ca, dir, "a")
	for _, seq := range []int64{7, 0} {
		if err := os.WriteFile(filepath.Join(dir, txnDir, seqMarkerName(seq)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if seq := issueSeq(t, ca, dir, "b"); seq != 8 {
		t.Fatalf("seq %d, want 8", seq)
	}
	if got, want := seqMarkers(t, dir), []string{seqMarkerName(8)}; !slices.Equal(got, want) {
		t.Fatalf("markers %q, want %q", got, want)
	}
}

// An intent whose seq is past the marker (written by an earlier version,
// or a marker that was renamed back) moves the marker when recovery
// completes it, so that the next issue numbers on from it.
func TestRecoveryAdvancesTheSeqMarker(t *testing.T) {
	ca, dir := newTestCA(t, InitOptions{})
	issueSeq(t, ca, dir, "a")
	ca.crashAt = "intent"
	if _, err := ca.IssueClient(ClientRequest{Name: "b"}); err != errCrash {
		t.Fatalf("err = %v, want the simulated crash", err)
	}
	ca.crashAt = ""
	if err := os.Rename(filepath.Join(dir, txnDir, seqMarkerName(2)), filepath.Join(dir, txnDir, seqMarkerName(1))); err != nil {
		t.Fatal(err)
	}
	if seq := issueSeq(t, ca, dir, "c"); seq != 3 {
		t.Fatalf("seq after recovery %d, want 3", seq)
	}
	if got := listNames(t, ca); len(got) != 3 {
		t.Fatalf("List = %v, want a, b (completed) and c", got)
	}
}

// init --force starts a new CA: the old one's marker goes with its records.
func TestInitForceRemovesTheSeqMarker(t *testing.T) {
	ca, dir := newTestCA(t, InitOptions{})
	issueSeq(t, ca, dir, "a")
	issueSeq(t, ca, dir, "b")
	ca, err := Init(dir, InitOptions{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := seqMarkers(t, dir); len(got) != 0 {
		t.Fatalf("markers after init --force: %q", got)
	}
	if seq := issueSeq(t, ca, dir, "c"); seq != 1 {
		t.Fatalf("first seq of the new CA %d, want 1", seq)
	}
}
