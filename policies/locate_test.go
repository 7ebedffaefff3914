package policies

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kafkaguard/kafkaguard/internal/testutil"
)

// A string result is located at the rule definition that produced it, also
// when a package defines deny or warn several times (in one file or
// several, also extending the library's package), and whatever the other
// definitions produce. Library findings keep their own locations.
func TestStringFindingsAreLocatedAtTheirRule(t *testing.T) {
	dir := testutil.WriteFiles(t, map[string]string{
		"r.rego": `package acme

warn contains msg if {
	some name, _ in input.principals
	msg := sprintf("first: %s", [name])
}

warn contains msg if {
	some name, _ in input.topics
	msg := sprintf("second: %s", [name])
}

warn contains "both" if true

warn contains {"msg": "object without location"} if true

deny if input.cluster.name == "c"
`,
		"s.rego": `package acme

import data.kafkaguard

warn contains "both" if count(kafkaguard.acls) > 0

deny if count(input.topics) > 0
`,
		"single.rego": `package single

warn contains msg if {
	some name, _ in input.topics
	msg := sprintf("single: %s", [name])
}
`,
		"lib.rego": `package kafkaguard

deny contains "user deny one" if true

deny contains msg if {
	some name, _ in input.topics
	msg := sprintf("user deny two: %s", [name])
}
`,
	})
	inv := parseInv(t, `cluster: {name: c}
principals:
  p: {auth: scram-sha-512, team: a}
  q: {auth: scram-sha-512, team: a}
topics:
  t: {team: a, classification: public}
grants:
  - {principal: p, role: producer, topics: [t]}
  - {principal: q, role: consumer, topics: [t], groups: [g]}
`)
	res := compileWith(t, inv, dir)
	var got []string
	for _, f := range append(res.Deny, res.Warn...) {
		if f.ID == "" {
			got = append(got, f.Check+" "+f.Message+" @"+strings.TrimPrefix(f.Location, dir+string(filepath.Separator)))
		} else if !strings.HasPrefix(f.Location, "inv.yaml:") {
			t.Errorf("library finding %s at %q", f.ID, f.Location)
		}
	}
	slices.Sort(got)
	want := []string{
		"acme.deny rule data.acme.deny is true @r.rego:17",
		"acme.warn both @r.rego:13",
		"acme.warn first: p @r.rego:3",
		"acme.warn first: q @r.rego:3",
		"acme.warn object without location @r.rego:15",
		"acme.warn second: t @r.rego:8",
		"kafkaguard.deny user deny one @lib.rego:3",
		"kafkaguard.deny user deny two: t @lib.rego:5",
		"single.warn single: t @single.rego:3",
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A compile error in a rule that is copied is reported once, as without
// the copies.
func TestRuleCopiesKeepCompileErrors(t *testing.T) {
	dir := testutil.WriteFiles(t, map[string]string{"r.rego": `package acme

warn contains msg if {
	msg := x
}

warn contains "b" if true
`})
	_, err := Compile(context.Background(), parseInv(t, "cluster: {name: c}\n"), Options{PolicyDirs: []string{dir}})
	want := "policy compile error: " + filepath.Join(dir, "r.rego") + ":4:"
	if err == nil || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "more)") {
		t.Errorf("err = %v\nwant  %s... (one error)", err, want)
	}
}

// Without user rules defined more than once, nothing is copied.
func TestNoRuleCopiesForTheLibrary(t *testing.T) {
	mods, err := loadModules([]string{"../testdata/policies/acme"}, false)
	if err != nil {
		t.Fatal(err)
	}
	n := len(mods)
	rc := addRuleCopies(mods, "deny", "warn")
	if len(mods) != n || len(rc.byRule) != 0 {
		t.Errorf("copies: %v", rc.byRule)
	}
}
