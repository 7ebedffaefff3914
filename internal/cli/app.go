// Package cli wires kafkaguard's commands (urfave/cli/v2). Each noun lives in
// its own file; the commands only parse flags, read files and print: the work
// is done by the packages they call.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/kafkaguard/kafkaguard/internal/buildinfo"
	"github.com/kafkaguard/kafkaguard/internal/textsafe"
)

// Exit codes, the contract CI jobs rely on (docs/design.md).
const (
	ExitOK       = 0 // ran, nothing to report
	ExitError    = 1 // could not run
	ExitFindings = 2 // ran and found something
	// ExitInterrupted: stopped by Ctrl-C (SIGINT) after reporting what was
	// done, as shells report 128+SIGINT.
	ExitInterrupted = 130
)

// env is what a command may touch of the outside world. Tests build their own.
type env struct {
	stdin     io.Reader
	stdout    io.Writer
	stderr    io.Writer
	stdinTTY  bool
	stdoutTTY bool
	stderrTTY bool
	getenv    func(string) string
	prog      *progressLine // progress of long work on stderr; nil unless stderr is a terminal
	args      []string      // the command line, to tell a flag typed from one set in the environment
	selected  bool          // args runs one command, which alone is built (commands)
}

// isTerminal reports whether v is a terminal. A character device is not
// enough: /dev/null is one, and a CI job with stdin from /dev/null must not be
// mistaken for a person who can answer a prompt.
func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	if !ok {
		return false
	}
	return term.IsTerminal(int(f.Fd()))
}

// Main runs kafkaguard with args (args[0] is the program name) and returns the
// process exit code. The first Ctrl-C (SIGINT) ends the context the command
// runs with: a long command stops after the request in flight and reports
// what it did (exit 130); a second Ctrl-C kills the process at once.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // the default again: a second Ctrl-C kills
	}()
	return RunContext(ctx, args, stdin, stdout, stderr)
}

// RunContext runs kafkaguard with args under ctx, as Main does without
// installing a signal handler: the demo runs its commands with it in-process.
func RunContext(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// Every byte of output passes an escaper: a name can hold control
	// characters (ESC sequences that erase plan lines, bidi overrides),
	// and only kafkaguard's own colours may reach a terminal.
	out := &textsafe.Writer{W: stdout, Terminal: isTerminal(stdout)}
	errw := &textsafe.Writer{W: stderr, Terminal: isTerminal(stderr)}
	defer out.Flush()
	defer errw.Flush()
	e := &env{
		stdin: stdin, stdout: out, stderr: errw,
		stdinTTY: isTerminal(stdin), stdoutTTY: out.Terminal, stderrTTY: errw.Terminal,
		getenv: os.Getenv,
	}
	return e.runContext(ctx, args)
}

func (e *env) run(args []string) int { return e.runContext(context.Background(), args) }

func (e *env) runContext(ctx context.Context, args []string) (code int) {
	e.args = args
	// A panic is a bug, never "findings": exit 1 with one line, not the
	// runtime's exit 2 (which plan --detailed-exitcode reads as changes).
	defer func() {
		if r := recover(); r != nil {
			code = e.internalError(r)
		}
	}()
	e.initProgress()
	app := newApp(e)
	err := app.RunContext(ctx, hoistGlobalFlags(app, args))
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, errFindings):
		return ExitFindings
	case errors.Is(err, errInterrupted):
		return ExitInterrupted
	}
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	// urfave/cli words an unknown command as a missing help topic.
	if topic, ok := strings.CutPrefix(msg, "No help topic for "); ok {
		msg = "unknown command " + topic
		err = withHint(err, "run 'kafkaguard --help' for the list of commands")
	}
	fmt.Fprintf(e.stderr, "kafkaguard: error: %s\n", msg)
	var h *hintError
	if errors.As(err, &h) && h.hint != "" {
		fmt.Fprintf(e.stderr, "kafkaguard: hint: %s\n", h.hint)
	}
	return ExitError
}

// internalError reports a recovered panic as one error line naming where it
// happened, and returns the exit code 1.
func (e *env) internalError(r any) int {
	msg := strings.ReplaceAll(fmt.Sprint(r), "\n", " ")
	if where := panicSite(); where != "" {
		msg += " (at " + where + ")"
	}
	fmt.Fprintf(e.stderr, "kafkaguard: error: internal error: %s\n", msg)
	fmt.Fprintln(e.stderr, "kafkaguard: hint: this is a bug in kafkaguard; please report it with the command and input that caused it")
	return ExitError
}

