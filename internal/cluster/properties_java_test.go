package cluster

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode/utf16"
)

// javaEscape writes s as the golden files do: every UTF-16 code unit below
// 0x20, above 0x7e, or a backslash as \uXXXX.
func javaEscape(s string) string {
	var b strings.Builder
	for _, u := range utf16.Encode([]rune(s)) {
		if u < 0x20 || u == '\\' || u > 0x7e {
			fmt.Fprintf(&b, `\u%04x`, u)
		} else {
			b.WriteRune(rune(u))
		}
	}
	return b.String()
}

// The *.java.tsv files are what java.util.Properties.load(InputStream)
// (JDK 17, as Kafka's tools load --command-config) made of each file: CR-only
// line ends, CRLF continuations, ISO-8859-1 bytes (UTF-8 text arrives as its
// bytes), a BOM as three characters of the first key, separators, comments
// that a continuation does not start, surrogate pairs.
func TestPropertiesMatchJavaPropertiesLoad(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/properties/java/*.properties")
	if len(files) < 8 {
		t.Fatalf("%d golden files", len(files))
	}
	for _, f := range files {
		want, err := os.ReadFile(strings.TrimSuffix(f, ".properties") + ".java.tsv")
		if err != nil {
			t.Fatal(err)
		}
		r, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		props, err := ParseProperties(r, f)
		r.Close()
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		keys := make([]string, 0, len(props))
		for k := range props {
			keys = append(keys, k)
		}
		sort.Strings(keys) // Java's TreeMap order, for these keys
		var lines []string
		for _, k := range keys {
			lines = append(lines, javaEscape(k)+"\t"+javaEscape(props[k])+"\n")
		}
		if got := strings.Join(lines, ""); got != string(want) {
			t.Errorf("%s:\ngot\n%s\nwant (Java)\n%s", filepath.Base(f), got, want)
		}
	}
}

func TestMisspelledAndBOMKeysAreWarned(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "client.properties")
	os.WriteFile(p, []byte("\xef\xbb\xbfsecurity.protocol=SASL_SSL\nbootstrap.servers=b:9092\nssl.truststore.locaton=/ca.jks\nclient.id=x\nsasl.mechansim=PLAIN\n"), 0o600)
	cfg, err := LoadConfig("", p)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		p + `:1: the file starts with a UTF-8 byte order mark, which Java reads as part of the key "security.protocol": Kafka clients ignore security.protocol (save the file without a BOM)`,
		p + `:3: unknown key "ssl.truststore.locaton" (did you mean "ssl.truststore.location"?): Kafka clients ignore it too`,
		p + `:5: unknown key "sasl.mechansim" (did you mean "sasl.mechanism"?): Kafka clients ignore it too`,
	}
	if strings.Join(cfg.Warnings, "\n") != strings.Join(want, "\n") {
		t.Fatalf("warnings:\n%s\nwant\n%s", strings.Join(cfg.Warnings, "\n"), strings.Join(want, "\n"))
	}
	// As in Java, the BOM'd key is not security.protocol: PLAINTEXT.
	if cfg.SecurityProtocol != "PLAINTEXT" {
		t.Errorf("security protocol %s, want PLAINTEXT (as a Java client reads the file)", cfg.SecurityProtocol)
	}
}
