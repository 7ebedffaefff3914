package acl

import (
	"slices"
	"strings"
	"testing"
)

// onePassSeeds are binding files the one-pass reader reads itself (the first
// group) or leaves to the careful reader (the second): the fuzz test's seeds.
var onePassSeeds = append(slices.Clone(onePassReads), onePassLeaves...)

const plainBinding = `{"principal":"User:a","host":"*","resource_type":"TOPIC","resource_name":"t","pattern_type":"LITERAL","operation":"READ","permission":"ALLOW"}`

func withName(name string) string {
	return strings.Replace(plainBinding, `"resource_name":"t"`, `"resource_name":`+name, 1)
}

var onePassReads = []string{
	"[]", " \r\n\t[ \n ] \n",
	"[" + plainBinding + "]",
	"[\n  " + plainBinding + ",\n  " + strings.Replace(plainBinding, "User:a", "User:b", 1) + "\n]\n",
	"[ { \"principal\" :\t\"User:a\" , \"resource_type\" : \"topic\", \"resource_name\":\"t\",\r\n\"operation\":\" read \",\"permission\":\"allow\" } ]",
	`[{"principal":"User:a","resource_type":"GROUP","resource_name":"g-","pattern_type":"PREFIXED","operation":"ALL","permission":"DENY","host":"10.0.0.1"}]`,
	`[{"principal":"User:a","principal":"User:b","resource_type":"TOPIC","resource_name":"t","operation":"READ","permission":"ALLOW"}]`,
	`[` + strings.Replace(plainBinding, `}`, `,"provenance":["grant inv.yaml:3 (role consumer)","role \u003cx\u003e"]}`, 1) + `]`,
	`[` + strings.Replace(plainBinding, `}`, `,"provenance":[]}`, 1) + `]`,
	`[` + withName(`"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00"`) + `]`,
	`[` + withName(`"lone \ud800 surrogate"`) + `]`,
	`[` + withName(`"caf`+"\xc3\xa9"+` \u2028"`) + `]`,
	`[` + withName(`"bad `+"\xff\xfe"+` utf8"`) + `]`,
	`[` + withName(`"nul \u0000"`) + `]`,
	`[{"principal":"User:a","resource_type":"CLUSTER","resource_name":"kafka-cluster","operation":"IDEMPOTENT_WRITE","permission":"ALLOW"}]`,
}

var onePassLeaves = []string{
	"", "null", "{}", "[{}]", "[null]", "[7]", `["x"]`, "[[]]", "[" + plainBinding + ",]", "[" + plainBinding + "] x",
	"\xef\xbb\xbf[]", "[" + plainBinding, "[" + plainBinding + " " + plainBinding + "]",
	strings.Replace("["+plainBinding+"]", `"principal"`, `"PRINCIPAL"`, 1),
	strings.Replace("["+plainBinding+"]", `"principal"`, `"princip\u0061l"`, 1),
	strings.Replace("["+plainBinding+"]", `"host":"*"`, `"host":null`, 1),
	strings.Replace("["+plainBinding+"]", `"host":"*"`, `"host":"*","topic":"x"`, 1),
	strings.Replace("["+plainBinding+"]", `"host":"*"`, `"host":5`, 1),
	strings.Replace("["+plainBinding+"]", `}`, `,"provenance":null}`, 1),
	strings.Replace("["+plainBinding+"]", `}`, `,"provenance":[null]}`, 1),
	strings.Replace("["+plainBinding+"]", `}`, `,"provenance":["a",7]}`, 1),
	strings.Replace("["+plainBinding+"]", `}`, `,"provenance":["a"],"provenance":7}`, 1),
	strings.Replace("["+plainBinding+"]", `"READ"`, `"FLY"`, 1),
	strings.Replace("["+plainBinding+"]", `"READ"`, `""`, 1),
	strings.NewReplacer(`"TOPIC"`, `"GROUP"`, `"READ"`, `"WRITE"`).Replace("[" + plainBinding + "]"),
	strings.Replace("["+plainBinding+"]", `"t"`, `"bad \x01 control"`, 1),
	strings.Replace("["+plainBinding+"]", `"t"`, `"bad \x escape"`, 1),
	strings.Replace("["+plainBinding+"]", `"t"`, `"short \u12 escape"`, 1),
	strings.Replace("["+plainBinding+"]", `"User:a"`, `"alice"`, 1),
}

// The one-pass reader reads what compile -o json writes (escapes, UTF-8,
// provenance, any whitespace) itself and gives everything else to the
// careful reader; where it reads, it agrees with the careful reader.
func TestParseJSONOnePassAgreesWithCareful(t *testing.T) {
	g := newRandBindings(7)
	formatted, err := FormatJSON(NewSet(g.bindings(300)...).Bindings())
	if err != nil {
		t.Fatal(err)
	}
	reads := append([]string{string(formatted)}, onePassReads...)
	for _, in := range append(reads, onePassLeaves...) {
		fast, ok := parseJSONFast([]byte(in))
		careful, err := parseJSONCareful("a.json", []byte(in))
		wantOK := slices.Contains(reads, in)
		if ok != wantOK {
			t.Errorf("one pass read %q: %v, want %v (careful: %v)", in, ok, wantOK, err)
		}
		if !ok {
			continue
		}
		if err != nil {
			t.Errorf("one pass read %q, the careful reader rejects it: %v", in, err)
		} else if !slices.Equal(fast, careful) {
			t.Errorf("one pass read %q as %v, the careful reader as %v", in, fast, careful)
		}
		if got, err := ParseJSON("a.json", []byte(in)); err != nil || !slices.Equal(got, fast) {
			t.Errorf("ParseJSON(%q) = %v, %v; want the one-pass result", in, got, err)
		}
	}
}
