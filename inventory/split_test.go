package inventory

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// sameTree reports where two node trees differ (kind, tag, value, style,
// anchor, line and column of every node, and where each alias points), ""
// when they do not.
func sameTree(a, b *yaml.Node, path string) string {
	switch {
	case a == nil || b == nil:
		if a != b {
			return path + ": one node is nil"
		}
		return ""
	case a.Kind != b.Kind || a.Tag != b.Tag || a.Value != b.Value || a.Style != b.Style || a.Anchor != b.Anchor:
		return fmt.Sprintf("%s: %v %q %q %v &%s != %v %q %q %v &%s", path, a.Kind, a.Tag, a.Value, a.Style, a.Anchor, b.Kind, b.Tag, b.Value, b.Style, b.Anchor)
	case a.Line != b.Line || a.Column != b.Column:
		return fmt.Sprintf("%s (%q): at %d:%d != %d:%d", path, a.Value, a.Line, a.Column, b.Line, b.Column)
	case len(a.Content) != len(b.Content):
		return fmt.Sprintf("%s: %d children != %d", path, len(a.Content), len(b.Content))
	case (a.Alias == nil) != (b.Alias == nil):
		return path + ": one node is an alias"
	case a.Alias != nil && (a.Alias.Line != b.Alias.Line || a.Alias.Column != b.Alias.Column):
		return path + ": aliases point to different nodes"
	}
	for i := range a.Content {
		if d := sameTree(a.Content[i], b.Content[i], fmt.Sprintf("%s/%d", path, i)); d != "" {
			return d
		}
	}
	return ""
}

// checkSplit parses data whole and in up to n pieces: when the pieces are
// taken, the whole must parse to the same tree. It returns whether they
// were taken.
func checkSplit(t *testing.T, data []byte, n int) bool {
	t.Helper()
	got, ok := splitYAML(data, n)
	if !ok {
		return false
	}
	var want yaml.Node
	if err := yaml.Unmarshal(data, &want); err != nil {
		t.Fatalf("parsed in %d pieces, but the whole does not parse: %v\n%s", n, err, data)
	}
	if d := sameTree(&want, got, ""); d != "" {
		t.Fatalf("in %d pieces: %s\n%s", n, d, data)
	}
	return true
}

func TestSplitYAMLGenerated(t *testing.T) {
	data := genYAML(2000, 5000)
	for _, n := range []int{2, 3, 4, 7, 64, len(data)} {
		if !checkSplit(t, data, n) {
			t.Fatalf("the generated inventory was not split in %d pieces", n)
		}
	}
	// The whole pipeline: a large file loads as it did when parsed whole.
	inv, err := Parse("big.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	if p := inv.Principals[1234]; p.Source != "big.yaml:1237" {
		t.Errorf("principal %s from %s, want big.yaml:1237", p.Name, p.Source)
	}
	if g := inv.Grants[len(inv.Grants)-1]; g.Source != "big.yaml:11004" {
		t.Errorf("last grant from %s", g.Source)
	}
}

