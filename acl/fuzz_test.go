package acl

import (
	"os"
	"slices"
	"testing"
)

// FuzzParseJSON: any bytes are bindings or an error, never a panic; parsed
// bindings are valid and print on one line.
func FuzzParseJSON(f *testing.F) {
	if data, err := os.ReadFile("../testdata/acls/sample.json"); err == nil {
		f.Add(data)
	}
	f.Add([]byte(`[{"principal":"User:a","host":"*","resource_type":"TOPIC","resource_name":"t","pattern_type":"LITERAL","operation":"READ","permission":"ALLOW"}]`))
	f.Add([]byte(`[{"principal":"User:a\n+ x","host":"::1","resource_type":"GROUP","resource_name":"g","pattern_type":"PREFIXED","operation":"ALL","permission":"DENY"}]`))
	f.Add([]byte(`{"acls": null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		bs, err := ParseJSON("f.json", data)
		if err != nil {
			return
		}
		for _, b := range bs {
			if err := b.Validate(); err != nil {
				t.Fatalf("ParseJSON returned an invalid binding %v: %v", b, err)
			}
			for _, r := range b.String() {
				if r == '\n' || r == '\r' || r == 0x1b {
					t.Fatalf("binding prints a control character: %q", b.String())
				}
			}
		}
	})
}

// FuzzNormalizeHost: a normalized host normalizes to itself.
func FuzzNormalizeHost(f *testing.F) {
	for _, s := range []string{"*", "::1", "10.0.0.1", "fe80::1%eth0", "::ffff:1.2.3.4", "2001:DB8::1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		n, err := NormalizeHost(h)
		if err != nil {
			return
		}
		if n2, err := NormalizeHost(n); err != nil || n2 != n {
			t.Fatalf("NormalizeHost(%q) = %q, then %q, %v", h, n, n2, err)
		}
	})
}

// FuzzParseJSONOnePass: the one-pass reader accepts only what the careful
// (encoding/json) reader accepts, with the same bindings; so every error,
// which the careful reader alone reports, is the one it always was.
func FuzzParseJSONOnePass(f *testing.F) {
	for _, s := range onePassSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, ok := parseJSONFast(data)
		if !ok {
			return
		}
		careful, err := parseJSONCareful("f.json", data)
		if err != nil {
			t.Fatalf("one pass read %q, the careful reader rejects it: %v", data, err)
		}
		if !slices.Equal(fast, careful) {
			t.Fatalf("one pass read %q as\n%v\nthe careful reader as\n%v", data, fast, careful)
		}
	})
}
