package cli

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"

	ucli "github.com/urfave/cli/v2"
)

// Environment variables. Most flags mean the same thing in every command
// and are read from KAFKAGUARD_<FLAG> (KAFKAGUARD_COMMAND_CONFIG,
// KAFKAGUARD_FILE, ...). The ones that do not are scoped, so that a variable
// set for one command never changes another:
//
//   - by noun: --dir is a CA for pki (KAFKAGUARD_PKI_DIR, the same name as
//     audit --pki-dir), the dev cluster's directory for dev
//     (KAFKAGUARD_DEV_DIR) and the demo's for demo (KAFKAGUARD_DEMO_DIR);
//   - by command: -o/--output and --out, whose values differ per command
//     (KAFKAGUARD_AUDIT_OUTPUT, KAFKAGUARD_POLICY_CHECK_OUTPUT,
//     KAFKAGUARD_PKI_CRL_OUT, ...);
//   - not at all: flags that pick what one run acts on (--name, --serial,
//     --force, --all, ...), which a variable left in a shell must not choose.
//
// Old shared names still work for one release where they are unambiguous,
// with a warning: KAFKAGUARD_DIR for pki, KAFKAGUARD_OUT for audit, and
// KAFKAGUARD_OUTPUT for a command whose -o takes its value (elsewhere it
// is ignored, with a note).

const envPrefix = "KAFKAGUARD_"

// envName is KAFKAGUARD_ + the words upper-cased and joined with _.
func envName(words ...string) string {
	return envPrefix + strings.ToUpper(strings.NewReplacer("-", "_", " ", "_").Replace(strings.Join(words, "_")))
}

// envScope says how a flag name's variable is scoped.
type envScope int

const (
	envShared envScope = iota // KAFKAGUARD_<FLAG>
	envByNoun                 // KAFKAGUARD_<NOUN>_<FLAG>
	envByPath                 // KAFKAGUARD_<COMMAND PATH>_<FLAG>
	envNone                   // command line only
)

var flagEnvScope = map[string]envScope{
	"dir": envByNoun, "password-file": envByNoun,
	"output": envByPath, "out": envByPath,
	"name": envNone, "serial": envNone, "reason": envNone, "force": envNone,
	"all": envNone, "cn": envNone, "dn": envNone, "csr": envNone, "ou": envNone,
	"run": envNone, "head": envNone, "base": envNone, "principal": envNone,
	"topic": envNone, "host": envNone, "reuse-key": envNone, "expiring-within": envNone,
	"pkcs12": envNone, "keep": envNone,
}

// deprecatedEnv are the old shared names still read, per command path
// prefix, for one release.
var deprecatedEnv = []struct{ path, flag, old string }{
	{"pki", "dir", "KAFKAGUARD_DIR"},
	{"audit", "out", "KAFKAGUARD_OUT"},
}

// scopeEnv sets the environment variables of every flag under cmds, path
// being the command words above them.
func (e *env) scopeEnv(path []string, cmds []*ucli.Command) {
	for _, cmd := range cmds {
		p := append(slices.Clone(path), cmd.Name)
		var notes []string
		for _, f := range cmd.Flags {
			name := f.Names()[0]
			vars := envVarsOf(f)
			if vars == nil {
				continue
			}
			var own string
			switch flagEnvScope[name] {
			case envShared:
				continue
			case envByNoun:
				if name == "password-file" && p[0] != "pki" {
					setEnvVars(f, nil) // users rotate: the new password of one user
					continue
				}
				own = envName(p[0], name)
			case envByPath:
				own = envName(strings.Join(p, " "), name)
			case envNone:
				setEnvVars(f, nil)
				continue
			}
			scoped := []string{own}
			for _, d := range deprecatedEnv {
				if d.flag == name && strings.HasPrefix(strings.Join(p, " "), d.path) {
					scoped = append(scoped, d.old)
					if e.getenv(own) == "" && e.getenv(d.old) != "" {
						notes = append(notes, fmt.Sprintf("%s is deprecated for %s --%s: set %s (the old name stops working in the next release)", d.old, strings.Join(p, " "), name, own))
					}
				}
			}
			if name == "output" {
				// outputFlag lists KAFKAGUARD_OUTPUT only when this command's
				// -o takes its value.
				if slices.Contains(vars, "KAFKAGUARD_OUTPUT") {
					scoped = append(scoped, "KAFKAGUARD_OUTPUT")
					if e.getenv(own) == "" {
						notes = append(notes, fmt.Sprintf("KAFKAGUARD_OUTPUT is deprecated: set %s (the old name stops working in the next release)", own))
					}
				} else if v := e.getenv("KAFKAGUARD_OUTPUT"); v != "" && e.getenv(own) == "" {
					notes = append(notes, fmt.Sprintf("KAFKAGUARD_OUTPUT=%s ignored: %s -o does not take it (set %s)", v, strings.Join(p, " "), own))
				}
			}
			setEnvVars(f, nonEmpty(e, scoped))
		}
		if len(notes) > 0 {
			e.warnBefore(cmd, notes)
		}
		e.scopeEnv(p, cmd.Subcommands)
	}
}

// nonEmpty drops the variables that are set but empty, so an old name
// still counts when the new one is exported empty (urfave/cli takes the
// first variable that exists, even empty); with none set, vars[0] stays for
// the help text, unless it is exported empty.
func nonEmpty(e *env, vars []string) []string {
	var out []string
	for _, v := range vars {
		if e.getenv(v) != "" {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		if _, set := os.LookupEnv(vars[0]); set {
			return []string{} // exported empty: as if unset
		}
		return vars[:1]
	}
	return out
}

// warnBefore prints notes on stderr when cmd itself runs.
func (e *env) warnBefore(cmd *ucli.Command, notes []string) {
	before := cmd.Before
	cmd.Before = func(c *ucli.Context) error {
		for _, n := range notes {
			fmt.Fprintf(e.stderr, "kafkaguard: warning: %s\n", n)
		}
		if before != nil {
			return before(c)
		}
		return nil
	}
}

// flagField points at the field called name of a urfave/cli flag (every
// kind, *ucli.StringFlag, *ucli.BoolFlag, ..., declares EnvVars []string
// and Required bool), or is nil for a flag that is not a pointer to such a
// struct (durationFlag's wrapper keeps its own environment handling).
func flagField[T any](f ucli.Flag, name string) *T {
	v := reflect.ValueOf(f)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	field := v.Elem().FieldByName(name)
	if !field.IsValid() || !field.CanAddr() {
		return nil
	}
	p, _ := field.Addr().Interface().(*T)
	return p
}

func envVarsOf(f ucli.Flag) []string {
	if p := flagField[[]string](f, "EnvVars"); p != nil {
		return *p
	}
	return nil
}

func setEnvVars(f ucli.Flag, vars []string) {
	if p := flagField[[]string](f, "EnvVars"); p != nil {
		*p = vars
	}
}
