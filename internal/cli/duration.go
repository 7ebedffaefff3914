package cli

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/kafkaguard/kafkaguard/internal/duration"
	"github.com/kafkaguard/kafkaguard/policies"
)

// durationFlag is a flag that takes a duration in kafkaguard's one grammar
// (package duration: 30d, 12h, 1y, 90m, ...), from the command line or
// KAFKAGUARD_<NAME>. It is a ucli.DurationFlag (help, c.Duration(name),
// c.IsSet(name) as for one) whose values are parsed with duration.Parse
// instead of time.ParseDuration.
func durationFlag(name string, def time.Duration, usage string) ucli.Flag {
	return grammarDurationFlag{DurationFlag: &ucli.DurationFlag{Name: name, Value: def, Usage: usage, EnvVars: envVars(name)}}
}

// policyDeadlineFlag is a durationFlag that bounds policy evaluation (or a
// policy test), default policies.DefaultTimeout: the flag the error
// boundary names when a policy runs out of time (timeoutAdvice).
func policyDeadlineFlag(name, usage string) ucli.Flag {
	return grammarDurationFlag{DurationFlag: &ucli.DurationFlag{Name: name, Value: policies.DefaultTimeout, Usage: usage, EnvVars: envVars(name)}, policyDeadline: true}
}

type grammarDurationFlag struct {
	*ucli.DurationFlag
	policyDeadline bool // the flag is a policy deadline (policyDeadlineFlag)
}

// Apply is ucli.DurationFlag's, with duration.Parse: the first of the
// flag's environment variables that is set gives the starting value.
func (f grammarDurationFlag) Apply(set *flag.FlagSet) error {
	v := duration.Value(f.Value)
	for _, env := range f.EnvVars {
		s, ok := os.LookupEnv(strings.TrimSpace(env))
		if !ok {
			continue
		}
		if s != "" {
			if err := v.Set(s); err != nil {
				return fmt.Errorf("could not parse %q as duration value from environment variable %q for flag %s: %s", s, env, f.Name, err)
			}
			f.HasBeenSet = true
		}
		break
	}
	for _, name := range f.Names() {
		val := v // each name its own value, as flag.FlagSet.Duration gives
		set.Var(&val, name, f.Usage)
	}
	return nil
}
