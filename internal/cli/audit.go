package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/kafkaguard/kafkaguard/internal/app"
	"github.com/kafkaguard/kafkaguard/internal/audit"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/duration"
	"github.com/kafkaguard/kafkaguard/internal/fsutil"
	"github.com/kafkaguard/kafkaguard/internal/report"
)

func auditCommand(e *env) *ucli.Command {
	flags := []ucli.Flag{
		&ucli.StringSliceFlag{Name: "file", Aliases: []string{"f"}, Usage: "inventory `FILE` or directory (repeatable)", EnvVars: envVars("file")},
		&ucli.StringFlag{Name: "clusters", Usage: "audit several clusters: YAML `FILE` naming each cluster's inventory and properties file", EnvVars: envVars("clusters")},
		&ucli.StringFlag{Name: "pki-dir", Usage: "CA `DIR` (kafkaguard pki): check its certificates' expiry and revocation; the brokers' trust anchor when the properties name no truststore", EnvVars: envVars("pki-dir")},
		&ucli.StringFlag{Name: "secrets-dir", Usage: "SCRAM secrets store `DIR`: log in as each user with the stored password", EnvVars: envVars("secrets-dir")},
		loginConcurrencyFlag(),
		&ucli.StringSliceFlag{Name: "policy", Usage: "directory or .rego `FILE` of your own policies (repeatable)", EnvVars: envVars("policy")},
		capabilitiesFlag(),
		policyTimeoutFlag(),
		reportOutputFlag(auditKinds),
		&ucli.StringFlag{Name: "out", Usage: "write the result to `FILE` atomically instead of stdout (for the node-exporter textfile collector)", EnvVars: envVars("out")},
		&ucli.StringFlag{Name: "fail-on", Value: "warning", Usage: "exit 2 when a finding is at or above `SEVERITY` (info, warning, error)", EnvVars: envVars("fail-on")},
		&ucli.StringFlag{Name: "warn-within", Value: "30d", Usage: "report certificates expiring within `DURATION` (e.g. 30d, 72h, 1y)", EnvVars: envVars("warn-within")},
	}
	flags = append(flags, connFlags()...)
	return &ucli.Command{
		Name:      "audit",
		Usage:     "report drift between the cluster and the inventory, certificate and TLS problems, and risky live ACLs",
		UsageText: "kafkaguard audit -f INVENTORY --command-config FILE [--pki-dir DIR] [--secrets-dir DIR] [--login-concurrency N] [--policy DIR]... [-o " + formatChoices(auditKinds) + "] [--out FILE] [--fail-on SEVERITY] [--warn-within DURATION]\nkafkaguard audit --clusters clusters.yaml [options]",
		Description: `One run, one report. Each finding has a stable ID, a severity, the resource
and a one-line fix (the ID table is in docs/audit.md):
  KG1xx ACL drift: bindings missing, extra (managed principals), unmanaged
  KG2xx SCRAM drift: users missing or extra, mechanism or iteration mismatch,
        failed login with the stored password (--secrets-dir); KG208 (info)
        when the running admin differs (users apply never changes it)
  KG3xx certificates of the CA (--pki-dir): expired, expiring within
        --warn-within, revoked while the principal still has access
  KG4xx broker TLS: a handshake with each bootstrap broker: chain against
        the CA, host name, days to expiry, protocol >= TLS 1.2
  KG5xx guardrails on the live ACLs: ALLOW to User:*, grants to
        User:ANONYMOUS, the literal * topic
  KG6xx the policy library's guardrails on the inventory (as policy check),
        and your --policy deny/warn rules with their own IDs

Exit codes: 0 clean, 2 a finding at or above --fail-on (default warning),
1 the audit could not run (the report of what did run is still written).
A check that could not run (e.g. the user may not describe ACLs) is shown
as errored in every format, never as passed.

-o prometheus writes the text exposition format for the node-exporter
textfile collector (findings by cluster/check/severity, bindings by state,
seconds to certificate expiry, last run timestamp, success per check and per
cluster); use --out so
the file is replaced atomically.

--clusters FILE audits several clusters in one run, one report for all (a
cluster that could not be audited is in it as errored):
  clusters:
    - name: prod-eu
      file: [prod-eu/inventory.yaml]        # paths relative to FILE
      command_config: prod-eu/admin.properties
      bootstrap_server: kafka-eu-1:9093     # optional
      pki_dir: pki                          # optional, else --pki-dir
      secrets_dir: prod-eu/secrets          # optional, else --secrets-dir

Examples:
  kafkaguard audit -f inventory.yaml --command-config admin.properties
  kafkaguard audit -f inventory.yaml --command-config admin.properties --pki-dir ./pki --secrets-dir ./secrets
  kafkaguard audit -f inventory.yaml --command-config client.properties --pki-dir ./pki   # properties without a truststore: trust the CA in ./pki
  kafkaguard audit -f inventory.yaml --command-config admin.properties -o sarif --out audit.sarif
  kafkaguard audit -f inventory.yaml --command-config admin.properties -o junit --fail-on error > audit.xml
  kafkaguard audit -f inventory.yaml --command-config admin.properties -o prometheus --out /var/lib/node_exporter/textfile/kafkaguard.prom
  kafkaguard audit --clusters clusters.yaml -o prometheus --out /var/lib/node_exporter/textfile/kafkaguard.prom`,
		Flags:  flags,
		Action: withoutArgs("audit takes no arguments, got %q", e.audit),
	}
}

