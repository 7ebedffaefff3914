package importer

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kafkaguard/kafkaguard/acl"
)

const fixtures = "../../testdata/import"

// readExpected reads a *.expected.json file: the bindings the tool creates,
// written by hand from its source (as a cluster stores them: an operation
// its resource type does not define is kept).
func readExpected(t *testing.T, path string) acl.Set {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var raw []map[string]string
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []acl.Binding
	for _, r := range raw {
		b, err := storedBinding(r["principal"], r["host"], r["resource_type"], r["resource_name"], r["pattern_type"], r["operation"], r["permission"])
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, b)
	}
	return acl.NewSet(out...)
}

// importFile imports one file and checks that the inventory compiles back
// to exactly want (Import proves the round trip against what it read; this
// checks that what it read is what the tool creates).
func importFile(t *testing.T, o Options, want acl.Set) *Result {
	t.Helper()
	res, err := Import(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Compiled.ACLs; !got.Equal(want) {
		t.Fatalf("%v: the inventory compiles to %d bindings, the tool creates %d:\n missing %v\n extra %v",
			o.Paths, got.Len(), want.Len(), want.Minus(got).Bindings(), got.Minus(want).Bindings())
	}
	return res
}

func grantRoles(inv *Inventory) map[string]bool {
	roles := map[string]bool{}
	for _, g := range inv.Grants {
		roles[g.Principal+"/"+g.Role] = true
	}
	return roles
}

func TestKafkaACLsFixturesRoundTrip(t *testing.T) {
	want := readExpected(t, filepath.Join(fixtures, "kafka-acls/list.expected.json"))
	for _, f := range []string{"list-kafka4.txt", "list-kafka3.txt"} {
		t.Run(f, func(t *testing.T) {
			res := importFile(t, Options{From: "kafka-acls", Paths: []string{filepath.Join(fixtures, "kafka-acls", f)}}, want)
			roles := grantRoles(res.Inventory)
			// --producer and --consumer import as roles, not operations.
			for _, r := range []string{"Jane/producer", "Bob/consumer", "txn-app/transactional-producer", "Peter/producer"} {
				if !roles[r] {
					t.Errorf("no %s grant: %v", r, roles)
				}
			}
			for _, g := range res.Inventory.Grants {
				if g.Principal == "Jane" && !g.Create {
					t.Errorf("Jane's --producer grant lacks create: true (kafka-acls.sh --producer gives CREATE)")
				}
			}
		})
	}
	t.Run("list --principal", func(t *testing.T) {
		bob := want.Filter(func(b acl.Binding) bool { return b.Principal == "User:Bob" })
		importFile(t, Options{From: "kafka-acls", Paths: []string{filepath.Join(fixtures, "kafka-acls/list-principal-kafka3.txt")}}, bob)
	})
}

func TestKSMFixturesRoundTrip(t *testing.T) {
	for _, f := range []string{"example-acls.csv", "example-acls.yml", "test-correct.csv", "test-delimiter.csv", "test-parser.yml"} {
		t.Run(f, func(t *testing.T) {
			o := Options{From: "ksm", Paths: []string{filepath.Join(fixtures, "ksm", f)}}
			if f == "test-delimiter.csv" {
				o.KSMDelimiter = '?'
			}
			importFile(t, o, readExpected(t, filepath.Join(fixtures, "ksm", f+".expected.json")))
		})
	}
}

func TestStrimziFixturesRoundTrip(t *testing.T) {
	for _, f := range fixtureFiles(t, "strimzi", 5) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			res := importFile(t, Options{From: "strimzi", Paths: []string{f}}, readExpected(t, strings.TrimSuffix(f, ".yaml")+".expected.json"))
			for _, p := range res.Inventory.Principals {
				switch {
				case strings.HasPrefix(p.Name, "CN="):
					if p.Auth != "mtls" || p.DN != p.Name {
						t.Errorf("tls user %s: auth %s dn %q, want mtls with its DN", p.Name, p.Auth, p.DN)
					}
				default:
					if p.Auth != "scram-sha-512" {
						t.Errorf("scram user %s: auth %s", p.Name, p.Auth)
					}
				}
			}
		})
	}
}

func TestJulieFixturesRoundTrip(t *testing.T) {
	for _, f := range fixtureFiles(t, "julie", 4) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			want := readExpected(t, strings.TrimSuffix(f, ".yaml")+".expected.json")
			if want.Len() == 0 {
				in, err := Julie{}.Parse(f, mustRead(t, f))
				if err != nil || len(in.Bindings) != 0 {
					t.Fatalf("want no ACLs (rbac only): %v %v", in.Bindings, err)
				}
				return
			}
			importFile(t, Options{From: "julie", Paths: []string{f}}, want)
		})
	}
}

// fixtureFiles is the YAML fixtures of tool; t fails when fewer than min
// are there, so that a lost fixture does not pass quietly.
func fixtureFiles(t *testing.T, tool string, min int) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(fixtures, tool, "*.yaml"))
	if len(files) < min {
		t.Fatalf("%s fixtures: %v", tool, files)
	}
	return files
}

func mustRead(t *testing.T, f string) []byte {
	t.Helper()
	data, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestInvalidInputsNameFileAndLine(t *testing.T) {
	for _, tc := range []struct {
		from, file, want string
		delim            rune
	}{
		{"kafka-acls", "kafka-acls/unknown-operation.txt", `unknown-operation.txt:3: unknown operation "REED"`, 0},
		{"kafka-acls", "kafka-acls/error-output.txt", "error-output.txt:1: not kafka-acls.sh --list output", 0},
		{"ksm", "ksm/wrong-operation.csv", `wrong-operation.csv:3: "Wrong" is not a valid operation name`, 0},
		{"ksm", "ksm/missing-header.csv", "missing-header.csv:2: no Operation value", 0},
		{"ksm", "ksm/kafka-names.csv", `kafka-names.csv:2: "TRANSACTIONAL_ID" is not a valid resourceType name`, 0},
		{"ksm", "ksm/yaml-shape.yml", `yaml-shape.yml:5: could not parse ACL "Read, Allow, *"`, 0},
		{"julie", "julie/descriptor-with-custom-roles.yaml", `descriptor-with-custom-roles.yaml:6: project foo: "app" is a custom JulieRole`, 0},
		{"strimzi", "strimzi/both-operation-fields.yaml", "both-operation-fields.yaml:11: KafkaUser my-user: both fields `operations` and `operation` cannot be filled in at the same time", 0},
		{"strimzi", "strimzi/unknown-operation-case.yaml", `unknown-operation-case.yaml:9: KafkaUser my-user: ACL operation "READ"`, 0},
	} {
		t.Run(tc.file, func(t *testing.T) {
			_, err := Import(context.Background(), Options{From: tc.from, Paths: []string{filepath.Join(fixtures, "invalid", tc.file)}, KSMDelimiter: tc.delim})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), filepath.Join(fixtures, "invalid", tc.file)+":") {
				t.Errorf("error does not start with FILE:LINE: %v", err)
			}
		})
	}
	_, err := Import(context.Background(), Options{From: "ksm", Paths: []string{filepath.Join(fixtures, "nope.csv")}})
	if err == nil || !errors.Is(err, err) || !strings.Contains(err.Error(), "nope.csv") {
		t.Errorf("missing file: %v", err)
	}
}
