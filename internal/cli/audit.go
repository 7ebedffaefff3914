package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"
	"gopkg.in/yaml.v3"

	"github.com/kafkaguard/kafkaguard/internal/audit"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/fsutil"
	"github.com/kafkaguard/kafkaguard/internal/inventory"
	"github.com/kafkaguard/kafkaguard/internal/report"
)

func auditCommand(e *env) *ucli.Command {
	flags := []ucli.Flag{
		&ucli.StringSliceFlag{Name: "file", Aliases: []string{"f"}, Usage: "inventory `FILE` or directory (repeatable)", EnvVars: envVars("file")},
		&ucli.StringFlag{Name: "clusters", Usage: "audit several clusters: YAML `FILE` naming each cluster's inventory and properties file", EnvVars: envVars("clusters")},
		&ucli.StringFlag{Name: "pki-dir", Usage: "CA `DIR` (kafkaguard pki): check its certificates' expiry and revocation", EnvVars: envVars("pki-dir")},
		&ucli.StringFlag{Name: "secrets-dir", Usage: "SCRAM secrets store `DIR`: log in as each user with the stored password", EnvVars: envVars("secrets-dir")},
		&ucli.StringSliceFlag{Name: "policy", Usage: "directory or .rego `FILE` of your own policies (repeatable)", EnvVars: envVars("policy")},
		outputFlag("text", "json", "junit", "sarif", "github", "prometheus"),
		&ucli.StringFlag{Name: "out", Usage: "write the result to `FILE` atomically instead of stdout (for the node-exporter textfile collector)", EnvVars: envVars("out")},
		&ucli.StringFlag{Name: "fail-on", Value: "warning", Usage: "exit 2 when a finding is at or above `SEVERITY` (info, warning, error)", EnvVars: envVars("fail-on")},
		&ucli.StringFlag{Name: "warn-within", Value: "30d", Usage: "report certificates expiring within `DURATION` (e.g. 30d, 72h)", EnvVars: envVars("warn-within")},
	}
	flags = append(flags, connFlags()...)
	return &ucli.Command{
		Name:      "audit",
		Usage:     "report drift between the cluster and the inventory, certificate and TLS problems, and risky live ACLs",
		UsageText: "kafkaguard audit -f INVENTORY --command-config FILE [--pki-dir DIR] [--secrets-dir DIR] [--policy DIR]... [-o text|json|junit|sarif|github|prometheus] [--out FILE] [--fail-on SEVERITY] [--warn-within DURATION]\nkafkaguard audit --clusters clusters.yaml [options]",
		Description: `One run, one report. Each finding has a stable ID, a severity, the resource
and a one-line fix (the ID table is in docs/audit.md):
  KG1xx ACL drift: bindings missing, extra (managed principals), unmanaged
  KG2xx SCRAM drift: users missing or extra, mechanism or iteration mismatch,
        failed login with the stored password (--secrets-dir)
  KG3xx certificates of the CA (--pki-dir): expired, expiring within
        --warn-within, revoked while the principal still has access
  KG4xx broker TLS: a handshake with each bootstrap broker: chain against
        the CA, host name, days to expiry, protocol >= TLS 1.2
  KG5xx guardrails on the live ACLs: ALLOW to User:*, grants to
        User:ANONYMOUS, the literal * topic; and the policy's deny/warn rules

Exit codes: 0 clean, 2 a finding at or above --fail-on (default warning),
1 the audit could not run (the report of what did run is still written).

-o prometheus writes the text exposition format for the node-exporter
textfile collector (findings by cluster/check/severity, bindings by state,
seconds to certificate expiry, last run timestamp and success); use --out so
the file is replaced atomically.

--clusters FILE audits several clusters in one run:
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
  kafkaguard audit -f inventory.yaml --command-config admin.properties -o sarif --out audit.sarif
  kafkaguard audit -f inventory.yaml --command-config admin.properties -o junit --fail-on error > audit.xml
  kafkaguard audit -f inventory.yaml --command-config admin.properties -o prometheus --out /var/lib/node_exporter/textfile/kafkaguard.prom
  kafkaguard audit --clusters clusters.yaml -o prometheus --out /var/lib/node_exporter/textfile/kafkaguard.prom`,
		Flags:  flags,
		Action: func(c *ucli.Context) error { return e.audit(c) },
	}
}

