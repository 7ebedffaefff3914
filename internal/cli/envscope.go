package cli

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

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

// envName is KAFKAGUARD_ + the words upper-cased and joined with _ ('-'
// and ' ' become '_' too). newApp names a variable for most of its flags on
// every run, so ASCII, which every flag and command name is, takes one pass.
func envName(words ...string) string {
	n := len(envPrefix) + len(words)
	for _, w := range words {
		n += len(w)
	}
	b := make([]byte, 0, n)
	b = append(b, envPrefix...)
	for i, w := range words {
		if i > 0 {
			b = append(b, '_')
		}
		for j := 0; j < len(w); j++ {
			c := w[j]
			switch {
			case c >= utf8.RuneSelf:
				return envPrefix + strings.ToUpper(envNameReplacer.Replace(strings.Join(words, "_")))
			case c == '-' || c == ' ':
				c = '_'
			case 'a' <= c && c <= 'z':
				c -= 'a' - 'A'
			}
			b = append(b, c)
		}
	}
	return string(b)
}

var envNameReplacer = strings.NewReplacer("-", "_", " ", "_")

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
			ff := fieldsOf(f)
			if ff.envVars == nil || *ff.envVars == nil {
				continue
			}
			name, vars := ff.name, *ff.envVars
			var own string
			switch flagEnvScope[name] {
			case envShared:
				continue
			case envByNoun:
				if name == "password-file" && p[0] != "pki" {
					*ff.envVars = nil // users rotate: the new password of one user
					continue
				}
				own = envName(p[0], name)
			case envByPath:
				own = envName(strings.Join(p, " "), name)
			case envNone:
				*ff.envVars = nil
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
			*ff.envVars = nonEmpty(e, scoped)
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

// flagFields are the fields of a urfave/cli flag that scopeEnv and
// strictUsage read and change: its first name, and pointers to its EnvVars
// and Required (nil for a flag without them: durationFlag's wrapper keeps
// its own environment handling). newApp visits every flag of every command
// on every run, so the common kinds are reached by a type switch: Names()
// runs a regular expression per name and reflect's FieldByName searches
// the struct, which cost about half a millisecond a run. The rarer kinds
// (int, duration: a tenth of the flags) fall back to both.
type flagFields struct {
	name     string
	envVars  *[]string
	required *bool
}

func fieldsOf(f ucli.Flag) flagFields {
	switch f := f.(type) {
	case *ucli.StringFlag:
		return flagFields{f.Name, &f.EnvVars, &f.Required}
	case *ucli.BoolFlag:
		return flagFields{f.Name, &f.EnvVars, &f.Required}
	case *ucli.StringSliceFlag:
		return flagFields{f.Name, &f.EnvVars, &f.Required}
	case grammarDurationFlag:
		return flagFields{name: f.Name}
	}
	return flagFields{name: f.Names()[0], envVars: flagField[[]string](f, "EnvVars"), required: flagField[bool](f, "Required")}
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