// splitCases are layouts a line-based split could misread: every one must
// either be left whole or parse in pieces to the tree the whole makes.
var splitCases = []string{
	"principals:\n  a: {auth: mtls,\n  team: x}\n  b: {auth: mtls}\n",
	"principals:\n  a: \"x\n  b: y\"\n  c: z\n",
	"principals:\n  a: 'x\n  b: y'\n  c: z\n",
	"principals:\n  a: |\n    x\n  b: y\n",
	"principals:\n  a: x\n  y\n  b: z\n",
	"principals:\n  ? a\n  : b\n  c: d\n",
	"principals:\n  a:\n  - x\n  - y\n  b: z\n",
	"principals:\n  a: &x {auth: mtls}\n  b: *x\n  c: *x\n",
	"grants:\n  - &g {principal: a}\n  - *g\n  - *g\n",
	"grants:\n- a\n- b\n- c\n",
	"grants:\n  - a\n  -\n    b\n  - c\n",
	"a: 1\nb: 2\n---\nc: 3\n",
	"%YAML 1.1\n---\na: 1\nb: 2\n",
	"a: 1\r\nb: 2\r\nc:\r\n  x: 1\r\n  y: 2\r\n",
	"a:\n  x: 1\n\t  y: 2\n  z: 3\n",
	"a:\n  \tx: 1\n  y: 2\n",
	"a: {x: 1,\nb: 2}\nc: 3\n",
	"a: \"x\nb: 2\"\nc: 3\n",
	"a:\n  x: 1\n# c\n  y: 2\nb:\n  # c\n  z: 3\n",
	"a:\n  x: 1\na:\n  y: 2\n",
	"a:\n    x: 1\n  y: 2\n    z: 3\n",
	"a: !!map\n  x: 1\n  y: 2\n",
	"a: &m\n  x: 1\n  y: 2\nb: *m\n",
	"a:\n  x: >\n   folded\n  y: 2\n",
	"a:\n  \"x\": 1\n  'y': 2\n  z: 3\n",
	"a:\n  x: [1,\n  2]\n  y: 3\n",
	"a:\n  x: 1 # c\n  y: 2\nb: 3",
	"a:\n  x: 1\n  y: 2\n  z: 3\n...\n",
	// A quoted scalar over a line "b:" at column 0 makes the line split
	// read the indentation of another block than the one the whole file's
	// parser is in: an entry it rejects, or a nested one taken for the
	// block's.
	"b:\n    p: \"x\nb:\n  r: 1\"\n  q: 2\n",
	"b:\n  p: \"x\nb:\n    r: 1\"\n  s:\n    q: 2\n",
	"b:\n  - \"x\nb:\n    - 1\"\n  - s:\n    - q\n",
	// An explicit key without a value at the end of a piece: the whole
	// file's parser places the empty value at the next token.
	"b:\n  - ? a\n  - a\n",
	"a:\n  x:\n    ? k\n  y: 1\n",
}

func TestSplitYAMLLayouts(t *testing.T) {
	for _, c := range splitCases {
		for n := 2; n <= len(c); n++ {
			checkSplit(t, []byte(c), n)
		}
	}
	// Those that are plain nested blocks are split.
	for _, c := range []string{"a:\n  x: 1\n  y: 2\nb:\n  - 1\n  - 2\n", "a:\n  \"x\": 1\n  'y': 2\n  z: 3\n"} {
		if !checkSplit(t, []byte(c), len(c)) {
			t.Errorf("not split:\n%s", c)
		}
	}
}

