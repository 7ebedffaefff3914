package acl

import (
	"strings"
	"testing"
)

const okBinding = `{"principal":"User:a","host":"*","resource_type":"TOPIC","resource_name":"t","pattern_type":"LITERAL","operation":"READ","permission":"ALLOW"}`

func TestParseJSONReadsDocumentedForm(t *testing.T) {
	bs, err := ParseJSON("acls.json", []byte("[\n  "+okBinding+",\n  "+`{"principal":"User:b","resource_type":"GROUP","resource_name":"g-","pattern_type":"PREFIXED","operation":"READ","permission":"DENY"}`+"\n]"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Binding{
		{Principal: "User:a", Host: "*", ResourceType: ResourceTopic, ResourceName: "t", PatternType: PatternLiteral, Operation: OpRead, Permission: PermAllow},
		{Principal: "User:b", Host: "*", ResourceType: ResourceGroup, ResourceName: "g-", PatternType: PatternPrefixed, Operation: OpRead, Permission: PermDeny},
	}
	if len(bs) != 2 || bs[0] != want[0] || bs[1] != want[1] {
		t.Fatalf("ParseJSON = %v, want %v", bs, want)
	}
}

func TestParseJSONDefaultsHostAndPatternType(t *testing.T) {
	bs, err := ParseJSON("a.json", []byte(`[{"principal":"User:a","resource_type":"TOPIC","resource_name":"t","operation":"READ","permission":"ALLOW"}]`))
	if err != nil {
		t.Fatal(err)
	}
	if bs[0].Host != "*" || bs[0].PatternType != PatternLiteral {
		t.Fatalf("got host %q pattern %s, want * LITERAL", bs[0].Host, bs[0].PatternType)
	}
}

func TestParseJSONRejects(t *testing.T) {
	one := func(fields string) string {
		return `[{"resource_name":"t","host":"*",` + fields + `}]`
	}
	tests := []struct {
		name, in string
		want     []string // substrings of the error
	}{
		{"unknown operation", one(`"principal":"User:a","resource_type":"TOPIC","operation":"REED","permission":"ALLOW"`), []string{"a.json: line 1, column 2: binding 1", `unknown operation "REED"`, "READ"}},
		{"unknown resource type", one(`"principal":"User:a","resource_type":"TOPICS","operation":"READ","permission":"ALLOW"`), []string{`unknown resource type "TOPICS"`}},
		{"unknown permission", one(`"principal":"User:a","resource_type":"TOPIC","operation":"READ","permission":"MAYBE"`), []string{`unknown permission "MAYBE"`}},
		{"unknown pattern type", one(`"principal":"User:a","resource_type":"TOPIC","pattern_type":"MATCH","operation":"READ","permission":"ALLOW"`), []string{`unknown pattern type "MATCH"`}},
		{"WRITE on GROUP", one(`"principal":"User:a","resource_type":"GROUP","operation":"WRITE","permission":"ALLOW"`), []string{"operation WRITE is not valid on resource type GROUP", "valid: ALL, READ, DESCRIBE, DELETE"}},
		{"empty principal", one(`"principal":"","resource_type":"TOPIC","operation":"READ","permission":"ALLOW"`), []string{`field "principal"`}},
		{"missing operation", one(`"principal":"User:a","resource_type":"TOPIC","permission":"ALLOW"`), []string{`field "operation"`}},
		{"no type prefix", one(`"principal":"alice","resource_type":"TOPIC","operation":"READ","permission":"ALLOW"`), []string{`principal "alice" has no type prefix`, "User:alice"}},
		{"empty principal name", one(`"principal":"User:","resource_type":"TOPIC","operation":"READ","permission":"ALLOW"`), []string{"empty name"}},
		{"unknown field", one(`"principal":"User:a","resource_type":"TOPIC","operation":"READ","permission":"ALLOW","topic":"x"`), []string{`unknown field "topic"`, "resource_name"}},
		{"field of wrong type", `[{"principal":5}]`, []string{`field "principal": want a string, found number`}},
		{"element not an object", `[` + okBinding + `, 7]`, []string{"binding 2", "want a binding object, found number"}},
		{"object instead of array", okBinding, []string{"line 1, column 1", "want a JSON array of bindings, found object"}},
		{"null", "\n null", []string{"line 2, column 2", "found null"}},
		{"empty file", "", []string{"line 1, column 1", "malformed JSON"}},
		{"malformed JSON", "[\n  {\"principal\": \"User:a\",,}\n]", []string{"a.json: line 2, column 26: malformed JSON", "invalid character ','"}},
		{"trailing garbage", "[]\nx", []string{"line 2, column 1"}},
		{"CLUSTER with another name", one(`"principal":"User:a","resource_type":"CLUSTER","operation":"ALTER","permission":"ALLOW"`), []string{"CLUSTER bindings must be LITERAL \"kafka-cluster\""}},
		{"PREFIXED *", `[{"principal":"User:a","resource_type":"TOPIC","resource_name":"*","pattern_type":"PREFIXED","operation":"READ","permission":"ALLOW"}]`, []string{`PREFIXED "*" is not a valid pattern`}},
		{"third binding on line 4", "[\n" + okBinding + ",\n" + okBinding + ",\n   " + strings.Replace(okBinding, "READ", "FLY", 1) + "\n]", []string{"line 4, column 4: binding 3", `unknown operation "FLY"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseJSON("a.json", []byte(tt.in))
			if err == nil {
				t.Fatal("ParseJSON succeeded, want error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if !strings.HasPrefix(err.Error(), "a.json: ") {
				t.Errorf("error %q does not name the file", err)
			}
			if strings.Contains(err.Error(), "Go ") || strings.Contains(err.Error(), "jsonBinding") {
				t.Errorf("error %q leaks Go internals", err)
			}
		})
	}
}

func TestFormatJSONRoundTrips(t *testing.T) {
	g := newRandBindings(3)
	in := NewSet(g.bindings(50)...)
	data, err := FormatJSON(in.Bindings())
	if err != nil {
		t.Fatal(err)
	}
	out, err := ParseJSON("formatted", data)
	if err != nil {
		t.Fatalf("parse formatted output: %v\n%s", err, data)
	}
	if !NewSet(out...).Equal(in) {
		t.Fatal("FormatJSON then ParseJSON changed the bindings")
	}
	if got := strings.Count(string(data), "\n"); got != in.Len()+2 {
		t.Errorf("FormatJSON wrote %d lines, want one per binding plus brackets (%d)", got, in.Len()+2)
	}
}

func TestFormatJSONOfNothingIsEmptyArray(t *testing.T) {
	data, err := FormatJSON(nil)
	if err != nil || string(data) != "[]\n" {
		t.Fatalf("FormatJSON(nil) = %q, %v; want \"[]\\n\"", data, err)
	}
}

func TestParseNamesIgnoreCase(t *testing.T) {
	op, err := ParseOperation("describe_configs")
	if err != nil || op != OpDescribeConfigs {
		t.Fatalf("ParseOperation(describe_configs) = %v, %v", op, err)
	}
}

func TestCompareOrdersByDocumentedKeys(t *testing.T) {
	base := Binding{Principal: "User:a", Host: "*", ResourceType: ResourceTopic, ResourceName: "t", PatternType: PatternLiteral, Operation: OpRead, Permission: PermAllow}
	later := []func(*Binding){
		func(b *Binding) { b.Principal = "User:b" },
		func(b *Binding) { b.ResourceType = ResourceGroup },
		func(b *Binding) { b.ResourceName = "u" },
		func(b *Binding) { b.PatternType = PatternPrefixed },
		func(b *Binding) { b.Operation = OpWrite },
		func(b *Binding) { b.Host = "h" },
	}
	for i, f := range later {
		x := base
		f(&x)
		if Compare(base, x) >= 0 || Compare(x, base) <= 0 {
			t.Errorf("change %d: Compare does not order base before it", i)
		}
	}
	deny := base
	deny.Permission = PermDeny
	if Compare(deny, base) >= 0 {
		t.Error("DENY (wire code 2) should sort before ALLOW (3)")
	}
	if Compare(base, base) != 0 {
		t.Error("Compare(b, b) != 0")
	}
}

// compile -o json --explain adds provenance to each binding; every reader of
// bindings (access can --acls, the diff sides) takes that output as it is.
func TestParseJSONReadsExplainedBindings(t *testing.T) {
	in := `[{"principal":"User:a","host":"*","resource_type":"TOPIC","resource_name":"t","pattern_type":"LITERAL","operation":"READ","permission":"ALLOW","provenance":["grant inv.yaml:3 (role consumer)"]}]`
	bs, err := ParseJSON("explained.json", []byte(in))
	if err != nil || len(bs) != 1 || bs[0].Principal != "User:a" {
		t.Fatalf("ParseJSON(explained) = %v, %v", bs, err)
	}
	bad := strings.Replace(in, `["grant inv.yaml:3 (role consumer)"]`, `7`, 1)
	if _, err := ParseJSON("explained.json", []byte(bad)); err == nil || !strings.Contains(err.Error(), `field "provenance"`) {
		t.Errorf("provenance 7: err = %v", err)
	}
}
