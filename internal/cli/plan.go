package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/kafkaguard/kafkaguard/internal/app"
	"github.com/kafkaguard/kafkaguard/internal/apply"
	"github.com/kafkaguard/kafkaguard/internal/plan"
	"github.com/kafkaguard/kafkaguard/internal/scram"
	"github.com/kafkaguard/kafkaguard/inventory"
	"github.com/kafkaguard/kafkaguard/policies"
)

// planFlags are the flags plan and apply share.
func planFlags() []ucli.Flag {
	flags := []ucli.Flag{
		&ucli.StringSliceFlag{Name: "file", Aliases: []string{"f"}, Usage: "inventory `FILE` or directory (repeatable); required", EnvVars: envVars("file")},
		&ucli.StringSliceFlag{Name: "policy", Usage: "directory or .rego `FILE` of your own policies (repeatable)", EnvVars: envVars("policy")},
		capabilitiesFlag(),
		policyTimeoutFlag(),
		&ucli.BoolFlag{Name: "prune-unmanaged", Usage: "also remove bindings of principals outside the managed scope", EnvVars: envVars("prune-unmanaged")},
	}
	flags = append(flags, usersPlanFlags()...) // SCRAM users section: --secrets-dir, --prune-users (users.go)
	return append(flags, connFlags()...)
}

// planOptions are the plan's flags as app.PlanOptions.
func (e *env) planOptions(c *ucli.Context) app.PlanOptions {
	return app.PlanOptions{
		PruneUnmanaged: c.Bool("prune-unmanaged"), PruneUsers: c.Bool("prune-users"),
		SecretsDir: c.String("secrets-dir"), Log: verboseWriter(c, e.stderr),
		ACLBatch: c.Int("batch-size"), // apply's; 0 on plan: the default
	}
}

// buildPlan loads and compiles the inventory (before any connection, so bad
// input fails fast), refuses one the policies deny, connects and plans. The
// caller closes the session.
func (e *env) buildPlan(c *ucli.Context) (*plan.Plan, *app.Session, error) {
	// plan and apply print only the expiry warnings and waived findings.
	w, err := loadSkipping(c, false, policies.Skip{Provenance: true, Warnings: true})
	if err != nil {
		return nil, nil, err
	}
	if w.Compiled != nil {
		e.printExpiries(w.Compiled)
	}
	if err := w.Denied(); err != nil {
		e.printDenies(w.Compiled.Deny)
		return nil, nil, err
	}
	s, err := e.connectWorkspace(c, w)
	if err != nil {
		return nil, nil, err
	}
	p, err := s.Plan(c.Context, e.planOptions(c))
	if err != nil {
		s.Close()
		return nil, nil, connectHint(err, s.Client.Config()) // e.g. not authorized to describe ACLs
	}
	for _, sec := range p.Sections {
		if users, ok := sec.(*scram.Section); ok {
			users.SuggestPrune("--prune-users") // this command's flag for prune
		}
	}
	return p, s, nil
}

func planCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "plan",
		Usage:     "show what apply would change on the cluster",
		UsageText: "kafkaguard plan -f INVENTORY [--policy DIR]... [--bootstrap-server HOST:PORT] [--command-config FILE] [-o text|json|markdown] [--detailed-exitcode] [--prune-unmanaged] [--policy-timeout 30s]",
		Description: `Compiles the inventory with the policies, reads the cluster's ACLs once (one
DescribeAcls request) and prints the difference, terraform style:

  + a binding policy wants that the cluster lacks
  - a binding of a managed principal that policy no longer wants

Bindings of principals outside the managed scope (managed.principals, or
every declared principal) are listed under "Drift outside kafkaguard's scope"
and never removed, unless --prune-unmanaged. The last line is
"Plan: N to add, M to remove." or "No changes. The cluster matches policy."
Nothing is changed. -o json prints the documented plan document
(docs/cluster.md); -o markdown a summary and diff blocks for a pull request
comment.

--detailed-exitcode: exit 0 when there are no changes, 2 when there are,
1 on error (as terraform plan -detailed-exitcode).

Examples:
  kafkaguard plan -f inventory.yaml --command-config admin.properties
  kafkaguard plan -f inventory/ --policy policies/ --bootstrap-server kafka:9093 --command-config admin.properties
  kafkaguard plan -f inventory.yaml --command-config admin.properties --detailed-exitcode || echo "changes pending"
  KAFKAGUARD_COMMAND_CONFIG=admin.properties kafkaguard plan -f inventory.yaml -o json | jq .summary
  kafkaguard plan -f inventory.yaml --command-config admin.properties -o markdown > plan.md`,
		Flags: append(planFlags(),
			outputFlag(planFormatNames()...),
			&ucli.BoolFlag{Name: "detailed-exitcode", Usage: "exit 2 when there are changes (0 none, 1 error)", EnvVars: envVars("detailed-exitcode")},
		),
		Action: func(c *ucli.Context) error {
			p, s, err := e.buildPlan(c)
			if err != nil {
				return err
			}
			defer s.Close()
			if err := planFormats[c.String("output")](e.stdout, p, style{color: e.useColor(c)}); err != nil {
				return err
			}
			return findingsIf(c.Bool("detailed-exitcode") && p.HasChanges())
		},
	}
}

func applyCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "apply",
		Usage:     "change the cluster to match policy",
		UsageText: "kafkaguard apply -f INVENTORY [--policy DIR]... [--command-config FILE] [--auto-approve] [--max-removals N] [--prune-unmanaged] [--allow-lockout] [--super-user PRINCIPAL]...",
		Description: `Computes the plan (see 'kafkaguard plan'), prints it, asks for "yes" on a
terminal, then creates the missing bindings (one CreateAcls request per 1000)
and deletes the unwanted ones with exact-match filters (one DeleteAcls request
per 1000), printing each binding's result. Finally it reads the ACLs back and
confirms the cluster matches the plan.

Without a terminal on stdin, apply needs --auto-approve. A failure part way
exits 1 after listing each failed binding; everything else is applied, and
running apply again converges. When the cluster stops answering (broker down,
network gone, no answer within --timeout), apply stops at that request: its
bindings are listed as "? unknown" (the broker may have committed them), the
rest are not attempted, and it exits 1 within about one --timeout.

Guards:
  --max-removals N   refuse a plan that removes more than N bindings (default
                     100; -1: no limit)
  lockout            refuse a plan after which the running principal (the
                     --command-config user) could no longer DESCRIBE or ALTER
                     on CLUSTER kafka-cluster, when ACLs are what allow it
                     today. A principal no ACL authorizes today must be a
                     super user (super.users), which no ACL change affects.
                     Inventory principals with superuser: true and
                     --super-user PRINCIPAL are taken as super users.
                     --allow-lockout skips this guard.

Examples:
  kafkaguard apply -f inventory.yaml --command-config admin.properties
  kafkaguard apply -f inventory.yaml --command-config admin.properties --auto-approve
  kafkaguard apply -f inventory/ --policy policies/ --command-config admin.properties --auto-approve --max-removals 500
  kafkaguard apply -f inventory.yaml --command-config admin.properties --prune-unmanaged --super-user User:admin`,
		Flags: append(planFlags(),
			&ucli.BoolFlag{Name: "auto-approve", Usage: "apply without asking for confirmation", EnvVars: envVars("auto-approve")},
			&ucli.IntFlag{Name: "max-removals", Value: 100, Usage: "refuse plans that remove more than `N` bindings (-1: no limit)", EnvVars: envVars("max-removals")},
			&ucli.BoolFlag{Name: "allow-lockout", Usage: "allow a plan that takes away the running principal's right to manage ACLs", EnvVars: envVars("allow-lockout")},
			&ucli.StringSliceFlag{Name: "super-user", Usage: "a `PRINCIPAL` in the brokers' super.users (repeatable; ';' separates)", EnvVars: envVars("super-user")},
			&ucli.IntFlag{Name: "batch-size", Value: apply.DefaultChunk, Usage: "ACL bindings per CreateAcls or DeleteAcls request (`N`)", EnvVars: envVars("batch-size")},
		),
		Action: func(c *ucli.Context) error {
			// Checked before any work: only -1 means no limit.
			if n := c.Int("max-removals"); n < plan.NoRemovalLimit {
				return fmt.Errorf("--max-removals %d: want 0 or more, or -1 for no limit", n)
			}
			if n := c.Int("batch-size"); n < 1 {
				return fmt.Errorf("--batch-size %d: want 1 or more", n)
			}
			p, s, err := e.buildPlan(c)
			if err != nil {
				return err
			}
			defer s.Close()
			st := style{color: e.useColor(c)}
			if err := writePlanText(e.stdout, p, st); err != nil {
				return err
			}
			if !p.HasChanges() {
				return nil
			}
			guards := plan.Guards{MaxRemovals: c.Int("max-removals"), AllowLockout: c.Bool("allow-lockout"), SuperUsers: superUsers(c, s.Inventory)}
			if err := p.Check(guards); err != nil {
				return err
			}
			if err := e.confirmApply(c); err != nil {
				return err
			}
			var prog plan.Progress
			if pl := e.progress(); pl != nil {
				defer pl.finish()
				prog = func(section string, done, total int) { pl.report("applying "+section, done, total) }
			}
			fmt.Fprintln(e.stdout)
			out, err := s.Apply(c.Context, p, prog)
			writeResultsText(e.stdout, out.Results, st)
			if c.Context.Err() != nil {
				return e.interrupted(out.Done(), p.Summary().Total(), "apply")
			}
			if err != nil {
				return applyError(err, s.Client.Config())
			}
			sum := p.Summary()
			fmt.Fprintf(e.stdout, "\nApply complete: %d added, %d changed, %d removed in %s. The cluster matches the plan.\n",
				sum.Add, sum.Change, sum.Remove, out.Elapsed.Round(1e6))
			return nil
		},
	}
}

