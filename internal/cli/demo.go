package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	ucli "github.com/urfave/cli/v2"

	"github.com/kafkaguard/kafkaguard/internal/demo"
)

func demoCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "demo",
		Usage:     "run the end-to-end story on an embedded cluster: CA, users, policy, apply, clients, drift, audit",
		UsageText: "kafkaguard demo [--dir DIR] [--keep]",
		Description: `In a temporary directory, with no setup and no network, the demo:
  1. creates a CA and issues the broker's certificate,
  2. starts an embedded Kafka cluster with TLS, SASL/SCRAM and ACLs,
  3. checks and compiles the example policy, provisions the SCRAM users,
     plans and applies the ACLs,
  4. shows real franz-go clients: a producer allowed, a consumer allowed, the
     consumer denied writing, an unknown user refused,
  5. changes the cluster behind kafkaguard's back (an ACL added, one deleted,
     a password changed), audits it and shows each finding,
  6. applies again (ACLs restored, the password rotated) and audits clean.
Every step checks its own expectation; the exit code is 0 only when every
step behaved as stated. It takes a few seconds.

Examples:
  kafkaguard demo
  make run
  kafkaguard demo --dir ./demo --keep     # keep the CA, secrets and inventory to explore`,
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "dir", Usage: "work in `DIR` instead of a temporary directory (must not exist or be empty)", EnvVars: envVars("dir")},
			&ucli.BoolFlag{Name: "keep", Usage: "keep the working directory afterwards", EnvVars: envVars("keep")},
		},
		Action: withoutArgs("demo takes no arguments, got %q", func(c *ucli.Context) error {
			dir := c.String("dir")
			keep := c.Bool("keep")
			if dir == "" {
				tmp, err := os.MkdirTemp("", "kafkaguard-demo-")
				if err != nil {
					return fmt.Errorf("demo directory: %w", err)
				}
				dir = tmp
			} else {
				// Checked before anything is printed or created.
				fi, err := os.Stat(dir)
				switch {
				case errors.Is(err, fs.ErrNotExist):
				case err != nil:
					return fmt.Errorf("demo directory: %w", err)
				case !fi.IsDir():
					return fmt.Errorf("demo directory %s is not a directory", dir)
				default:
					ents, err := os.ReadDir(dir)
					if err != nil {
						return fmt.Errorf("demo directory: %w", err)
					}
					if len(ents) > 0 {
						return withHint(fmt.Errorf("demo directory %s is not empty", dir), "pass a new directory, or leave --dir out to use a temporary one")
					}
				}
				keep = true
			}
			if !keep {
				defer os.RemoveAll(dir)
			}
			_, err := demo.Run(c.Context, demo.Options{Dir: dir, Out: e.stdout, Color: e.useColor(c), CLI: RunContext})
			if _, statErr := os.Stat(dir); keep && statErr == nil {
				fmt.Fprintf(e.stderr, "kafkaguard: demo files kept in %s\n", dir)
			}
			return err
		}),
	}
}
