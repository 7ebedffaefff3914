package fsutil

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadSecretFileRefusesSymlinks(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "attacker-chosen")
	os.WriteFile(target, []byte("planted-password"), 0o600)
	link := filepath.Join(dir, "alice.password")
	if err := os.Symlink(target, link); err != nil {
		t.Skip(err)
	}
	if _, err := ReadSecretFile(link); !errors.Is(err, ErrSymlink) {
		t.Fatalf("err = %v, want ErrSymlink", err)
	}
	if data, err := ReadSecretFile(target); err != nil || string(data) != "planted-password" {
		t.Fatalf("regular file: %q, %v", data, err)
	}
	if _, err := ReadSecretFile(dir); err == nil {
		t.Fatal("a directory was read as a secret")
	}
}

func TestCheckDirNotWritableByOthers(t *testing.T) {
	dir := t.TempDir()
	for mode, bad := range map[os.FileMode]bool{0o700: false, 0o755: false, 0o775: true, 0o777: true, 0o1777: true} {
		os.Chmod(dir, mode)
		err := CheckDirNotWritableByOthers(dir, "ca dir")
		if (err != nil) != bad || (bad && !strings.Contains(err.Error(), "group or others may write it")) {
			t.Errorf("mode %04o: %v", mode, err)
		}
	}
	if err := CheckDirNotWritableByOthers(filepath.Join(dir, "missing"), "x"); err != nil {
		t.Errorf("missing dir: %v", err)
	}
}