// panicSite is file:line of the innermost kafkaguard frame of the panicking
// goroutine's stack, as seen from a deferred recover.
func panicSite() string {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(3, pcs)])
	panicking := false
	for {
		f, more := frames.Next()
		if f.Function == "runtime.gopanic" {
			panicking = true
		} else if fn, ok := strings.CutPrefix(f.Function, "github.com/kafkaguard/kafkaguard/"); panicking && ok {
			// The package's directory (fn up to the first dot after its
			// last slash) and the file's name: "pki/mapper.go:83".
			slash := strings.LastIndex(fn, "/") + 1
			dir := fn[:slash+strings.Index(fn[slash:], ".")]
			return fmt.Sprintf("%s/%s:%d", dir, filepath.Base(f.File), f.Line)
		}
		if !more {
			return ""
		}
	}
}

func newApp(e *env) *ucli.App {
	cmds := e.commands()
	app := &ucli.App{
		Name:      "kafkaguard",
		Usage:     "security policy engine for Apache Kafka clusters",
		UsageText: "kafkaguard [global options] command [command options] [arguments...]",
		Description: `kafkaguard gives a self-managed Kafka cluster a CA for broker and client
certificates, SASL/SCRAM users, ACLs compiled from Rego policy over a declared
inventory, terraform-style plan/apply, and a nightly drift audit.

Examples:
  kafkaguard policy check -f inventory.yaml
  kafkaguard compile -f inventory.yaml -o json
  kafkaguard plan -f inventory.yaml --bootstrap-server kafka:9093 --command-config admin.properties
  kafkaguard apply -f inventory.yaml --command-config admin.properties --auto-approve
  kafkaguard audit -f inventory.yaml --command-config admin.properties -o prometheus --out /var/lib/node_exporter/textfile/kafkaguard.prom
  kafkaguard access can --acls acls.json User:orders-api WRITE TOPIC orders.events

Exit codes: 0 nothing to report, 1 could not run, 2 findings: policy violations
(and warnings with --fail-on-warn), failing policy tests, audit findings at or
above --fail-on, and pending changes with plan --detailed-exitcode.
Flags can also come from the environment: KAFKAGUARD_<FLAG>, or scoped to the
command where the meaning differs (KAFKAGUARD_PKI_DIR, KAFKAGUARD_DEV_DIR,
KAFKAGUARD_AUDIT_OUTPUT, ...); each flag's --help shows its variable.`,
		Version:              buildinfo.Read().Version,
		Reader:               e.stdin,
		Writer:               e.stdout,
		ErrWriter:            e.stderr,
		EnableBashCompletion: true,
		HideVersion:          true,
		// urfave/cli stats os.Args[0] for this date when it is zero; no
		// output of kafkaguard's shows it.
		Compiled: time.Unix(1, 0),
		Flags: append([]ucli.Flag{
			&ucli.BoolFlag{Name: "no-color", Usage: "never colour the output (also NO_COLOR)", EnvVars: envVars("no-color")},
			&ucli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "request-level logs on stderr (never secrets)", EnvVars: envVars("verbose")},
			&ucli.BoolFlag{Name: "version", Usage: "print the version and exit (kafkaguard version -v adds module versions)"},
		}, limitFlags()...),
		Action: func(c *ucli.Context) error {
			if c.Bool("version") {
				fmt.Fprintf(e.stdout, "kafkaguard %s\n", buildinfo.Read())
				return nil
			}
			return groupAction("kafkaguard", func() []*ucli.Command { return c.App.Commands })(c)
		},
		Commands: cmds,
		// Usage errors are ordinary errors: one line, exit 1.
		OnUsageError: usageError,
		// Never let urfave/cli call os.Exit: Main owns the exit code.
		ExitErrHandler: func(*ucli.Context, error) {},
	}
	e.scopeEnv(nil, app.Commands)
	addGroupActions("kafkaguard", app.Commands)
	for _, cmd := range app.Commands {
		strictUsage(cmd)
	}
	if e.selected {
		nameFlags(app.Flags, app.Commands, e.args) // after the type switches of scopeEnv and strictUsage
	}
	return app
}

// usageError turns a flag or argument mistake into one line plus a hint,
// instead of urfave/cli's "Incorrect Usage" and a help page on stdout (which
// would end up in a file that a script redirects results to).
func usageError(c *ucli.Context, err error, _ bool) error {
	name := "kafkaguard"
	if c != nil && c.Command != nil && c.Command.HelpName != "" {
		name = c.Command.HelpName
	}
	var flags []ucli.Flag
	if c != nil && c.Command != nil {
		flags = c.Command.Flags
	}
	if c != nil && (c.Command == nil || c.Command.Name == "" || c.Command.HelpName == c.App.Name) {
		flags = c.App.Flags
	}
	err, suggestion := flagTypo(err, flags)
	return withHint(err, usageHint(suggestion, name))
}

