package cli

import (
	"io"
	"strings"
	"testing"

	ucli "github.com/urfave/cli/v2"
)

// TestFieldsOfMatchesReflection checks the type switch of fieldsOf against
// urfave/cli's Names() and reflection, for every flag of every command: a
// flag kind added to the switch with the wrong fields, or a name that
// Names() would rewrite, fails here.
func TestFieldsOfMatchesReflection(t *testing.T) {
	app := newApp(&env{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }})
	n := 0
	var walk func(path string, flags []ucli.Flag, cmds []*ucli.Command)
	walk = func(path string, flags []ucli.Flag, cmds []*ucli.Command) {
		for _, f := range flags {
			n++
			ff := fieldsOf(f)
			if ff.name != f.Names()[0] {
				t.Errorf("%s: fieldsOf name %q, Names()[0] %q", path, ff.name, f.Names()[0])
			}
			if want := flagField[[]string](f, "EnvVars"); ff.envVars != want {
				t.Errorf("%s --%s: fieldsOf EnvVars %p, reflection %p", path, ff.name, ff.envVars, want)
			}
			if want := flagField[bool](f, "Required"); ff.required != want {
				t.Errorf("%s --%s: fieldsOf Required %p, reflection %p", path, ff.name, ff.required, want)
			}
		}
		for _, c := range cmds {
			walk(path+" "+c.Name, c.Flags, c.Subcommands)
		}
	}
	walk("kafkaguard", app.Flags, app.Commands)
	if n < 100 {
		t.Fatalf("checked %d flags: the walk missed commands", n)
	}
}

// TestEnvNameMatchesTheSlowFormula checks envName's one pass against what
// it replaced (strings.ToUpper after replacing '-' and ' '), on every flag
// and command name and on names outside ASCII.
func TestEnvNameMatchesTheSlowFormula(t *testing.T) {
	slow := func(words ...string) string {
		return envPrefix + strings.ToUpper(strings.NewReplacer("-", "_", " ", "_").Replace(strings.Join(words, "_")))
	}
	cases := [][]string{{"dir"}, {"pki", "password-file"}, {"policy check", "output"}, {"ümlaut-flag"}, {"a b", "ß"}}
	app := newApp(&env{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }})
	var walk func(path string, flags []ucli.Flag, cmds []*ucli.Command)
	walk = func(path string, flags []ucli.Flag, cmds []*ucli.Command) {
		for _, f := range flags {
			cases = append(cases, []string{path, f.Names()[0]}, []string{f.Names()[0]})
		}
		for _, c := range cmds {
			walk(strings.TrimPrefix(path+" "+c.Name, " "), c.Flags, c.Subcommands)
		}
	}
	walk("", app.Flags, app.Commands)
	for _, words := range cases {
		if got, want := envName(words...), slow(words...); got != want {
			t.Errorf("envName(%q) = %q, want %q", words, got, want)
		}
	}
}
