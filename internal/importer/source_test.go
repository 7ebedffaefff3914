package importer

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/kafkaguard/kafkaguard/inventory"
)

// Source files are read up to the binding limit's file size (512 bytes a
// binding): a file at it is parsed, one past it or a path that never ends
// is refused before parsing, naming the file and the limit.
func TestReadFilesIsBoundedByTheBindingLimit(t *testing.T) {
	limits := inventory.Limits{MaxBindings: 4} // 2,048 bytes
	dir := t.TempDir()
	at, past := filepath.Join(dir, "at.txt"), filepath.Join(dir, "past.txt")
	if err := os.WriteFile(at, make([]byte, 2048), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(past, make([]byte, 2049), 0o600); err != nil {
		t.Fatal(err)
	}
	var parsed []int
	parse := func(_ string, data []byte) (Input, error) {
		parsed = append(parsed, len(data))
		return Input{}, nil
	}
	logf := func(string, ...any) {}
	if _, err := readFiles("kafka-acls", []string{at}, limits, parse, logf); err != nil || len(parsed) != 1 || parsed[0] != 2048 {
		t.Errorf("at the limit: parsed %v, %v", parsed, err)
	}
	paths := []string{past}
	if _, err := os.Stat("/dev/zero"); err == nil {
		paths = append(paths, "/dev/zero")
	}
	for _, p := range paths {
		parsed = nil
		_, err := readFiles("kafka-acls", []string{p}, limits, parse, logf)
		var tooLarge *inventory.BindingFileError
		if !errors.As(err, &tooLarge) || err.Error() != p+": larger than 2,048 bytes, too large for an import source" || parsed != nil {
			t.Errorf("%s: parsed %v, %v", p, parsed, err)
		}
	}
}
