package cli

import (
	"fmt"
	"io"
	"slices"
	"testing"

	ucli "github.com/urfave/cli/v2"
)

// TestWithNamesKeepsEveryFlag: every flag of every command, wrapped, has
// the names urfave/cli's Names() gives it, and unwraps to itself.
func TestWithNamesKeepsEveryFlag(t *testing.T) {
	app := newApp(&env{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }})
	n := 0
	var walk func(flags []ucli.Flag, cmds []*ucli.Command)
	walk = func(flags []ucli.Flag, cmds []*ucli.Command) {
		for _, f := range flags {
			w := withNames(f)
			if !slices.Equal(w.Names(), f.Names()) {
				t.Errorf("withNames(%s).Names() = %q, want %q", f.Names()[0], w.Names(), f.Names())
			}
			if unwrapNames(w) != f {
				t.Errorf("unwrapNames(withNames(%s)) is not the flag", f.Names()[0])
			}
			if w != f {
				n++
			}
		}
		for _, c := range cmds {
			walk(c.Flags, c.Subcommands)
		}
	}
	walk(app.Flags, app.Commands)
	if n < 100 {
		t.Errorf("withNames wrapped %d flags, want the common kinds (string, bool, string slice, int) wrapped", n)
	}
	// A name in urfave/cli v1's "name, alias" form is cut as Names() cuts it.
	f := &ucli.StringFlag{Name: "out, o", Aliases: []string{"x y"}}
	if got := withNames(f).Names(); !slices.Equal(got, f.Names()) || got[0] != "out" {
		t.Errorf("withNames(%q).Names() = %q, want %q", f.Name, got, f.Names())
	}
}

// TestSelectedRunWrapsOnlyItsCommands: a run of `pki issue client` wraps
// the global flags and those of pki, issue and client (the commands that
// run, where urfave/cli looks every flag up), and leaves the flags of
// commands it does not name as built; an app for help wraps nothing.
func TestSelectedRunWrapsOnlyItsCommands(t *testing.T) {
	wrapped := func(f ucli.Flag) bool { return unwrapNames(f) != f }
	args := []string{"kafkaguard", "pki", "issue", "client", "--dir", "ca", "--name", "a"}
	app := newApp(&env{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }, args: args})
	if !slices.ContainsFunc(app.Flags, wrapped) {
		t.Error("the global flags are not wrapped")
	}
	pki := app.Command("pki")
	client := pki.Command("issue").Command("client")
	for _, f := range client.Flags {
		if base := unwrapNames(f); withNames(base) != base && !wrapped(f) { // a kind withNames wraps
			t.Errorf("pki issue client --%s is not wrapped", f.Names()[0])
		}
	}
	// A typo builds every subcommand of issue (to suggest one); those the
	// command line does not name are not wrapped.
	typo := newApp(&env{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }, args: []string{"kafkaguard", "pki", "issue", "clinet"}})
	if slices.ContainsFunc(typo.Command("pki").Command("issue").Command("broker").Flags, wrapped) {
		t.Error("pki issue broker's flags are wrapped in a run that does not name it")
	}
	help := newApp(&env{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }, args: append(args, "--help")})
	var walk func(flags []ucli.Flag, cmds []*ucli.Command)
	walk = func(flags []ucli.Flag, cmds []*ucli.Command) {
		if slices.ContainsFunc(flags, wrapped) {
			t.Error("an app built for --help has wrapped flags (completion and man pages tell kinds apart by type)")
		}
		for _, c := range cmds {
			walk(c.Flags, c.Subcommands)
		}
	}
	walk(help.Flags, help.Commands)
}

// TestHelpFlagNamedOnce: urfave/cli's help flag is wrapped (its names
// computed once, not by a regular expression at every lookup) and is still
// the same *BoolFlag underneath, with the names urfave/cli gives it.
func TestHelpFlagNamedOnce(t *testing.T) {
	base, ok := unwrapNames(ucli.HelpFlag).(*ucli.BoolFlag)
	if !ok || base == ucli.HelpFlag {
		t.Fatalf("ucli.HelpFlag is %T, want withNames' wrapper of a *BoolFlag", ucli.HelpFlag)
	}
	if want := ucli.FlagNames(base.Name, base.Aliases); !slices.Equal(ucli.HelpFlag.Names(), want) || !slices.Equal(want, []string{"help", "h"}) {
		t.Errorf("help flag names %q, want %q", ucli.HelpFlag.Names(), want)
	}
	if got, want := ucli.HelpFlag.(fmt.Stringer).String(), base.String(); got != want {
		t.Errorf("help line %q, want %q", got, want)
	}
}