// auditTarget is one cluster to audit.
type auditTarget struct {
	Name          string   `yaml:"name"`
	File          []string `yaml:"file"`
	CommandConfig string   `yaml:"command_config"`
	Bootstrap     string   `yaml:"bootstrap_server"`
	PKIDir        string   `yaml:"pki_dir"`
	SecretsDir    string   `yaml:"secrets_dir"`
	Policy        []string `yaml:"policy"`
}

func (e *env) audit(c *ucli.Context) error {
	if c.NArg() > 0 {
		return withHint(fmt.Errorf("audit takes no arguments, got %q", c.Args().First()), "run 'kafkaguard audit --help' for usage")
	}
	failOn, err := report.ParseSeverity(c.String("fail-on"))
	if err != nil {
		return fmt.Errorf("--fail-on: %w", err)
	}
	warnWithin, err := parseDays(c.String("warn-within"))
	if err != nil {
		return fmt.Errorf("--warn-within: %w", err)
	}
	format := c.String("output")
	targets, err := auditTargets(c)
	if err != nil {
		return err
	}
	var logw io.Writer
	if c.Bool("verbose") || e.stderrTTY {
		logw = e.stderr
	}

	now := time.Now()
	var runs []audit.ClusterRun
	var reports []report.Report
	var errs []error
	for _, t := range targets {
		opts := audit.Options{
			Inventory: t.File, Bootstrap: t.Bootstrap, CommandConfig: t.CommandConfig,
			PKIDir: t.PKIDir, SecretsDir: t.SecretsDir, PolicyDirs: t.Policy,
			WarnWithin: warnWithin, Now: now, Log: logw, Name: t.Name,
		}
		if c.Bool("verbose") {
			opts.DialOptions = []cluster.DialOption{cluster.WithLog(e.stderr)}
		}
		var cfg *cluster.Config
		if t.Bootstrap == "" && t.CommandConfig == "" {
			errs = append(errs, clusterErr(t, withHint(errors.New("no cluster given"),
				"pass --command-config FILE and/or --bootstrap-server HOST:PORT (or KAFKAGUARD_COMMAND_CONFIG)")))
			runs = append(runs, audit.ClusterRun{Cluster: t.label(), Err: errs[len(errs)-1]})
			continue
		}
		cfg, err = cluster.LoadConfig(t.Bootstrap, t.CommandConfig)
		if err == nil {
			if d := c.Duration("timeout"); d > 0 {
				cfg.Timeout = d
			}
			opts.Config = cfg
			var res audit.Result
			res, err = audit.Live(c.Context, opts)
			if err == nil {
				runs = append(runs, audit.ClusterRun{Cluster: res.Report.Cluster, Result: &res})
				reports = append(reports, res.Report)
				if res.Err != nil {
					errs = append(errs, clusterErr(t, res.Err))
				}
				continue
			}
			err = connectHint(dnHint(err), cfg)
		}
		errs = append(errs, clusterErr(t, err))
		runs = append(runs, audit.ClusterRun{Cluster: t.label(), Err: err})
	}

	var buf bytes.Buffer
	var merged report.Report
	switch {
	case len(reports) == 1 && len(targets) > 1:
		merged = audit.Prefix(reports[0])
	case len(reports) > 0:
		merged = audit.Merge(reports...)
	}
	var rerr error // not err: that holds the last cluster's failure, already in errs
	switch {
	case format == "prometheus":
		rerr = audit.WritePrometheus(&buf, runs, now)
	case len(reports) > 0:
		rerr = report.Render(&buf, format, merged, e.useColor(c) && c.String("out") == "")
	}
	if rerr != nil {
		return fmt.Errorf("render %s: %w", format, rerr)
	}
	if buf.Len() > 0 || format == "prometheus" {
		if out := c.String("out"); out != "" {
			if err := fsutil.WriteFileAtomic(out, buf.Bytes(), 0o644); err != nil {
				return err
			}
			if len(reports) > 0 && format != "text" {
				fmt.Fprintln(e.stderr, report.Summary(merged))
			}
		} else if _, err := e.stdout.Write(buf.Bytes()); err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if len(merged.AtLeast(failOn)) > 0 {
		return errFindings
	}
	return nil
}

// label names a cluster whose audit could not run: its name in the clusters
// file, else the inventory's cluster name, else the inventory files.
func (t auditTarget) label() string {
	if t.Name != "" {
		return t.Name
	}
	if inv, err := inventory.Load(t.File...); err == nil && inv.Cluster.Name != "" {
		return inv.Cluster.Name
	}
	return strings.Join(t.File, ",")
}

func clusterErr(t auditTarget, err error) error {
	if t.Name == "" {
		return err
	}
	var h *hintError
	if errors.As(err, &h) {
		return &hintError{err: fmt.Errorf("cluster %s: %w", t.Name, h.err), hint: h.hint}
	}
	return fmt.Errorf("cluster %s: %w", t.Name, err)
}

// auditTargets is the clusters to audit: the --clusters file, or the one the
// flags name.
func auditTargets(c *ucli.Context) ([]auditTarget, error) {
	path := c.String("clusters")
	if path == "" {
		files := c.StringSlice("file")
		if len(files) == 0 {
			return nil, withHint(errors.New("no inventory given"), "pass -f INVENTORY (or --clusters FILE)")
		}
		return []auditTarget{{
			File: files, CommandConfig: c.String("command-config"), Bootstrap: c.String("bootstrap-server"),
			PKIDir: c.String("pki-dir"), SecretsDir: c.String("secrets-dir"), Policy: c.StringSlice("policy"),
		}}, nil
	}
	if len(c.StringSlice("file")) > 0 {
		return nil, errors.New("--clusters and -f exclude each other: name each cluster's inventory in the clusters file")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read clusters file: %w", err)
	}
	var doc struct {
		Clusters []auditTarget `yaml:"clusters"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("read clusters file %s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(doc.Clusters) == 0 {
		return nil, fmt.Errorf("clusters file %s names no clusters (want a clusters: list)", path)
	}
	base := filepath.Dir(path)
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(base, p)
	}
	seen := map[string]bool{}
	for i := range doc.Clusters {
		t := &doc.Clusters[i]
		if t.Name == "" {
			return nil, fmt.Errorf("clusters file %s: cluster %d has no name", path, i+1)
		}
		if seen[t.Name] {
			return nil, fmt.Errorf("clusters file %s: cluster %s named twice", path, t.Name)
		}
		seen[t.Name] = true
		if len(t.File) == 0 {
			return nil, fmt.Errorf("clusters file %s: cluster %s has no file (its inventory)", path, t.Name)
		}
		for j := range t.File {
			t.File[j] = rel(t.File[j])
		}
		for j := range t.Policy {
			t.Policy[j] = rel(t.Policy[j])
		}
		t.Policy = append(t.Policy, c.StringSlice("policy")...)
		t.CommandConfig = rel(t.CommandConfig)
		t.PKIDir, t.SecretsDir = rel(t.PKIDir), rel(t.SecretsDir)
		if t.PKIDir == "" {
			t.PKIDir = c.String("pki-dir")
		}
		if t.SecretsDir == "" {
			t.SecretsDir = c.String("secrets-dir")
		}
		if t.CommandConfig == "" && t.Bootstrap == "" {
			t.CommandConfig, t.Bootstrap = c.String("command-config"), c.String("bootstrap-server")
		}
	}
	return doc.Clusters, nil
}

// parseDays parses a Go duration or a number of days ("30d").
func parseDays(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(s, "d"); ok {
		d, err := strconv.Atoi(n)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("invalid duration %q (want e.g. 30d or 72h)", s)
		}
		return time.Duration(d) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid duration %q (want e.g. 30d or 72h)", s)
	}
	return d, nil
}