// FuzzSplitYAML: whatever the bytes, a file parsed in pieces is the file
// parsed whole.
func FuzzSplitYAML(f *testing.F) {
	for _, c := range splitCases {
		f.Add([]byte(c), uint8(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, n uint8) {
		checkSplit(t, data, int(n)%(len(data)+1)+2)
	})
}

// hostileSplits are entries a hostile inventory may hold, put among plain
// ones at several places; split says the pieces must be taken somewhere
// (so that the comparison with the whole parse is made), false that they
// may or may not be.
var hostileSplits = []struct {
	entries string
	split   bool
}{
	{"  x1:\n    auth: mtls\n    description: >2-\n       folded\n      more\n\n  x2: {auth: mtls}\n", true},
	{"  x1:\n    description: |+\n      kept\n\n\n  x2:\n    description: |1\n      t\n", true},
	{"  x1: &pa {auth: mtls}\n  x2: *pa\n  x3: &pa {auth: scram-sha-512}\n  x4: *pa\n", true},
	{"  x1: &pa {auth: mtls}\n  x2: {<<: *pa, team: t}\n", true},
	{"  x1: {auth: mtls} # principals:\n# topics:\n  # grants:\n  x2: {auth: mtls}\n", true},
	{"  x1: {auth: mtls}   \n  x2: {auth: mtls}\t\n  \n   \n", true},
	{"  x1: {auth: mtls, team: \"" + strings.Repeat("z", 5000) + "\"}\n", true},
	{"  p3: {auth: mtls}\n", true},
	{"  x1: {auth: mtls, team: \"a\n  x2: b\"}\n", true},
	{"  x1: \"x\nprincipals:\n    x2: 1\"\n  x3:\n    x4: {auth: mtls}\n", true},
	{"  x1: {auth: mtls,\n  x2: b}\n", false},
	{"  ? x1\n  : {auth: mtls}\n  x2: {auth: mtls}\n", false},
	{"  x1: !!map {auth: mtls}\n  !!str x2: {auth: mtls}\n", false},
	{"  x1:\n    labels:\n      ? k\n  x2: {auth: mtls}\n", false},
	{"  x1: {auth: mtls}\r\n  x2: {auth: mtls}\r\n", false},
	{"  x1: {auth: mtls}\n\t  x2: {auth: mtls}\n", false},
	{"  x1: {team: \"a\u0085b\u2028c\"}\n", false},
	{"  x1: {team: \"a\x00b\xffc\"}\n", false},
	{"\ufeff  x1: {auth: mtls}\n", false},
	{"  x1: {auth: mtls}\n---\nprincipals:\n  x2: {auth: mtls}\n...\n", false},
	{"principals:\n  - {auth: mtls}\n", false},
}

func TestSplitYAMLHostile(t *testing.T) {
	for _, c := range hostileSplits {
		taken := false
		for _, at := range []int{0, 3, 9} {
			var b strings.Builder
			b.WriteString("cluster: {name: c}\nprincipals:\n")
			for i := range 10 {
				if i == at {
					b.WriteString(c.entries)
				}
				fmt.Fprintf(&b, "  p%d: {auth: mtls, team: t}\n", i)
			}
			b.WriteString("topics:\n  t1: {team: t, classification: internal}\n")
			for n := 2; n <= 40; n++ {
				if checkSplit(t, []byte(b.String()), n) {
					taken = true
				}
			}
		}
		if c.split && !taken {
			t.Errorf("never parsed in pieces:\n%s", c.entries)
		}
	}
}

// TestParseSplitHostile: a large file whose quoted scalar hides a line
// "principals:" right before where the first piece would end is invalid
// YAML, as the whole file's parser says, however many cores parse it.
func TestParseSplitHostile(t *testing.T) {
	var tail strings.Builder
	for i := 0; tail.Len() < 800_000; i++ {
		fmt.Fprintf(&tail, "  s%d: {auth: mtls}\n", i)
	}
	// On 2 cores the first piece ends at the first line that may start one
	// at or past a quarter of the file: the line after "  r: 1"}" when the
	// quote's lines start at x (see splitPieces).
	q1, q2, q3 := "    q: {auth: mtls, team: \"x", "\nprincipals:\n", "  r: 1\"}\n"
	x := (tail.Len() - 3*len(q3) + 2) / 3
	var b strings.Builder
	b.WriteString("principals:\n")
	for i := 0; b.Len() < x-len(q1)-len(q2)-40; i++ {
		fmt.Fprintf(&b, "    p%d: {auth: mtls}\n", i)
	}
	b.WriteString(q1 + strings.Repeat("x", x-b.Len()-len(q1)-len(q2)) + q2 + q3)
	line := strings.Count(b.String(), "\n")
	b.WriteString(tail.String())
	if b.Len() < splitMinBytes {
		t.Fatalf("%d bytes: too small to be split", b.Len())
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for _, procs := range []int{1, 2} {
		runtime.GOMAXPROCS(procs)
		_, err := Parse("f.yaml", []byte(b.String()))
		if want := fmt.Sprintf("f.yaml:%d: invalid YAML: did not find expected key", line); fmt.Sprint(err) != want {
			t.Errorf("on %d cores: %v, want %s", procs, err, want)
		}
	}
}
