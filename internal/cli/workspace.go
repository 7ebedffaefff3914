package cli

import (
	"context"
	"fmt"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/kafkaguard/kafkaguard/internal/app"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/policies"
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
	return refuseArgs(c, "unexpected argument %q")
}

// withoutArgs is the action of a command that takes no positional
// arguments: given some, run does not start and the error is worded by
// format around the first one (%q).
func withoutArgs(format string, run ucli.ActionFunc) ucli.ActionFunc {
	return func(c *ucli.Context) error {
		if err := refuseArgs(c, format); err != nil {
			return err
		}
		return run(c)
	}
}

// refuseArgs is the usage error of a command that takes no positional
// arguments and got some, nil when it got none; format words the error
// around the first one (%q).
func refuseArgs(c *ucli.Context, format string) error {
	if c.NArg() == 0 {
		return nil
	}
	return withHint(fmt.Errorf(format, c.Args().First()), usageHint("", c.Command.HelpName))
}

// load is app.Load with the inventory, policies and policy deadline of the
// command line (-f, --policy, --policy-timeout); noPolicy loads without
// compiling (the users commands).
func load(c *ucli.Context, noPolicy bool) (*app.Workspace, error) {
	return loadSkipping(c, noPolicy, policies.Skip{})
}

// loadSkipping is load for a command that does not print what skip names.
func loadSkipping(c *ucli.Context, noPolicy bool, skip policies.Skip) (*app.Workspace, error) {
	if err := noArgs(c); err != nil {
		return nil, err
	}
	return loadWorkspaceSkipping(c, noPolicy, skip)
}

// loadWorkspace is load for a command that takes arguments (users rotate).
func loadWorkspace(c *ucli.Context, noPolicy bool) (*app.Workspace, error) {
	return loadWorkspaceSkipping(c, noPolicy, policies.Skip{})
}

func loadWorkspaceSkipping(c *ucli.Context, noPolicy bool, skip policies.Skip) (*app.Workspace, error) {
	o := app.Options{Files: c.StringSlice("file"), NoPolicy: noPolicy, Limits: inventoryLimits(c), Skip: skip}
	if !noPolicy {
		o.PolicyDirs = c.StringSlice("policy")
		o.PolicyTimeout = policyTimeout(c)
		o.Capabilities = c.String("capabilities")
	}
	return app.Load(c.Context, o)
}

// connectWorkspace is w.Connect to the cluster of the connection flags;
// request logs go to stderr with --verbose. The caller closes the session.
func (e *env) connectWorkspace(c *ucli.Context, w *app.Workspace) (*app.Session, error) {
	return dialFlags(e, c, w.Connect)
}

// dialFlags dials the cluster of the connection flags with dial
// (cluster.Dial or a workspace's Connect), with the command line's dial
// options; a failure gets its connection hint.
func dialFlags[T any](e *env, c *ucli.Context, dial func(context.Context, *cluster.Config, ...cluster.DialOption) (T, error)) (T, error) {
	var none T
	cfg, err := connConfig(c)
	if err != nil {
		return none, err
	}
	conn, err := dial(c.Context, cfg, e.dialOptions(c, cfg)...)
	if err != nil {
		return none, connectHint(err, cfg)
	}
	return conn, nil
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
