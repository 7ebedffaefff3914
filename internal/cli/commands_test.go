package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	ucli "github.com/urfave/cli/v2"
)

func TestTopCommandNames(t *testing.T) {
	e := &env{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
	for _, c := range topCommands() {
		if got := c.build(e).Name; got != c.name {
			t.Errorf("topCommands lists %q for the command named %q", c.name, got)
		}
	}
}

// describeTree is every command under cmds with its flags, their
// variables, whether they are required, and whether it has an action and
// a Before hook (where scopeEnv's deprecation notes and strictUsage's
// required-flag checks live).
func describeTree(path string, cmds []*ucli.Command) []string {
	var out []string
	for _, c := range cmds {
		p := path + " " + c.Name
		out = append(out, fmt.Sprintf("%s action=%v before=%v usage=%q", p, c.Action != nil, c.Before != nil, c.Usage))
		for _, f := range c.Flags {
			ff := fieldsOf(f)
			line := fmt.Sprintf("%s --%s", p, ff.name)
			if ff.envVars != nil {
				line += fmt.Sprintf(" env=%q", *ff.envVars)
			}
			if ff.required != nil {
				line += fmt.Sprintf(" required=%v", *ff.required)
			}
			out = append(out, line)
		}
		out = append(out, describeTree(p, c.Subcommands)...)
	}
	return out
}

// TestSelectedCommandIsBuiltAsInTheWholeApp checks that an app built for
// one command's run holds that command exactly as the app with every
// command does, with variables set (scoped and deprecated ones), so that
// building one instead of all changes nothing but the time.
func TestSelectedCommandIsBuiltAsInTheWholeApp(t *testing.T) {
	vars := map[string]string{"KAFKAGUARD_DIR": "/ca", "KAFKAGUARD_OUT": "x", "KAFKAGUARD_OUTPUT": "json", "KAFKAGUARD_PKI_DIR": "/ca2"}
	getenv := func(k string) string { return vars[k] }
	whole := newApp(&env{stdout: io.Discard, stderr: io.Discard, getenv: getenv})
	selected := 0
	for _, c := range topCommands() {
		e := &env{stdout: io.Discard, stderr: io.Discard, getenv: getenv, args: []string{"kafkaguard", c.name, "--some-flag"}}
		app := newApp(e)
		if c.wholeTree {
			if len(app.Commands) != len(whole.Commands) {
				t.Errorf("%s: built %d commands, want all %d (it reads the command tree)", c.name, len(app.Commands), len(whole.Commands))
			}
			continue
		}
		selected++
		if len(app.Commands) != 1 || app.Commands[0].Name != c.name {
			t.Errorf("%s: built %d commands", c.name, len(app.Commands))
			continue
		}
		i := slices.IndexFunc(whole.Commands, func(w *ucli.Command) bool { return w.Name == c.name })
		got, want := describeTree("kafkaguard", app.Commands), describeTree("kafkaguard", whole.Commands[i:i+1])
		if !slices.Equal(got, want) {
			t.Errorf("%s built alone differs from the whole app's:\n%s\nwant:\n%s", c.name, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	if selected < 10 {
		t.Fatalf("compared %d commands", selected)
	}
}

func TestSelectedCommandBuildsAllForHelpAndCompletion(t *testing.T) {
	all := topCommands()
	for _, args := range [][]string{
		{"kafkaguard"},
		{"kafkaguard", "--no-color", "pki", "list"}, // a global flag first
		{"kafkaguard", "pki", "list", "--help"},
		{"kafkaguard", "pki", "list", "-h"},
		{"kafkaguard", "pki", "help", "list"},
		{"kafkaguard", "pki", "h"},
		{"kafkaguard", "pki", "list", "--help=true"},
		{"kafkaguard", "pki", "--generate-bash-completion"},
		{"kafkaguard", "help", "pki"},
		{"kafkaguard", "man"},
		{"kafkaguard", "completion", "bash"},
		{"kafkaguard", "__complete", "--", "pki", ""},
		{"kafkaguard", "pkix", "list"},
	} {
		if c := selectedCommand(all, args); c != nil {
			t.Errorf("%q: builds only %s, want every command", args, c.name)
		}
	}
	if c := selectedCommand(all, []string{"kafkaguard", "pki", "issue", "client", "--dir", "ca", "--name", "helper"}); c == nil || c.name != "pki" {
		t.Errorf("pki issue client: selected %v, want pki", c)
	}
}

func TestSubcommandNames(t *testing.T) {
	e := &env{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
	for _, subs := range [][]subcommand{pkiSubcommands(), pkiIssueSubcommands()} {
		for _, s := range subs {
			if c := s.build(e); c.Name != s.name || len(c.Aliases) > 0 {
				t.Errorf("subcommand %q builds %q with aliases %q: the table would miss a name the command line uses", s.name, c.Name, c.Aliases)
			}
		}
	}
}

// TestSelectedRunBuildsTheSubcommandsItNames: a run of pki issue client
// builds issue alone under pki and client alone under issue, each as the
// whole app builds it; a run that names no subcommand (a typo, a group run)
// builds them all, whose names it lists.
func TestSelectedRunBuildsTheSubcommandsItNames(t *testing.T) {
	getenv := func(string) string { return "" }
	whole := newApp(&env{stdout: io.Discard, stderr: io.Discard, getenv: getenv})
	names := func(cmds []*ucli.Command) []string {
		var out []string
		for _, c := range cmds {
			out = append(out, c.Name)
		}
		return out
	}
	for _, c := range []struct {
		args       []string
		pki, issue []string // nil: all of them
	}{
		{[]string{"pki", "issue", "client", "--dir", "ca", "--name", "a"}, []string{"issue"}, []string{"client"}},
		{[]string{"pki", "issue", "broker", "--name", "list"}, []string{"issue", "list"}, []string{"broker"}},
		{[]string{"pki", "issue", "clinet"}, []string{"issue"}, nil},
		{[]string{"pki", "issue"}, []string{"issue"}, nil},
		{[]string{"pki", "isue", "client"}, nil, []string{"client"}}, // the typo is reported at pki
		{[]string{"pki"}, nil, nil},
	} {
		app := newApp(&env{stdout: io.Discard, stderr: io.Discard, getenv: getenv, args: append([]string{"kafkaguard"}, c.args...)})
		pki, wpki := app.Command("pki"), whole.Command("pki")
		want := c.pki
		if want == nil {
			want = names(wpki.Subcommands)
		}
		if got := names(pki.Subcommands); !slices.Equal(got, want) {
			t.Errorf("%q: pki subcommands %q, want %q", c.args, got, want)
			continue
		}
		if issue := pki.Command("issue"); issue != nil {
			want := c.issue
			if want == nil {
				want = names(wpki.Command("issue").Subcommands)
			}
			if got := names(issue.Subcommands); !slices.Equal(got, want) {
				t.Errorf("%q: pki issue subcommands %q, want %q", c.args, got, want)
			}
		}
		for _, sub := range pki.Subcommands {
			got, want := describeTree("kafkaguard pki", []*ucli.Command{sub}), describeTree("kafkaguard pki", []*ucli.Command{wpki.Command(sub.Name)})
			// Only what was built is compared: a pruned issue lacks a subcommand.
			for _, line := range got {
				if !slices.Contains(want, line) {
					t.Errorf("%q: %s is not as the whole app builds it", c.args, line)
				}
			}
		}
	}
}
