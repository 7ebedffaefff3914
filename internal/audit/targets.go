package audit

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kafkaguard/kafkaguard/internal/fsutil"
	"github.com/kafkaguard/kafkaguard/internal/report"
	"github.com/kafkaguard/kafkaguard/inventory"
)

// Target is one cluster to audit: its inventory, how to reach it, and the
// optional CA directory, secrets store and policies.
type Target struct {
	Name          string // the name in a clusters file; "" for a single cluster
	File          []string
	CommandConfig string
	Bootstrap     string
	PKIDir        string
	SecretsDir    string
	Policy        []string
}

// ErrNoCluster is a target that names neither a bootstrap server nor a
// properties file.
var ErrNoCluster = errors.New("no cluster given")

// Commands are the command lines the fixes name for the target:
// Line("apply") is "kafkaguard apply -f inventory.yaml --command-config
// admin.properties".
func (t Target) Commands() Commands {
	var b strings.Builder
	for _, f := range t.File {
		b.WriteString(" -f " + f)
	}
	if t.CommandConfig != "" {
		b.WriteString(" --command-config " + t.CommandConfig)
	}
	return Commands{Args: b.String()}
}

// Label names a target whose audit could not run: its name in the clusters
// file, else the inventory's cluster name, else the inventory files.
func (t Target) Label() string {
	if t.Name != "" {
		return t.Name
	}
	if inv, err := inventory.Load(t.File...); err == nil && inv.Cluster.Name != "" {
		return inv.Cluster.Name
	}
	return strings.Join(t.File, ",")
}

// maxClustersFileBytes bounds a clusters file: real ones are a few KB.
const maxClustersFileBytes = 16 << 20

// LoadTargets reads a clusters file (docs/audit.md): each cluster's paths
// are relative to the file; what a cluster leaves out (its CA directory,
// secrets store, connection) comes from defaults, and defaults.Policy is
// added to every cluster's policies.
func LoadTargets(path string, defaults Target) ([]Target, error) {
	data, err := fsutil.ReadFileLimit(path, maxClustersFileBytes, "a clusters file")
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
		t.Policy = append(t.Policy, defaults.Policy...)
		t.CommandConfig = rel(t.CommandConfig)
		t.PKIDir, t.SecretsDir = rel(t.PKIDir), rel(t.SecretsDir)
		if t.PKIDir == "" {
			t.PKIDir = defaults.PKIDir
		}
		if t.SecretsDir == "" {
			t.SecretsDir = defaults.SecretsDir
		}
		if t.CommandConfig == "" && t.Bootstrap == "" {
			t.CommandConfig, t.Bootstrap = defaults.CommandConfig, defaults.Bootstrap
		}
	}
	return clusters, nil
}

// clusterKeys are the keys of one cluster in a clusters file, in the order
// the help names them.
var clusterKeys = []string{"name", "file", "command_config", "bootstrap_server", "pki_dir", "secrets_dir", "policy"}

// parseClustersFile reads a clusters file. Its errors name the file, the
// line and the key as the user wrote them (not Go types).
func parseClustersFile(path string, data []byte) ([]Target, error) {
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
	var out []Target
	for ci, item := range list.Content {
		if item.Kind != yaml.MappingNode {
			return nil, at(item, "cluster %d: want a mapping with %s", ci+1, strings.Join(clusterKeys, ", "))
		}
		var t Target
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

// TargetError is the error of one target's audit.
type TargetError struct {
	Target string // the name in the clusters file; "" for a single cluster
	Err    error
}

func (e *TargetError) Error() string {
	if e.Target == "" {
		return e.Err.Error()
	}
	return "cluster " + e.Target + ": " + e.Err.Error()
}

func (e *TargetError) Unwrap() error { return e.Err }

// Runs are the audits of every target, in order.
type Runs struct {
	Runs []ClusterRun
	// Audited: some target has a report.
	Audited bool
	// errs are the targets' errors (a *TargetError each), in order.
	errs []error
}

// RunAll audits every target with run, one after the other; a target that
// could not be audited is a run with its error, never the end of the loop.
func RunAll(ctx context.Context, targets []Target, run func(context.Context, Target) (Result, error)) Runs {
	var out Runs
	for _, t := range targets {
		var res Result
		err := ErrNoCluster
		if t.Bootstrap != "" || t.CommandConfig != "" {
			res, err = run(ctx, t)
		}
		if err != nil {
			out.errs = append(out.errs, &TargetError{Target: t.Name, Err: err})
			out.Runs = append(out.Runs, ClusterRun{Cluster: t.Label(), Err: err})
			continue
		}
		out.Runs = append(out.Runs, ClusterRun{Cluster: res.Report.Cluster, Result: &res})
		out.Audited = true
		if res.Err != nil {
			out.errs = append(out.errs, &TargetError{Target: t.Name, Err: res.Err})
		}
	}
	return out
}

// Errors are the targets' errors (each a *TargetError), in order.
func (r Runs) Errors() []error { return r.errs }

// Report is one report for every run: with several targets, one that could
// not be audited is in it as errored. A single target that could not be
// audited at all has no report (ok false).
func (r Runs) Report() (rep report.Report, ok bool) {
	if !r.Audited && len(r.Runs) <= 1 {
		return report.Report{}, false
	}
	return MergeRuns(r.Runs), true
}

// Exit codes of an audit run, the contract of docs/audit.md.
const (
	ExitClean    = 0
	ExitError    = 1
	ExitFindings = 2
)

// ExitCode is 1 when some target could not be audited (completely), else 2
// when a finding is at or above failOn, else 0.
func (r Runs) ExitCode(failOn report.Severity) int {
	if len(r.Errors()) > 0 {
		return ExitError
	}
	if rep, ok := r.Report(); ok && len(rep.AtLeast(failOn)) > 0 {
		return ExitFindings
	}
	return ExitClean
}
