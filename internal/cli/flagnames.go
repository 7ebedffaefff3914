package cli

import (
	"slices"
	"strings"

	ucli "github.com/urfave/cli/v2"
)

// urfave/cli's Names() runs a regular expression per name on every call,
// and its Command.Run looks up every flag by name for every flag of the
// command (runFlagActions → IsSet → lookupFlag, which calls Names() on the
// flags before it): a run of a command with fifteen flags ran some 150 of
// them, a fifth of a millisecond of a 1.3 ms `pki issue` (CPU). The run's
// flags are wrapped so that Names() returns the names computed once; every
// other method is the flag's own (embedded), so help, parsing and values
// are unchanged. Only a run of one selected command is wrapped (see
// selectedCommand), and only the commands it names: completion and man
// pages, which tell flag kinds apart by type, see the flags as they were
// built. findFlag unwraps.

type (
	namedString struct {
		*ucli.StringFlag
		names []string
	}
	namedBool struct {
		*ucli.BoolFlag
		names []string
	}
	namedStringSlice struct {
		*ucli.StringSliceFlag
		names []string
	}
	namedInt struct {
		*ucli.IntFlag
		names []string
	}
	namedInt64 struct {
		*ucli.Int64Flag
		names []string
	}
)

func (f *namedString) Names() []string      { return f.names }
func (f *namedBool) Names() []string        { return f.names }
func (f *namedStringSlice) Names() []string { return f.names }
func (f *namedInt) Names() []string         { return f.names }
func (f *namedInt64) Names() []string       { return f.names }

// withNames wraps f (the common kinds; others stay as they are) so that its
// Names() is computed once. Pointers: urfave/cli compares flags with ==.
func withNames(f ucli.Flag) ucli.Flag {
	switch f := f.(type) {
	case *ucli.StringFlag:
		return &namedString{f, names(f, f.Name, f.Aliases)}
	case *ucli.BoolFlag:
		return &namedBool{f, names(f, f.Name, f.Aliases)}
	case *ucli.StringSliceFlag:
		return &namedStringSlice{f, names(f, f.Name, f.Aliases)}
	case *ucli.IntFlag:
		return &namedInt{f, names(f, f.Name, f.Aliases)}
	case *ucli.Int64Flag:
		return &namedInt64{f, names(f, f.Name, f.Aliases)}
	}
	return f
}

// names is f.Names(): urfave/cli's FlagNames cuts each name at its first
// comma or space (names in v1's "name, alias" form); names without either
// are kept as they are, without its regular expression.
func names(f ucli.Flag, name string, aliases []string) []string {
	out := append([]string{name}, aliases...)
	for _, n := range out {
		if strings.IndexByte(n, ',') >= 0 || strings.IndexByte(n, ' ') >= 0 {
			return f.Names()
		}
	}
	return out
}

// unwrapNames is the flag withNames wrapped (f itself if it is not a
// wrapper), for code that tells kinds apart by type.
func unwrapNames(f ucli.Flag) ucli.Flag {
	switch f := f.(type) {
	case *namedString:
		return f.StringFlag
	case *namedBool:
		return f.BoolFlag
	case *namedStringSlice:
		return f.StringSliceFlag
	case *namedInt:
		return f.IntFlag
	case *namedInt64:
		return f.Int64Flag
	}
	return f
}

// nameFlags wraps, with withNames, flags and the flags of the commands of
// cmds (and their subcommands) that args name: the others do not run.
func nameFlags(flags []ucli.Flag, cmds []*ucli.Command, args []string) {
	for i, f := range flags {
		flags[i] = withNames(f)
	}
	for _, c := range cmds {
		if slices.ContainsFunc(args, c.HasName) {
			nameFlags(c.Flags, c.Subcommands, args)
		}
	}
}

// urfave/cli appends its one help flag (the package variable HelpFlag) to
// the app and to every command it sets up, and looks it up by Names() at
// each: parsing, IsSet for every flag of a command, checkHelp at each of
// `pki issue client`'s four levels — a tenth of the regular expressions
// left in a run after nameFlags (BenchmarkIssueClientVsFloor's profile). It
// is wrapped once, before any app is built (so no run races with the
// write): its kind, usage, help line and value are the *BoolFlag's own;
// urfave/cli's type checks of a help flag (stringifyFlag's *BoolFlag, for
// its default text) see the *BoolFlag through the embedded String(), and
// ours go through unwrapNames or DocGenerationFlag.
func init() { ucli.HelpFlag = withNames(ucli.HelpFlag) }
