package fsutil

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestReadFileAtMost(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		limit int64
		data  string
		over  bool
	}{{10, "0123456789", false}, {11, "0123456789", false}, {9, "012345678", true}, {0, "", true}} {
		data, over, err := ReadFileAtMost(p, tc.limit)
		if err != nil || string(data) != tc.data || over != tc.over {
			t.Errorf("limit %d: %q %v %v", tc.limit, data, over, err)
		}
	}
	// A device that never ends is cut at the limit.
	if _, err := os.Stat("/dev/zero"); err == nil {
		data, over, err := ReadFileAtMost("/dev/zero", 1<<20)
		if err != nil || len(data) != 1<<20 || !over {
			t.Errorf("/dev/zero: %d bytes, over %v, %v", len(data), over, err)
		}
	}
	if _, _, err := ReadFileAtMost(filepath.Join(t.TempDir(), "missing"), 1); !os.IsNotExist(err) {
		t.Errorf("missing: %v", err)
	}
}

// A regular file is read into one buffer of its size, whatever the limit
// above it; around the limit the result is the same as for a small file.
func TestReadFileAtMostRegularFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	want := make([]byte, 3<<20+7)
	for i := range want {
		want[i] = byte(i * 7)
	}
	if err := os.WriteFile(p, want, 0o600); err != nil {
		t.Fatal(err)
	}
	size := int64(len(want))
	for _, limit := range []int64{size - 1, size, size + 1, 1 << 40} {
		data, over, err := ReadFileAtMost(p, limit)
		n := min(size, limit)
		if err != nil || !bytes.Equal(data, want[:n]) || over != (limit < size) {
			t.Errorf("limit %d: %d bytes, over %v, %v; want %d bytes, over %v", limit, len(data), over, err, n, limit < size)
		}
		if limit >= size && int64(cap(data)) > size+1 {
			t.Errorf("limit %d: read into a buffer of %d bytes for a file of %d", limit, cap(data), size)
		}
	}
}

func TestReadFileLimit(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, make([]byte, 1<<20+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if data, err := ReadFileLimit(p, 2<<20, "a thing"); err != nil || len(data) != 1<<20+1 {
		t.Errorf("under the limit: %d bytes, %v", len(data), err)
	}
	if _, err := ReadFileLimit(p, 1<<20, "a thing"); err == nil || err.Error() != p+": larger than 1 MiB, too large for a thing" {
		t.Errorf("over 1 MiB: %v", err)
	}
	if _, err := ReadFileLimit(p, 1000, "a thing"); err == nil || err.Error() != p+": larger than 1000 bytes, too large for a thing" {
		t.Errorf("over 1000 bytes: %v", err)
	}
}
