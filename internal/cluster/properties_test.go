package cluster

import (
	"strings"
	"testing"
)

func TestParsePropertiesFollowsJavaSyntax(t *testing.T) {
	tests := []struct {
		name, in string
		want     map[string]string
	}{
		{"equals", "a=b", map[string]string{"a": "b"}},
		{"colon", "a:b", map[string]string{"a": "b"}},
		{"space separator", "a   b", map[string]string{"a": "b"}},
		{"spaces around equals", "  a  =  b c ", map[string]string{"a": "b c "}},
		{"comments skipped", "# x=y\n! z=w\na=1", map[string]string{"a": "1"}},
		{"continuation", "a=one \\\n    two", map[string]string{"a": "one two"}},
		{"escaped backslash is not continuation", "a=c:\\\\\nb=2", map[string]string{"a": `c:\`, "b": "2"}},
		{"escapes", `a=x\ty\u0041\=`, map[string]string{"a": "x\tyA="}},
		{"escaped separator in key", `my\=key=v`, map[string]string{"my=key": "v"}},
		{"empty value", "a=", map[string]string{"a": ""}},
		{"second separator kept", "a==b", map[string]string{"a": "=b"}},
		{"later wins", "a=1\na=2", map[string]string{"a": "2"}},
		{"jaas with quotes", `sasl.jaas.config=x required username="u" password="p";`, map[string]string{"sasl.jaas.config": `x required username="u" password="p";`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseProperties(strings.NewReader(tt.in), "t.properties")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func TestParsePropertiesErrorNamesFileAndLine(t *testing.T) {
	_, err := ParseProperties(strings.NewReader("a=1\n\nb=\\u12"), "client.properties")
	if err == nil || !strings.HasPrefix(err.Error(), "client.properties:3:") {
		t.Fatalf("err = %v, want client.properties:3: ...", err)
	}
}
