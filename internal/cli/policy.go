package cli

import (
	"bufio"
	"fmt"
	"regexp"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/kafkaguard/kafkaguard/internal/audit"
	"github.com/kafkaguard/kafkaguard/internal/report"
	"github.com/kafkaguard/kafkaguard/policies"
)

func policyCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "policy",
		Usage:     "check the inventory against the guardrails and test policies",
		UsageText: "kafkaguard policy check|test [command options]",
		Description: `check evaluates the guardrails (the embedded library's and your own deny and
warn rules) over the inventory, conftest style. test runs Rego unit tests
(*_test.rego) with OPA's tester: the embedded library's and yours.

Examples:
  kafkaguard policy check -f inventory.yaml
  kafkaguard policy check -f inventory/ --policy policies/ -o sarif > policy.sarif
  kafkaguard policy test policies/ --coverage`,
		Subcommands: []*ucli.Command{policyCheckCommand(e), policyTestCommand(e)},
	}
}

func policyCheckCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "check",
		Usage:     "report deny and warn results of the policies over the inventory",
		UsageText: "kafkaguard policy check -f INVENTORY [--policy DIR]... [-o " + formatChoices(report.KindFindings) + "] [--fail-on-warn] [--timeout 30s]",
		Description: `Loads the inventory, evaluates the embedded guardrails and the deny and warn
rules of every package in your --policy directories (as conftest's
--all-namespaces), and reports each result with the grant or declaration
(file:line) it is about and what to do.

Embedded guardrails:
  deny KG601 allow-everyone              an ALLOW grant to User:* (principal: "*")
  deny KG602 wildcard-resource           a literal "*" topic or group for a non-superuser
  deny KG603 restricted-cross-team-read  READ on another team's restricted topic without approved_by
  deny KG604 superuser-weak-auth         a superuser not on SCRAM or mTLS
  deny KG605 cross-team-write            WRITE on another team's topic without approved_by
  deny KG606 quota-required              no quota for a principal on a quotas.require_for classification
  warn KG651 principal-without-grants    a principal with no grants
  warn KG652 topic-without-writer        a declared topic no principal may write
  warn KG653 prefix-matches-nothing      a granted topic prefix that matches no declared topic
  warn KG654 application-id-overlap      a streams application_id + "-" that begins another's
  warn KG655 grant-expires-soon          a grant whose expires date is within 14 days
  warn KG656 grant-expired               a grant past its expires date (compile leaves it out)
  warn KG657 waiver-expires-soon         an approved waiver whose expires date is within 14 days
  warn KG658 waiver-not-effective        a waiver without approved_by or past its expires date
  warn KG659 host-not-ip                 a grant host that is not an IP address (never matches a client)
  warn KG660 operation-never-matches     an operation its resource type does not define (never matches)

Waivers (top-level waivers: in the inventory) turn a finding into a waived
one (info, no exit 2) while they are approved and not expired.

Exit codes: 0 clean (warnings allowed), 2 any deny (or any warn with
--fail-on-warn), 1 the inventory or a policy could not be read.

Examples:
  kafkaguard policy check -f inventory.yaml
  kafkaguard policy check -f inventory/ --policy policies/ --fail-on-warn
  kafkaguard policy check -f inventory.yaml -o sarif > kafkaguard.sarif
  kafkaguard policy check -f inventory.yaml -o github     # annotations in a GitHub Actions job`,
		Flags: append(policyInputFlags(),
			reportOutputFlag(report.KindFindings),
			&ucli.BoolFlag{Name: "fail-on-warn", Usage: "exit 2 on warnings too", EnvVars: envVars("fail-on-warn")},
		),
		Action: func(c *ucli.Context) error {
			start := time.Now()
			inv, res, err := compileInventory(c, policies.Skip{Provenance: true})
			if err != nil {
				return err
			}
			r := report.Report{
				Tool:     "kafkaguard policy check",
				Cluster:  inv.Cluster.Name,
				Checks:   res.Checks,
				Findings: audit.ReportFindings(res),
				Started:  start,
				Duration: time.Since(start),
				Rules:    policies.LibraryRules(),
			}
			r.Sort()
			if err := report.Render(e.stdout, c.String("output"), r, e.useColor(c)); err != nil {
				return fmt.Errorf("write report: %w", err)
			}
			return findingsIf(len(res.Deny) > 0 || (c.Bool("fail-on-warn") && len(res.Warn) > 0))
		},
	}
}

func policyTestCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "test",
		Usage:     "run Rego unit tests: the embedded library's and yours",
		UsageText: "kafkaguard policy test [DIR]... [--run REGEX] [-o " + formatChoices(report.KindTests) + "] [--coverage] [--timeout 30s]",
		Description: `Runs every test_* rule of the *_test.rego files in DIR (recursively) and of
the embedded library, with OPA's tester. Your tests see the library as
data.kafkaguard, so they can check your own roles and rules against the
library's expansion. -v lists passing tests too.

--run REGEX    only tests whose "package.name" matches (e.g. 'test_restricted')
--coverage     report the share of policy lines the tests evaluated

Exit codes: 0 all tests pass, 2 a test failed (each failure with file:line),
1 a policy could not be parsed or compiled, or a test did not finish within
--timeout.

Examples:
  kafkaguard policy test
  kafkaguard policy test policies/ --run 'data.acme' -v
  kafkaguard policy test policies/ -o junit > policy-tests.xml
  kafkaguard policy test policies/ --coverage -o json | jq .coverage.percent`,
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "run", Usage: "only tests whose package.name matches `REGEX`", EnvVars: envVars("run")},
			reportOutputFlag(report.KindTests),
			&ucli.BoolFlag{Name: "coverage", Usage: "report policy line coverage", EnvVars: envVars("coverage")},
			policyDeadlineFlag("timeout", "give up a test after `DURATION`"),
			&ucli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "list passing and skipped tests too", EnvVars: envVars("verbose")},
			capabilitiesFlag(),
		},
		Action: withArgs(func(c *ucli.Context, dirs []string) error { // "policy test DIR --coverage" works too
			start := time.Now()
			if _, err := regexp.Compile(c.String("run")); err != nil {
				return fmt.Errorf("--run %q: %w", c.String("run"), err)
			}
			res, err := policies.Test(c.Context, dirs, policies.TestOptions{
				Run: c.String("run"), Coverage: c.Bool("coverage"), Timeout: c.Duration("timeout"), Capabilities: c.String("capabilities"),
			})
			if err != nil {
				return err
			}
			verbose := false
			for _, ctx := range c.Lineage() { // -v here or before the command
				verbose = verbose || ctx.Bool("verbose")
			}
			bw := bufio.NewWriter(e.stdout)
			f, _ := report.Lookup(c.String("output")) // -o's action checked it
			r := report.Report{Tool: "kafkaguard policy test", Started: start, Duration: time.Since(start), Tests: res}
			err = f.Render(bw, r, report.Options{Verbose: verbose})
			if err == nil {
				err = bw.Flush()
			}
			if err != nil {
				return fmt.Errorf("write test results: %w", err)
			}
			if len(res.Cases) == 0 {
				fmt.Fprintln(e.stderr, "kafkaguard: warning: no tests matched")
			}
			return findingsIf(res.Failed() > 0)
		}),
	}
}
