package cli

import (
	"fmt"
	"regexp"
	"strings"

	ucli "github.com/urfave/cli/v2"
	"github.com/xrash/smetrics"
)

// Typos get a "did you mean": urfave/cli's suggestions (Jaro-Winkler over
// the names at that level), offered only when the nearest name is close
// enough to be what was meant.
const suggestMin = 0.75

// suggestCommand names the command of cmds nearest to typed, or "".
func suggestCommand(cmds []*ucli.Command, typed string) string {
	best, score := "", 0.0
	for _, c := range cmds {
		if c.Hidden {
			continue
		}
		for _, n := range c.Names() {
			if s := smetrics.JaroWinkler(n, typed, 0.7, 4); s > score {
				best, score = c.Name, s
			}
		}
	}
	if score < suggestMin {
		return ""
	}
	return best
}

// unknownCommand is the error for `PATH typed` where PATH has no such
// subcommand: the hint names the nearest one and PATH's own help.
func unknownCommand(path string, cmds []*ucli.Command, typed string) error {
	err := fmt.Errorf("unknown command '%s'", strings.TrimPrefix(path+" "+typed, "kafkaguard "))
	help := fmt.Sprintf("run '%s --help' for the list of commands", path)
	if s := suggestCommand(cmds, typed); s != "" {
		return withHint(err, fmt.Sprintf("did you mean '%s %s'? (%s)", path, s, help))
	}
	return withHint(err, help)
}

// groupAction is the action of the app and of every command that only groups
// subcommands (pki, policy, users, access, dev): help without arguments, an
// unknown-command error with a suggestion otherwise.
func groupAction(path string, cmds func() []*ucli.Command) ucli.ActionFunc {
	return func(c *ucli.Context) error {
		if c.Args().Present() {
			return unknownCommand(path, cmds(), c.Args().First())
		}
		if path == "kafkaguard" {
			return ucli.ShowAppHelp(c)
		}
		return ucli.ShowSubcommandHelp(c)
	}
}

// addGroupActions gives every grouping command under cmds a groupAction.
func addGroupActions(path string, cmds []*ucli.Command) {
	for _, cmd := range cmds {
		p := path + " " + cmd.Name
		if len(cmd.Subcommands) > 0 && cmd.Action == nil {
			sub := cmd.Subcommands
			cmd.Action = groupAction(p, func() []*ucli.Command { return sub })
		}
		addGroupActions(p, cmd.Subcommands)
	}
}

// undefinedFlag is the flag package's wording of an unknown flag.
var undefinedFlag = regexp.MustCompile(`^flag provided but not defined: -+(.+)$`)

// flagTypo rewords "flag provided but not defined: -comand-config" as
// "unknown flag --comand-config" and suggests the nearest flag of flags.
func flagTypo(err error, flags []ucli.Flag) (error, string) {
	m := undefinedFlag.FindStringSubmatch(err.Error())
	if m == nil {
		return err, ""
	}
	typed := m[1]
	dashes := "--"
	if len(typed) == 1 {
		dashes = "-"
	}
	err = fmt.Errorf("unknown flag %s%s", dashes, typed)
	if typed == "o" && findFlag(flags, "org") != nil {
		return err, "--org (-o is the output format in every command; the organization is --org)"
	}
	best, score := "", 0.0
	for _, f := range flags {
		for _, n := range f.Names() {
			if s := smetrics.JaroWinkler(n, typed, 0.7, 4); s > score {
				best, score = n, s
			}
		}
	}
	if score < suggestMin || best == "" {
		return err, ""
	}
	if len(best) == 1 {
		return err, "-" + best
	}
	return err, "--" + best
}

// usageHint is the hint of a usage error: the suggestion, then the help.
func usageHint(suggestion, helpName string) string {
	help := fmt.Sprintf("run '%s --help' for usage", helpName)
	if suggestion == "" {
		return help
	}
	return fmt.Sprintf("did you mean %s? (%s)", suggestion, help)
}
