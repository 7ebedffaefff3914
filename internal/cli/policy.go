package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/kafkaguard/kafkaguard/internal/audit"
	"io"
	"sort"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

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
			inv, res, err := compileInventory(c)
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
			if len(res.Deny) > 0 || (c.Bool("fail-on-warn") && len(res.Warn) > 0) {
				return errFindings
			}
			return nil
		},
	}
}

func policyTestCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "test",
		Usage:     "run Rego unit tests: the embedded library's and yours",
		UsageText: "kafkaguard policy test [DIR]... [--run REGEX] [-o text|json|junit] [--coverage] [--timeout 30s]",
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
			outputFlag("text", "json", "junit"),
			&ucli.BoolFlag{Name: "coverage", Usage: "report policy line coverage", EnvVars: envVars("coverage")},
			durationFlag("timeout", policies.DefaultTimeout, "give up a test after `DURATION`"),
			&ucli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "list passing and skipped tests too", EnvVars: envVars("verbose")},
			capabilitiesFlag(),
		},
		Action: func(c *ucli.Context) error {
			start := time.Now()
			dirs, err := trailingFlags(c) // "policy test DIR --coverage" works too
			if errors.Is(err, errHelpShown) {
				return nil
			}
			if err != nil {
				return err
			}
			res, err := policies.Test(c.Context, dirs, policies.TestOptions{
				Run: c.String("run"), Coverage: c.Bool("coverage"), Timeout: c.Duration("timeout"), Capabilities: c.String("capabilities"),
			})
			if err != nil {
				return err
			}
			bw := bufio.NewWriter(e.stdout)
			switch c.String("output") {
			case "json":
				enc := json.NewEncoder(bw)
				enc.SetIndent("", "  ")
				if res.Cases == nil {
					res.Cases = []policies.TestCase{}
				}
				err = enc.Encode(res)
			case "junit":
				err = writePolicyTestJUnit(bw, res, start)
			default:
				verbose := false
				for _, ctx := range c.Lineage() { // -v here or before the command
					verbose = verbose || ctx.Bool("verbose")
				}
				err = writePolicyTestText(bw, res, verbose)
			}
			if err == nil {
				err = bw.Flush()
			}
			if err != nil {
				return fmt.Errorf("write test results: %w", err)
			}
			if len(res.Cases) == 0 {
				fmt.Fprintln(e.stderr, "kafkaguard: warning: no tests matched")
			}
			if res.Failed() > 0 {
				return errFindings
			}
			return nil
		},
	}
}

func writePolicyTestText(w io.Writer, res *policies.TestResult, verbose bool) error {
	for _, c := range res.Cases {
		name := c.Package + "." + c.Name
		switch {
		case c.Skip:
			if verbose {
				fmt.Fprintf(w, "SKIP  %s (%s)\n", name, c.Location)
			}
		case c.Error != "":
			fmt.Fprintf(w, "ERROR %s (%s)\n      %s\n", name, c.Location, c.Error)
		case !c.Pass:
			fmt.Fprintf(w, "FAIL  %s (%s)\n      failed at %s\n", name, c.Location, c.FailedAt)
		case verbose:
			fmt.Fprintf(w, "PASS  %s (%s) %s\n", name, c.Location, c.Duration.Round(time.Microsecond))
		}
		if c.Output != "" && (verbose || !c.Pass) {
			for _, l := range strings.Split(strings.TrimRight(c.Output, "\n"), "\n") {
				fmt.Fprintf(w, "      | %s\n", l)
			}
		}
	}
	total := len(res.Cases) - res.Skipped()
	if res.Failed() > 0 {
		fmt.Fprintf(w, "--------------------------------------------------------------------------------\nPASS: %d/%d\nFAIL: %d/%d\n", res.Passed(), total, res.Failed(), total)
	} else {
		fmt.Fprintf(w, "PASS: %d/%d\n", res.Passed(), total)
	}
	if res.Skipped() > 0 {
		fmt.Fprintf(w, "SKIPPED: %d\n", res.Skipped())
	}
	if cov := res.Coverage; cov != nil {
		fmt.Fprintf(w, "coverage: %.1f%%\n", cov.Percent)
		files := make([]string, 0, len(cov.Files))
		for f := range cov.Files {
			files = append(files, f)
		}
		sort.Strings(files)
		for _, f := range files {
			fc := cov.Files[f]
			line := fmt.Sprintf("  %6.1f%%  %s", fc.Percent, f)
			if len(fc.NotCovered) > 0 {
				line += "  not covered: " + strings.Join(fc.NotCovered, ", ")
			}
			fmt.Fprintln(w, line)
		}
	}
	return nil
}

// writePolicyTestJUnit renders test results through the shared junit
// renderer: one testcase per Rego test with its duration, a <failure> for
// each failing one and an <error> (counted in errors) for each that stopped
// with an evaluation error.
func writePolicyTestJUnit(w io.Writer, res *policies.TestResult, start time.Time) error {
	r := report.Report{Tool: "kafkaguard policy test", Started: start, Duration: time.Since(start),
		CheckDurations: map[string]time.Duration{}}
	for _, c := range res.Cases {
		if c.Skip {
			continue
		}
		name := c.Package + "." + c.Name
		r.Checks = append(r.Checks, name)
		r.CheckDurations[name] += c.Duration
		switch {
		case c.Pass:
		case c.Error != "":
			r.Errors = append(r.Errors, report.CheckError{Check: name, Error: c.Error + " (test at " + c.Location + ")"})
		default:
			r.Findings = append(r.Findings, report.Finding{
				Check: name, Severity: report.SeverityError, Resource: name, Message: "failed at " + c.FailedAt, Location: c.Location,
				Fix: "fix the policy or the test",
			})
		}
	}
	return report.Render(w, "junit", r, false)
}
