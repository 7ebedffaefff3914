package inventory

import (
	"fmt"
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
}

func TestSplitYAMLLayouts(t *testing.T) {
	for _, c := range splitCases {
		for n := 2; n <= len(c); n++ {
			checkSplit(t, []byte(c), n)
		}
	}
	// Those that are plain nested blocks are split.
	for _, c := range []string{"a:\n  x: 1\n  y: 2\nb:\n  - 1\n  - 2\n", splitCases[len(splitCases)-4]} {
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