// strictUsage makes cmd and its subcommands report usage errors as one line
// on stderr. urfave/cli prints the whole help to stdout when a required flag
// is missing, so required flags are checked here instead, before the action.
func strictUsage(cmd *ucli.Command) {
	cmd.OnUsageError = usageError
	if cmd.Action != nil {
		cmd.Action = explainAction(cmd.Action)
	}
	var required []ucli.Flag
	for _, f := range cmd.Flags {
		if clearRequired(f) {
			required = append(required, f)
		}
	}
	if len(required) > 0 {
		before := cmd.Before
		cmd.Before = func(c *ucli.Context) error {
			var missing []string
			for _, f := range required {
				if !isSetAnywhere(c, f.Names()[0]) {
					missing = append(missing, "--"+f.Names()[0])
				}
			}
			if len(missing) > 0 {
				return usageError(c, fmt.Errorf("missing required flag %s", strings.Join(missing, ", ")), true)
			}
			if before != nil {
				return before(c)
			}
			return nil
		}
	}
	for _, sub := range cmd.Subcommands {
		strictUsage(sub)
	}
}

// clearRequired unsets a flag's Required and reports whether it was set.
func clearRequired(f ucli.Flag) bool {
	required := fieldsOf(f).required
	if required == nil {
		return false
	}
	was := *required
	*required = false
	return was
}

// isSetAnywhere reports whether a flag was given on the command line or
// through its environment variable, in c or any parent context.
func isSetAnywhere(c *ucli.Context, name string) bool {
	for _, ctx := range c.Lineage() {
		if ctx.IsSet(name) {
			return true
		}
	}
	return false
}

// globalFlagTokens are the app's own flags as they may be written.
var globalFlagTokens = map[string]string{
	"-v": "verbose", "--verbose": "verbose", "-verbose": "verbose",
	"--no-color": "no-color", "-no-color": "no-color",
}

// hoistGlobalFlags moves --no-color and -v/--verbose written after a
// command (`kafkaguard plan -f inv.yaml -v`) in front of it, where
// urfave/cli looks for them, unless that command defines a flag of the same
// name itself (policy test -v). Nothing after "--" is touched.
func hoistGlobalFlags(app *ucli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	var hoisted, rest []string
	cmds := app.Commands
	var cmd *ucli.Command
	for i := 1; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		tok, _, _ := strings.Cut(a, "=")
		if name, ok := globalFlagTokens[tok]; ok && cmd != nil && findFlag(cmd.Flags, name) == nil {
			hoisted = append(hoisted, a)
			continue
		}
		if cmd == nil || !strings.HasPrefix(a, "-") {
			for _, c := range cmds {
				if c.HasName(a) {
					cmd, cmds = c, c.Subcommands
					break
				}
			}
		}
		rest = append(rest, a)
	}
	out := append([]string{args[0]}, hoisted...)
	return append(out, rest...)
}

// envVars returns the environment variable for a flag: KAFKAGUARD_<FLAG>.
func envVars(flag string) []string { return []string{envName(flag)} }

func versionCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "version",
		Usage:     "print the kafkaguard version, commit, build date and Go version",
		UsageText: "kafkaguard version [-v] [-o text|json]",
		Description: `Prints what the binary was built from: the release tag (or the module
version for a go install build), the commit, the build date, the Go version
and the platform. -v adds every Go module compiled in, like go version -m.

Examples:
  kafkaguard version
  kafkaguard --version
  kafkaguard version -v
  kafkaguard version -o json`,
		Flags: []ucli.Flag{
			&ucli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "also list the Go modules compiled in"},
			outputFlag("text", "json"),
		},
		Action: func(c *ucli.Context) error {
			info := buildinfo.Read()
			if !c.Bool("verbose") {
				info.Modules = nil
			}
			if c.String("output") == "json" {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(info)
			}
			info.WriteVerbose(e.stdout)
			return nil
		},
	}
}

// useColor reports whether stdout output may be coloured.
func (e *env) useColor(c *ucli.Context) bool {
	return e.stdoutTTY && !c.Bool("no-color") && e.getenv("NO_COLOR") == ""
}

// outputFlag is the -o/--output flag limited to formats.
func outputFlag(formats ...string) *ucli.StringFlag {
	return &ucli.StringFlag{
		Name: "output", Aliases: []string{"o"}, Value: formats[0],
		Usage: "output format: " + strings.Join(formats, ", "),
		// Scoped per command by scopeEnv; the shared KAFKAGUARD_OUTPUT only
		// where this -o takes its value (urfave/cli reads os's environment).
		EnvVars: sharedOutputEnv(formats),
		Action: func(c *ucli.Context, v string) error {
			for _, f := range formats {
				if v == f {
					return nil
				}
			}
			return fmt.Errorf("unknown output format %q (want one of %s)", v, strings.Join(formats, ", "))
		},
	}
}

func sharedOutputEnv(formats []string) []string {
	if slices.Contains(formats, os.Getenv("KAFKAGUARD_OUTPUT")) {
		return []string{"KAFKAGUARD_OUTPUT"}
	}
	return []string{}
}

// notYet is the action of a command whose capability has not landed yet.
func notYet(name string) ucli.ActionFunc {
	return func(*ucli.Context) error {
		return fmt.Errorf("%s is not implemented yet", name)
	}
}
