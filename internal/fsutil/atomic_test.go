package fsutil

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteFileAtomicSetsModeDespiteUmaskAndLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "secret.password")
	if err := WriteFileAtomic(path, []byte("old"), SecretPerm); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(path, []byte("new"), SecretPerm); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "new" {
		t.Fatalf("content = %q, %v; want new", got, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, want 0600", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("directory holds %d entries, want only the file (no temporaries)", len(entries))
	}
}

func TestWriteFileAtomicFailureKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := WriteFileAtomic(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A directory in the way of the rename makes the write fail after the
	// temporary file was written.
	if err := WriteFileAtomic(filepath.Join(dir, "missing", "f"), []byte("x"), 0o644); err == nil {
		t.Fatal("write into a missing directory succeeded")
	}
	got, _ := os.ReadFile(path)
	if string(got) != "old" {
		t.Fatalf("old file changed to %q", got)
	}
}

func TestCheckNotExistRefusesExistingPath(t *testing.T) {
	dir := t.TempDir()
	if err := CheckNotExist(filepath.Join(dir, "absent")); err != nil {
		t.Fatalf("absent path: %v", err)
	}
	err := CheckNotExist(dir)
	if !errors.Is(err, ErrExists) {
		t.Fatalf("existing path: err = %v, want ErrExists", err)
	}
}

// A staged file is written beside its final name, complete and 0600, and
// the final name appears only with the caller's rename, after Sync.
func TestStagingWritesCompleteTemporaryFilesAndLeavesTheFinalNamesAlone(t *testing.T) {
	dir := t.TempDir()
	final := filepath.Join(dir, "u.password")
	if err := os.WriteFile(final, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := Stage(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tmps := map[string]string{}
	for _, name := range []string{"u.password", "u.properties"} {
		tmp, err := st.Write(filepath.Join(dir, name), []byte("new "+name+"\n"), SecretPerm)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Dir(tmp) != dir || !strings.HasPrefix(filepath.Base(tmp), "."+name+".tmp-") {
			t.Errorf("temporary file %s is not .%s.tmp-* beside it", tmp, name)
		}
		fi, err := os.Stat(tmp)
		if err != nil || fi.Mode().Perm() != SecretPerm {
			t.Fatalf("%s: %v, mode %v; want 0600", tmp, err, fi.Mode().Perm())
		}
		tmps[name] = tmp
	}
	if got, _ := os.ReadFile(final); string(got) != "old\n" {
		t.Errorf("the final name changed before the rename: %q", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "u.properties")); !os.IsNotExist(err) {
		t.Errorf("u.properties exists before the rename: %v", err)
	}
	if err := st.Sync(); err != nil {
		t.Fatal(err)
	}
	for name, tmp := range tmps {
		if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(filepath.Join(dir, name)); string(got) != "new "+name+"\n" {
			t.Errorf("%s holds %q", name, got)
		}
	}
}

func TestStagingRefusesAFileOfAnotherDirectory(t *testing.T) {
	dir := t.TempDir()
	st, err := Stage(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Write(filepath.Join(dir, "sub", "f"), []byte("x"), SecretPerm); err == nil {
		t.Fatal("a file outside the staging directory was written")
	}
	if _, err := Stage(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("staging into a missing directory started")
	}
}

// The per-file fallback (other platforms, old Linux kernels) fsyncs every
// staged file and fails when one cannot be synced: the batch is then not
// durable and must not be renamed into place.
func TestFsyncEachSyncsEveryFileAndReportsOneItCannot(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for _, name := range []string{"a", "b"} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(name), 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, path)
	}
	if err := fsyncEach(files); err != nil {
		t.Fatal(err)
	}
	if err := fsyncEach(append(files, filepath.Join(dir, "gone"))); err == nil {
		t.Fatal("a file that cannot be synced was not reported")
	}
}
