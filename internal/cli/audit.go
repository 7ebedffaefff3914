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
		&ucli.StringFlag{Name: "pki-dir", Usage: "CA `DIR` (kafkaguard pki): check its certificates' expiry and revocation; the brokers' trust anchor when the properties name no truststore", EnvVars: envVars("pki-dir")},
		&ucli.StringFlag{Name: "secrets-dir", Usage: "SCRAM secrets store `DIR`: log in as each user with the stored password", EnvVars: envVars("secrets-dir")},
		&ucli.StringSliceFlag{Name: "policy", Usage: "directory or .rego `FILE` of your own policies (repeatable)", EnvVars: envVars("policy")},
		capabilitiesFlag(),
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
		Action: func(c *ucli.Context) error { return e.audit(c) },
	}
}

// auditTarget is one cluster to audit (parseClustersFile reads the keys of a
// clusters file into it).
type auditTarget struct {
	Name          string
	File          []string
	CommandConfig string
	Bootstrap     string
	PKIDir        string
	SecretsDir    string
	Policy        []string
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
	pl := e.progress()
	defer pl.finish()
	var logw io.Writer
	if c.Bool("verbose") || e.stderrTTY {
		logw = e.stderr
	}

	now := time.Now()
	var runs []audit.ClusterRun
	audited := false // some cluster has a report
	var errs []error
	for _, t := range targets {
		opts := audit.Options{
			Inventory: t.File, Bootstrap: t.Bootstrap, CommandConfig: t.CommandConfig,
			PKIDir: t.PKIDir, SecretsDir: t.SecretsDir, PolicyDirs: t.Policy, Capabilities: c.String("capabilities"),
			WarnWithin: warnWithin, Now: now, Log: logw, Name: t.Name,
		}
		if pl != nil {
			opts.Progress = pl.report
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
				audited = true
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

	pl.finish()

	// One report covers every cluster: with --clusters, a cluster that could
	// not be audited is in it as errored. A single cluster that could not be
	// audited at all gets no report, only the error (and its metrics).
	var buf bytes.Buffer
	var merged report.Report
	haveReport := audited || len(targets) > 1
	if haveReport {
		merged = audit.MergeRuns(runs)
	}
	var rerr error // not err: that holds the last cluster's failure, already in errs
	switch {
	case format == "prometheus":
		rerr = audit.WritePrometheus(&buf, runs, now)
	case haveReport:
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
			if haveReport && format != "text" {
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
	clusters, err := parseClustersFile(path, data)
	if err != nil {
		return nil, err
	}
	if len(clusters) == 0 {
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
	for i := range clusters {
		t := &clusters[i]
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
	return clusters, nil
}

// clusterKeys are the keys of one cluster in a clusters file, in the order
// the help names them.
var clusterKeys = []string{"name", "file", "command_config", "bootstrap_server", "pki_dir", "secrets_dir", "policy"}

// parseClustersFile reads a clusters file. Its errors name the file, the
// line and the key as the user wrote them (not Go types).
func parseClustersFile(path string, data []byte) ([]auditTarget, error) {
	at := func(n *yaml.Node, format string, args ...any) error {
		return fmt.Errorf("clusters file %s:%d: %s", path, n.Line, fmt.Sprintf(format, args...))
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("clusters file %s: invalid YAML: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(root.Content) == 0 {
		return nil, nil
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return nil, at(doc, "want a mapping with a clusters: list")
	}
	var list *yaml.Node
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		if k.Value != "clusters" {
			return nil, at(k, "unknown key %q (want clusters)", k.Value)
		}
		list = v
	}
	if list == nil || list.Tag == "!!null" {
		return nil, nil
	}
	if list.Kind != yaml.SequenceNode {
		return nil, at(list, "clusters: want a list of clusters")
	}
	var out []auditTarget
	for ci, item := range list.Content {
		if item.Kind != yaml.MappingNode {
			return nil, at(item, "cluster %d: want a mapping with %s", ci+1, strings.Join(clusterKeys, ", "))
		}
		var t auditTarget
		seen := map[string]bool{}
		for i := 0; i+1 < len(item.Content); i += 2 {
			k, v := item.Content[i], item.Content[i+1]
			if seen[k.Value] {
				return nil, at(k, "cluster %d: key %q given twice", ci+1, k.Value)
			}
			seen[k.Value] = true
			str := func() (string, error) {
				if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
					return "", at(v, "cluster %d: %s: want a string", ci+1, k.Value)
				}
				return v.Value, nil
			}
			strs := func() ([]string, error) {
				if v.Kind == yaml.ScalarNode && v.Tag != "!!null" {
					return []string{v.Value}, nil
				}
				if v.Kind != yaml.SequenceNode {
					return nil, at(v, "cluster %d: %s: want a list of paths", ci+1, k.Value)
				}
				var ss []string
				for _, e := range v.Content {
					if e.Kind != yaml.ScalarNode || e.Tag == "!!null" {
						return nil, at(e, "cluster %d: %s: want a list of paths", ci+1, k.Value)
					}
					ss = append(ss, e.Value)
				}
				return ss, nil
			}
			var err error
			switch k.Value {
			case "name":
				t.Name, err = str()
			case "file":
				t.File, err = strs()
			case "command_config":
				t.CommandConfig, err = str()
			case "bootstrap_server":
				t.Bootstrap, err = str()
			case "pki_dir":
				t.PKIDir, err = str()
			case "secrets_dir":
				t.SecretsDir, err = str()
			case "policy":
				t.Policy, err = strs()
			default:
				err = at(k, "cluster %d: unknown key %q (want %s)", ci+1, k.Value, strings.Join(clusterKeys, ", "))
			}
			if err != nil {
				return nil, err
			}
		}
		out = append(out, t)
	}
	return out, nil
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
