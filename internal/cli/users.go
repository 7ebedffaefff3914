package cli

import (
	"errors"
	"fmt"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/kafkaguard/kafkaguard/internal/app"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/scram"
)

func usersCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "users",
		Usage:     "manage SASL/SCRAM users: plan, apply, verify by login, rotate",
		UsageText: "kafkaguard users plan|apply|verify|rotate -f INVENTORY --command-config FILE [command options]",
		Description: `Every principal of the inventory with auth: scram-sha-256 or scram-sha-512
becomes a SCRAM user on the cluster (AlterUserScramCredentials, KIP-554). The
credentials are salted here (xdg-go/scram); the cluster never sees a password.

For each user the secrets store (--secrets-dir, default .kafkaguard/secrets,
mode 0700) holds NAME.password, NAME.properties (a Java client config) and
NAME.librdkafka.properties (for kcat -F), all 0600 and written atomically.
Passwords are 256 random bits unless NAME.password is already there before
the user is created. Passwords never appear in any output.

'kafkaguard plan' and 'kafkaguard apply' show and apply the same user changes
in their own section, before the ACLs.

Examples:
  kafkaguard users plan -f inventory.yaml --command-config admin.properties
  kafkaguard users apply -f inventory.yaml --command-config admin.properties --auto-approve
  kafkaguard users verify -f inventory.yaml --command-config admin.properties -o json
  kafkaguard users rotate orders-api -f inventory.yaml --command-config admin.properties
  kcat -F .kafkaguard/secrets/orders-api.librdkafka.properties -L`,
		Subcommands: []*ucli.Command{
			usersPlanCommand(e),
			usersApplyCommand(e),
			usersVerifyCommand(e),
			usersRotateCommand(e),
		},
	}
}

// usersConnFlags are the flags every users subcommand shares.
func usersConnFlags() []ucli.Flag {
	flags := []ucli.Flag{
		&ucli.StringSliceFlag{Name: "file", Aliases: []string{"f"}, Usage: "inventory `FILE` or directory (repeatable; required)", EnvVars: envVars("file")},
	}
	flags = append(flags, connFlags()...)
	return append(flags, usersSecretsDirFlag())
}

// loginConcurrencyFlag is --login-concurrency of the commands that log in
// as every SCRAM user (users verify, audit); loginConcurrency reads it.
func loginConcurrencyFlag() ucli.Flag {
	return &ucli.IntFlag{Name: "login-concurrency", Value: scram.DefaultLoginConcurrency, Usage: "log in as `N` SCRAM users at once (each login is one short connection)", EnvVars: envVars("login-concurrency")}
}

func loginConcurrency(c *ucli.Context) (int, error) {
	n := c.Int("login-concurrency")
	if n < 1 {
		return 0, fmt.Errorf("--login-concurrency %d: want 1 or more", n)
	}
	return n, nil
}

func usersSecretsDirFlag() ucli.Flag {
	return &ucli.StringFlag{Name: "secrets-dir", Value: scram.DefaultSecretsDir, Usage: "secrets store `DIR` (passwords and client configs, mode 0700)", EnvVars: envVars("secrets-dir")}
}

func usersPruneFlag() ucli.Flag {
	return &ucli.BoolFlag{Name: "prune", Usage: "remove SCRAM users the inventory does not declare (only inside the managed scope, never the running admin)", EnvVars: envVars("prune")}
}

// usersSession is what a users subcommand works with.
type usersSession struct {
	e *env
	*app.Session
	store   *scram.Store
	verbose bool
}

func (s *usersSession) logf(format string, args ...any) {
	if s.verbose {
		fmt.Fprintf(s.e.stderr, "kafkaguard: "+format+"\n", args...)
	}
}

// openUsersSession loads the inventory (without compiling it), opens the
// secrets store and connects.
func openUsersSession(e *env, c *ucli.Context) (*usersSession, error) {
	if c.Command.Name != "rotate" { // rotate takes user names
		if err := noArgs(c); err != nil {
			return nil, err
		}
	}
	w, err := loadWorkspace(c, true)
	if err != nil {
		return nil, err
	}
	s := &usersSession{e: e, verbose: c.Bool("verbose")}
	if s.store, err = scram.OpenStore(c.String("secrets-dir"), false); err != nil {
		return nil, err
	}
	s.logf("the inventory declares %d SCRAM users", len(w.Users))
	if s.Session, err = e.connectWorkspace(c, w); err != nil {
		return nil, err
	}
	return s, nil
}