// interrupted reports a command stopped by Ctrl-C after done of total
// changes, and returns errInterrupted (exit 130).
func (e *env) interrupted(done, total int, rerun string) error {
	fmt.Fprintf(e.stderr, "kafkaguard: interrupted: %d of %d changes made before the stop; run '%s' again: it converges\n", done, total, rerun)
	return errInterrupted
}

// superUsers are the --super-user flags (';' separates, as in super.users)
// and the inventory's superuser principals.
func superUsers(c *ucli.Context, inv *inventory.Inventory) []string {
	out := superUserFlags(c)
	for _, p := range inv.Principals {
		if p.Superuser {
			out = append(out, p.KafkaPrincipal())
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// superUserFlags are the principals of the --super-user flags, in order; ';'
// separates principals within one, as in super.users.
func superUserFlags(c *ucli.Context) []string {
	var out []string
	for _, v := range c.StringSlice("super-user") {
		for _, p := range strings.Split(v, ";") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// confirmApply asks for "yes" on a terminal, or needs --auto-approve.
func (e *env) confirmApply(c *ucli.Context) error {
	refused := withHint(errors.New("refusing to apply without confirmation: stdin is not a terminal"), "review the plan above and pass --auto-approve to apply it")
	return e.confirm(c, refused, "", "apply these changes", "apply")
}

// confirm lets a change go ahead with --auto-approve, or when the user
// answers "yes" on a terminal to "Do you want to QUESTION?" (printed after
// intro); anything else cancels it (cancelled names it). Without a terminal
// the change is refused.
func (e *env) confirm(c *ucli.Context, refused error, intro, question, cancelled string) error {
	if c.Bool("auto-approve") {
		return nil
	}
	if !e.stdinTTY {
		return refused
	}
	fmt.Fprintf(e.stderr, "%s\nDo you want to %s? Only 'yes' will be accepted: ", intro, question)
	answer, err := readLine(c.Context, e.stdin)
	if err != nil {
		return fmt.Errorf("read confirmation: %w", err)
	}
	if strings.TrimSpace(answer) != "yes" {
		return fmt.Errorf("%s cancelled: nothing was changed", cancelled)
	}
	return nil
}

func readLine(ctx context.Context, r io.Reader) (string, error) {
	type res struct {
		s   string
		err error
	}
	ch := make(chan res, 1)
	go func() {
		s, err := bufio.NewReader(r).ReadString('\n')
		if errors.Is(err, io.EOF) {
			err = nil
		}
		ch <- res{s, err}
	}()
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case r := <-ch:
		return r.s, r.err
	}
}