func (e *env) audit(c *ucli.Context) error {
	failOn, err := report.ParseSeverity(c.String("fail-on"))
	if err != nil {
		return fmt.Errorf("--fail-on: %w", err)
	}
	warnWithin, err := duration.Parse(c.String("warn-within"))
	if err != nil {
		return fmt.Errorf("--warn-within: %w", err)
	}
	workers, err := loginConcurrency(c)
	if err != nil {
		return err
	}
	format := c.String("output")
	targets, err := auditTargets(c)
	if err != nil {
		return err
	}
	pl := e.progress()
	defer pl.finish()
	var logw io.Writer
	if c.Bool("verbose") || e.stderrTTY {
		logw = e.stderr
	}
	now := time.Now()
	engines := &app.Engines{} // the clusters that share their policies compile the Rego once
	runs := audit.RunAll(c.Context, targets, func(ctx context.Context, t audit.Target) (audit.Result, error) {
		o := app.AuditOptions{
			PKIDir: t.PKIDir, SecretsDir: t.SecretsDir, LoginConcurrency: workers, WarnWithin: warnWithin, Now: now, Log: logw,
			Name: t.Name, Commands: t.Commands(),
		}
		if pl != nil {
			o.Progress = pl.report
		}
		w, err := app.Load(ctx, app.Options{Files: t.File, PolicyDirs: t.Policy, PolicyTimeout: c.Duration("policy-timeout"), Capabilities: c.String("capabilities"), Engines: engines, Limits: inventoryLimits(c)})
		if err != nil {
			return audit.Result{}, explain(c, err)
		}
		cfg, err := cluster.LoadConfig(t.Bootstrap, t.CommandConfig)
		if err != nil {
			return audit.Result{}, err
		}
		warnConfig(c, cfg)
		if d := c.Duration("timeout"); d > 0 {
			cfg.Timeout = d
		}
		if c.Bool("verbose") {
			o.DialOptions = []cluster.DialOption{cluster.WithLog(e.stderr)}
		}
		res, err := w.Audit(ctx, cfg, o)
		return res, connectHint(err, cfg)
	})
	pl.finish()

	// One report covers every cluster: with --clusters, a cluster that could
	// not be audited is in it as errored. A single cluster that could not be
	// audited at all gets no report, only the error (and its metrics).
	var buf bytes.Buffer
	merged, haveReport := runs.Report()
	f, _ := report.Lookup(format) // -o's action checked it
	metrics := f.Kinds&report.KindMetrics != 0
	if metrics {
		merged.Metrics = audit.MetricsOf(runs.Runs, now)
	}
	if haveReport || metrics {
		if err := f.Render(&buf, merged, report.Options{Color: e.useColor(c) && c.String("out") == ""}); err != nil {
			return fmt.Errorf("render %s: %w", format, err)
		}
	}
	if buf.Len() > 0 || metrics {
		if out := c.String("out"); out != "" {
			if err := fsutil.WriteFileAtomic(out, buf.Bytes(), 0o644); err != nil {
				return err
			}
			if haveReport && format != "text" {
				fmt.Fprintln(e.stderr, report.Summary(merged))
			}
		} else if _, err := e.stdout.Write(buf.Bytes()); err != nil {
			return err
		}
	}
	if errs := runs.Errors(); len(errs) > 0 {
		for i, err := range errs {
			errs[i] = explain(c, err)
		}
		return errors.Join(errs...)
	}
	return findingsIf(runs.ExitCode(failOn) == audit.ExitFindings)
}

// auditTargets is the clusters to audit: the --clusters file, or the one the
// flags name.
func auditTargets(c *ucli.Context) ([]audit.Target, error) {
	flags := audit.Target{
		File: c.StringSlice("file"), CommandConfig: c.String("command-config"), Bootstrap: c.String("bootstrap-server"),
		PKIDir: c.String("pki-dir"), SecretsDir: c.String("secrets-dir"), Policy: c.StringSlice("policy"),
	}
	path := c.String("clusters")
	if path == "" {
		if len(flags.File) == 0 {
			return nil, app.ErrNoInventory
		}
		return []audit.Target{flags}, nil
	}
	if len(flags.File) > 0 {
		return nil, errors.New("--clusters and -f exclude each other: name each cluster's inventory in the clusters file")
	}
	return audit.LoadTargets(path, flags)
}