// withUsersPlan opens a users session and plans its users with the same
// Planner and Section as the users section of 'kafkaguard plan' and 'apply'
// (--prune here is their --prune-users), then runs fn.
func withUsersPlan(e *env, c *ucli.Context, fn func(*usersSession, *scram.Section) error) error {
	s, err := openUsersSession(e, c)
	if err != nil {
		return err
	}
	defer s.Close()
	o := app.PlanOptions{PruneUsers: c.Bool("prune"), SecretsDir: c.String("secrets-dir"), Log: verboseWriter(c, e.stderr)}
	sec, err := s.UsersPlanner(o).PlanSection(c.Context)
	if err != nil {
		return connectHint(err, s.Client.Config()) // e.g. not authorized to describe SCRAM users
	}
	sec.SuggestPrune("--prune")
	return fn(s, sec)
}

func usersPlanCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "plan",
		Usage:     "show which SCRAM users apply would create, change or remove",
		UsageText: "kafkaguard users plan -f INVENTORY --command-config FILE [--secrets-dir DIR] [--prune] [--detailed-exitcode] [-o text|json|markdown]",
		Description: `Compares the inventory's SCRAM principals with DescribeUserScramCredentials:
  + create   declared, not on the cluster
  ~ change   mechanism or iteration count differs (iterations: 4096-16384, default 4096)
  - remove   on the cluster, not declared: only with --prune, only inside the
             managed scope (managed.principals), never the running admin
Exit code 0, or with --detailed-exitcode 2 when there are changes; 1 on error.

Examples:
  kafkaguard users plan -f inventory.yaml --command-config admin.properties
  kafkaguard users plan -f inventory.yaml --command-config admin.properties --prune --detailed-exitcode
  kafkaguard users plan -f inv/ --bootstrap-server kafka:9093 --command-config admin.properties -o json | jq .summary`,
		Flags: append(usersConnFlags(),
			usersPruneFlag(),
			&ucli.BoolFlag{Name: "detailed-exitcode", Usage: "exit 2 when there are changes", EnvVars: envVars("detailed-exitcode")},
			outputFlag("text", "json", "markdown"),
		),
		Action: func(c *ucli.Context) error {
			return withUsersPlan(e, c, func(_ *usersSession, sec *scram.Section) error {
				p := sec.UserPlan()
				if err := writeUsersPlan(e.stdout, c.String("output"), p, style{color: e.useColor(c)}); err != nil {
					return err
				}
				return findingsIf(c.Bool("detailed-exitcode") && !p.Empty())
			})
		},
	}
}

func usersApplyCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "apply",
		Usage:     "create, change and (with --prune) remove SCRAM users, and write their secrets",
		UsageText: "kafkaguard users apply -f INVENTORY --command-config FILE [--secrets-dir DIR] [--prune] [--auto-approve] [-o text|json]",
		Description: `Shows the users plan and applies it: upserts first, then deletions, so a
user that changes mechanism always has a credential. A new user gets the
password in DIR/NAME.password when that file already exists (put your own
there before apply), else a new random one. Asks for confirmation on a
terminal; without one, --auto-approve is required. Before writing anything it
checks that the cluster accepts logins with the mechanisms it will use.
Exit code 0 when every change succeeded, 1 otherwise.

Examples:
  kafkaguard users apply -f inventory.yaml --command-config admin.properties
  kafkaguard users apply -f inventory.yaml --command-config admin.properties --auto-approve --secrets-dir /etc/kafkaguard/secrets
  kafkaguard users apply -f inventory.yaml --command-config admin.properties --prune --auto-approve`,
		Flags: append(usersConnFlags(),
			usersPruneFlag(),
			&ucli.BoolFlag{Name: "auto-approve", Usage: "apply without asking", EnvVars: envVars("auto-approve")},
			outputFlag("text", "json"),
		),
		Action: func(c *ucli.Context) error {
			return withUsersPlan(e, c, func(s *usersSession, sec *scram.Section) error {
				p := sec.UserPlan()
				json := c.String("output") == "json"
				if !json {
					if err := writeUsersPlan(e.stdout, c.String("output"), p, style{color: e.useColor(c)}); err != nil {
						return err
					}
				}
				if p.Empty() {
					if json {
						return writeUsersResultsJSON(e.stdout, nil)
					}
					return nil
				}
				if err := e.confirmApply(c); err != nil { // plan.go: --auto-approve, or "yes" on a terminal
					return err
				}
				start := time.Now()
				results, err := sec.ApplyResults(c.Context)
				interrupted := c.Context.Err() != nil
				if err != nil && !interrupted {
					return err
				}
				fmt.Fprintf(e.stderr, "kafkaguard: %s in %s\n", doneSummary("applied", "user change", results), time.Since(start).Round(time.Millisecond))
				if json {
					if err := writeUsersResultsJSON(e.stdout, results); err != nil {
						return err
					}
				} else {
					writeUsersApplyText(e.stdout, results)
				}
				if interrupted {
					return e.interrupted(len(results)-failedCount(results), len(p.Changes), "kafkaguard users apply")
				}
				return resultsError(results, "user change")
			})
		},
	}
}

func usersVerifyCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "verify",
		Usage:     "log in as every SCRAM user with its stored password",
		UsageText: "kafkaguard users verify -f INVENTORY --command-config FILE [--secrets-dir DIR] [--login-concurrency N] [-o text|json]",
		Description: `For every SCRAM principal of the inventory: a real SCRAM login with the
stored password (and one Metadata request), reported as
  ok                  the stored password logs in
  wrong password      it does not: the password was changed elsewhere
  missing on cluster  no credential for the declared mechanism
  no stored password  no usable NAME.password in the secrets store (e.g. a
                      user imported from the cluster: not drift, but not
                      verified either; 'users rotate NAME' sets one)
Exit code 0 when all are ok, 2 when any is not, 1 when verification could
not run (cluster unreachable, SCRAM not enabled).

Note: users stored with more than 4096 iterations cannot log in to kfake (the
dev cluster) and show as wrong password there; real brokers are fine.

Examples:
  kafkaguard users verify -f inventory.yaml --command-config admin.properties
  kafkaguard users verify -f inventory.yaml --command-config admin.properties -o json | jq '.[] | select(.status != "ok")'`,
		Flags: append(usersConnFlags(), loginConcurrencyFlag(), outputFlag("text", "json")),
		Action: func(c *ucli.Context) error {
			workers, err := loginConcurrency(c)
			if err != nil {
				return err
			}
			s, err := openUsersSession(e, c)
			if err != nil {
				return err
			}
			defer s.Close()
			start := time.Now()
			s.logf("logging in as %d SCRAM users", len(s.Users))
			pl := e.progress()
			results, err := scram.VerifyUsersProgress(c.Context, s.Client, cluster.LoginSCRAM, s.Client.Config(), s.Users, s.store, s.Client.UserName(),
				scram.VerifyOptions{Concurrency: workers, Progress: pl.fn("logging in as SCRAM users")})
			pl.finish()
			if err != nil {
				return connectHint(err, s.Client.Config())
			}
			bad := 0
			for _, r := range results {
				if !r.OK() {
					bad++
				}
			}
			if err := writeVerify(e.stdout, c.String("output"), results); err != nil {
				return err
			}
			// The text table ends with its own summary line: one summary,
			// not a second one on stderr. JSON has none, so stderr says it.
			if c.String("output") != "text" {
				fmt.Fprintf(e.stderr, "kafkaguard: verified %s (%d not ok) in %s\n", plural(len(results), "user"), bad, time.Since(start).Round(time.Millisecond))
			}
			return findingsIf(bad > 0)
		},
	}
}

func usersRotateCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "rotate",
		Usage:     "give SCRAM users new passwords, verified by login before the secrets are replaced",
		UsageText: "kafkaguard users rotate NAME... | --all -f INVENTORY --command-config FILE [--secrets-dir DIR] [--password-file FILE]",
		Description: `For each user: a new random password (or the one in --password-file, for a
single NAME), upserted with the inventory's mechanism and iterations; then a
login with the new password; only when it works are NAME.password and the
client configs replaced (atomically). When the login fails the old files stay,
the old password is set again on the cluster if the store had it, and the
exit code is 1. The running admin is never rotated (its password is in the
command config: change it there). --all lists the users and asks for
confirmation on a terminal, like apply; without one it needs --auto-approve.

Examples:
  kafkaguard users rotate orders-api -f inventory.yaml --command-config admin.properties
  kafkaguard users rotate --all -f inventory.yaml --command-config admin.properties --auto-approve
  kafkaguard users rotate billing --password-file ./billing.pw -f inventory.yaml --command-config admin.properties`,
		Flags: append(usersConnFlags(),
			&ucli.BoolFlag{Name: "all", Usage: "rotate every SCRAM user of the inventory (asks on a terminal; else needs --auto-approve)", EnvVars: envVars("all")},
			&ucli.BoolFlag{Name: "auto-approve", Usage: "rotate --all without asking", EnvVars: envVars("auto-approve")},
			&ucli.StringFlag{Name: "password-file", Usage: "read the new password from `FILE` (one NAME only)", EnvVars: envVars("password-file")},
			outputFlag("text", "json"),
		),
		Action: withArgs(func(c *ucli.Context, names []string) error {
			all := c.Bool("all")
			switch {
			case all && len(names) > 0:
				return withHint(errors.New("give user names or --all, not both"), "run 'kafkaguard users rotate --help' for usage")
			case !all && len(names) == 0:
				return withHint(errors.New("no user to rotate"), "name the users, or pass --all")
			case c.String("password-file") != "" && (all || len(names) != 1):
				return errors.New("--password-file needs exactly one user name")
			}
			var newPW func(string) (string, error)
			if f := c.String("password-file"); f != "" {
				pw, err := scram.ReadPasswordFile(f)
				if err != nil {
					return err
				}
				newPW = func(string) (string, error) { return pw, nil }
			}
			s, err := openUsersSession(e, c)
			if err != nil {
				return err
			}
			defer s.Close()
			users, err := scram.Select(s.Users, names)
			if err != nil {
				return err
			}
			running := s.Client.UserName()
			for _, u := range users {
				if u.Name == running && !all {
					return fmt.Errorf("user %s is the running admin: kafkaguard does not rotate its own password (change it in the command config and on the cluster)", u.Name)
				}
			}
			if all {
				if err := e.confirmRotateAll(c, users, running); err != nil {
					return err
				}
			}
			store, err := scram.OpenStore(s.store.Dir, true)
			if err != nil {
				return err
			}
			// One run at a time changes the store (users apply takes it too).
			unlock, err := store.Lock(c.Context, func(format string, args ...any) {
				fmt.Fprintf(e.stderr, "kafkaguard: "+format+"\n", args...)
			})
			if err != nil {
				return err
			}
			defer unlock()
			settings, err := scram.ClientSettingsFrom(s.Client.Config())
			if err != nil {
				return err
			}
			r := &scram.Rotator{Admin: s.Client, Login: cluster.LoginSCRAM, Config: s.Client.Config(), Store: store, Settings: settings, NewPassword: newPW}
			if s.verbose {
				r.Log = s.logf
			}
			start := time.Now()
			pl := e.progress()
			var results []scram.Result
			for i, u := range users {
				if u.Name == running {
					fmt.Fprintf(e.stderr, "kafkaguard: skipping %s: the running admin\n", u.Name)
				} else {
					results = append(results, r.Rotate(c.Context, u))
				}
				pl.report("rotating SCRAM users", i+1, len(users))
			}
			pl.finish()
			if c.String("output") == "json" {
				if err := writeUsersResultsJSON(e.stdout, results); err != nil {
					return err
				}
			} else {
				writeRotateText(e.stdout, results)
			}
			fmt.Fprintf(e.stderr, "kafkaguard: %s in %s\n", doneSummary("rotated", "user", results), time.Since(start).Round(time.Millisecond))
			return resultsError(results, "rotation")
		}),
	}
}

// usersPlanFlags are the flags 'kafkaguard plan' and 'apply' add for their
// SCRAM users section.
func usersPlanFlags() []ucli.Flag {
	return []ucli.Flag{
		usersSecretsDirFlag(),
		&ucli.BoolFlag{Name: "prune-users", Usage: "remove SCRAM users the inventory does not declare (only inside the managed scope, never the running admin)", EnvVars: envVars("prune-users")},
	}
}

// confirmRotateAll asks before --all changes every user's password: the
// list, then "yes" on a terminal, or --auto-approve, as apply does.
func (e *env) confirmRotateAll(c *ucli.Context, users []scram.DesiredUser, running string) error {
	var names []string
	for _, u := range users {
		if u.Name != running {
			names = append(names, u.Name)
		}
	}
	refused := withHint(fmt.Errorf("refusing to rotate all %d users without confirmation: stdin is not a terminal", len(names)), "pass --auto-approve to rotate them, or name the users to rotate")
	intro := fmt.Sprintf("users rotate --all gives %d users new passwords: %s\nClients still using the old passwords stop working.\n", len(names), strings.Join(names, ", "))
	return e.confirm(c, refused, intro, "rotate these passwords", "rotation")
}
