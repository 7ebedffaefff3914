package location

import "testing"

func TestSplit(t *testing.T) {
	cases := []struct {
		in        string
		file      string
		line, col int
	}{
		{"inventory.yaml:12", "inventory.yaml", 12, 0},
		{"inventory.yaml:12:5", "inventory.yaml", 12, 5},
		{"inventory.yaml", "inventory.yaml", 0, 0},
		{`C:\inv\a.yaml:3`, `C:\inv\a.yaml`, 3, 0},
		{"policy.rego:abc", "policy.rego:abc", 0, 0},
		{":12", ":12", 0, 0},
		{"a.yaml:0", "a.yaml:0", 0, 0},
		{"a.yaml:1234567890", "a.yaml:1234567890", 0, 0},
	}
	for _, tc := range cases {
		f, l, c := Split(tc.in)
		if f != tc.file || l != tc.line || c != tc.col {
			t.Errorf("Split(%q) = %q %d %d; want %q %d %d", tc.in, f, l, c, tc.file, tc.line, tc.col)
		}
	}
}
