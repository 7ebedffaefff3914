package cluster

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseProperties: any bytes are properties or an error, never a panic;
// a value written with EscapePropertyValue reads back unchanged.
func FuzzParseProperties(f *testing.F) {
	files, _ := filepath.Glob("../../testdata/properties/java/*.properties")
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data, "v")
		}
	}
	f.Add([]byte("a=b\\\r\n c\rd:e\n#x\\\n"), "p\u00e4ss w\\rd")
	f.Fuzz(func(t *testing.T, data []byte, value string) {
		ParseProperties(bytes.NewReader(data), "f")
		props, err := ParseProperties(bytes.NewReader([]byte("k="+EscapePropertyValue(value)+"\n")), "g")
		if err != nil {
			t.Fatalf("escaped value %q: %v", value, err)
		}
		want := string(bytes.ToValidUTF8([]byte(value), []byte("\uFFFD")))
		if props["k"] != want {
			t.Fatalf("round trip %q -> %q", value, props["k"])
		}
	})
}
