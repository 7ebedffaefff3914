package acl

import (
	"bytes"
	"strings"
	"testing"
)

// AppendJSON writes what MarshalJSON (encoding/json) writes, escapes
// included, and WriteJSONFunc what FormatJSON does.
func TestAppendJSONMatchesMarshalJSON(t *testing.T) {
	names := []string{"orders", "", "a\"b", `back\slash`, "<html>&", "tab\there", "nl\n", "\x00\x1f", "é ü", "\u2028\u2029", "bad\xffutf8", "emoji 🎉", strings.Repeat("x", 300)}
	var bs []Binding
	for _, n := range names {
		b := Binding{Principal: "User:" + n, Host: "*", ResourceType: ResourceTopic, ResourceName: n, PatternType: PatternPrefixed, Operation: OpDescribeConfigs, Permission: PermDeny}
		bs = append(bs, b)
		want, err := b.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if got := b.AppendJSON([]byte("x")); !bytes.Equal(got[1:], want) || got[0] != 'x' {
			t.Errorf("AppendJSON(%q) = %s, want %s", n, got[1:], want)
		}
	}
	for _, set := range [][]Binding{nil, bs[:1], bs} {
		want, err := FormatJSON(set)
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := WriteJSONFunc(&got, set, func(dst []byte, b Binding) ([]byte, error) { return b.AppendJSON(dst), nil }); err != nil {
			t.Fatal(err)
		}
		if got.String() != string(want) {
			t.Errorf("WriteJSONFunc wrote\n%s\nwant\n%s", got.String(), want)
		}
	}
}
