package cli

import (
	"fmt"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/kafkaguard/kafkaguard/internal/app"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
)

// policyTimeoutFlag is the policy evaluation's own deadline on commands whose
// --timeout is the cluster's (plan, apply, audit).
func policyTimeoutFlag() ucli.Flag {
	return policyDeadlineFlag("policy-timeout", "give up policy evaluation after `DURATION`")
}

// policyTimeout is the command's policy deadline: --policy-timeout where the
// command has it, else --timeout (compile and policy check, which connect to
// no cluster).
func policyTimeout(c *ucli.Context) (d time.Duration) {
	if hasFlag(c, "policy-timeout") {
		return c.Duration("policy-timeout")
	}
	return c.Duration("timeout")
}

// noArgs refuses positional arguments on a command that takes none.
func noArgs(c *ucli.Context) error {
	if c.NArg() > 0 {
		return withHint(fmt.Errorf("unexpected argument %q", c.Args().First()), fmt.Sprintf("run '%s --help' for usage", c.Command.HelpName))
	}
	return nil
}

// load is app.Load with the inventory, policies and policy deadline of the
// command line (-f, --policy, --policy-timeout); noPolicy loads without
// compiling (the users commands).
func load(c *ucli.Context, noPolicy bool) (*app.Workspace, error) {
	if err := noArgs(c); err != nil {
		return nil, err
	}
	return loadWorkspace(c, noPolicy)
}

// loadWorkspace is load for a command that takes arguments (users rotate).
func loadWorkspace(c *ucli.Context, noPolicy bool) (*app.Workspace, error) {
	o := app.Options{Files: c.StringSlice("file"), NoPolicy: noPolicy, Limits: inventoryLimits(c)}
	if !noPolicy {
		o.PolicyDirs = c.StringSlice("policy")
		o.PolicyTimeout = policyTimeout(c)
		o.Capabilities = c.String("capabilities")
	}
	return app.Load(c.Context, o)
}

// connect is w.Connect to the cluster of the connection flags; request logs
// go to stderr with --verbose. The caller closes the session.
func (e *env) connectWorkspace(c *ucli.Context, w *app.Workspace) (*app.Session, error) {
	cfg, err := connConfig(c)
	if err != nil {
		return nil, err
	}
	s, err := w.Connect(c.Context, cfg, e.dialOptions(c, cfg)...)
	if err != nil {
		return nil, connectHint(err, cfg)
	}
	return s, nil
}

// dialOptions are the dial options of the command line: with --verbose,
// request-level logs on stderr (and the configuration, without secrets).
func (e *env) dialOptions(c *ucli.Context, cfg *cluster.Config) []cluster.DialOption {
	if !c.Bool("verbose") {
		return nil
	}
	fmt.Fprintf(e.stderr, "kafkaguard: connecting: %s\n", cfg)
	return []cluster.DialOption{cluster.WithLog(e.stderr)}
}
