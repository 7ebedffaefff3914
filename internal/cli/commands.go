package cli

import (
	"slices"
	"strings"

	ucli "github.com/urfave/cli/v2"
)

// topCommand is one of kafkaguard's commands: the name its constructor
// gives it (TestTopCommandNames checks them), the constructor, and whether
// it reads the whole command tree (man pages, completion).
type topCommand struct {
	name      string
	build     func(*env) *ucli.Command
	wholeTree bool
}

// topCommands are the commands in the order help lists them (a function:
// demo runs commands, so a variable would refer to itself).
func topCommands() []topCommand {
	return []topCommand{
		{"version", versionCommand, false},
		{"access", accessCommand, false},
		{"pki", pkiCommand, false},
		{"compile", compileCommand, false},
		{"import", importCommand, false},
		{"policy", policyCommand, false},
		{"plan", planCommand, false},
		{"apply", applyCommand, false},
		{"users", usersCommand, false},
		{"audit", auditCommand, false},
		{"dev", devCommand, false},
		{"demo", demoCommand, false},
		{"completion", completionCommand, true},
		{"__complete", completeCommand, true},
		{"man", manCommand, true},
	}
}

// commands builds the app's commands: only the one e.args runs when
// building the others cannot change what the run does (selectedCommand),
// else all of them. Building, scoping and checking every flag of every
// command costs more than a short command's own work (pki issue: about a
// fifth of a millisecond of 2-5). e.selected says which (subcommands
// builds by it too).
func (e *env) commands() []*ucli.Command {
	all := topCommands()
	c := selectedCommand(all, e.args)
	e.selected = c != nil
	if c != nil {
		return []*ucli.Command{c.build(e)}
	}
	out := make([]*ucli.Command, 0, len(all))
	for _, c := range all {
		out = append(out, c.build(e))
	}
	return out
}

// selectedCommand is the command of all that args run when it alone decides the
// output: args[1] names it (no global flag before it, no alias), it does
// not read the command tree, and no argument may ask for help or
// completion, whose output lists other commands. nil means build them all.
func selectedCommand(all []topCommand, args []string) *topCommand {
	if len(args) < 2 {
		return nil
	}
	for _, a := range args[1:] {
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name == "h" || name == "help" || name == "generate-bash-completion" {
			return nil
		}
	}
	for i, c := range all {
		if c.name == args[1] && !c.wholeTree {
			return &all[i]
		}
	}
	return nil
}

// subcommand is a subcommand's name and constructor (as topCommand; a
// subcommand built this way has no aliases: TestSubcommandNames).
type subcommand struct {
	name  string
	build func(*env) *ucli.Command
}

// subcommands builds subs. In a run of one selected command only those the
// command line names can run, so only they are built when it names any
// (pki issue client: issue of pki's eight, and its flags); otherwise, and
// for help, completion, a typo or a group run without one, which list
// them, all are.
func (e *env) subcommands(subs ...subcommand) []*ucli.Command {
	var out []*ucli.Command
	if e.selected {
		for _, s := range subs {
			if slices.Contains(e.args[1:], s.name) {
				out = append(out, s.build(e))
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	for _, s := range subs {
		out = append(out, s.build(e))
	}
	return out
}
