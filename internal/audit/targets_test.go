package audit

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kafkaguard/kafkaguard/internal/report"
)

func writeClusters(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "clusters.yaml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadTargetsResolvesPathsAndDefaults(t *testing.T) {
	path := writeClusters(t, `clusters:
  - name: eu
    file: [eu/inventory.yaml]
    command_config: eu/admin.properties
    policy: pol
  - name: us
    file: /abs/us.yaml
    pki_dir: us-pki
`)
	base := filepath.Dir(path)
	got, err := LoadTargets(path, Target{PKIDir: "/ca", SecretsDir: "/secrets", CommandConfig: "admin.properties", Policy: []string{"common"}})
	if err != nil {
		t.Fatal(err)
	}
	eu, us := got[0], got[1]
	if eu.File[0] != filepath.Join(base, "eu/inventory.yaml") || eu.CommandConfig != filepath.Join(base, "eu/admin.properties") ||
		eu.PKIDir != "/ca" || eu.SecretsDir != "/secrets" || !slices.Equal(eu.Policy, []string{filepath.Join(base, "pol"), "common"}) {
		t.Errorf("eu: %+v", eu)
	}
	if us.File[0] != "/abs/us.yaml" || us.PKIDir != filepath.Join(base, "us-pki") || us.CommandConfig != "admin.properties" {
		t.Errorf("us: %+v", us)
	}
	if want := "kafkaguard apply -f " + eu.File[0] + " --command-config " + eu.CommandConfig; eu.Commands().Line("apply") != want {
		t.Errorf("apply command %q, want %q", eu.Commands().Line("apply"), want)
	}
}

func TestLoadTargetsNamesFileAndLine(t *testing.T) {
	for body, want := range map[string]string{
		"clusters:\n  - name: a\n    file: x.yaml\n    colour: red\n":               `:4: cluster 1: unknown key "colour"`,
		"clusters:\n  - name: a\n    file: x.yaml\n  - name: a\n    file: y.yaml\n": "cluster a named twice",
		"clusters:\n  - name: a\n": "cluster a has no file",
		"clusters: []\n":           "names no clusters",
		"clusters: [unclosed\n":    "invalid YAML",
	} {
		_, err := LoadTargets(writeClusters(t, body), Target{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want %q", body, err, want)
		}
	}
}

func TestRunAllKeepsGoingAndExitCodes(t *testing.T) {
	down := errors.New("cannot reach broker")
	targets := []Target{
		{Name: "clean", File: []string{"a.yaml"}, Bootstrap: "a:9092"},
		{Name: "drift", File: []string{"b.yaml"}, Bootstrap: "b:9092"},
		{Name: "down", File: []string{"c.yaml"}, Bootstrap: "c:9092"},
		{Name: "nowhere", File: []string{"d.yaml"}},
	}
	run := func(_ context.Context, t Target) (Result, error) {
		switch t.Name {
		case "down":
			return Result{}, down
		case "drift":
			return Result{Report: report.Report{Cluster: "drift", Findings: []report.Finding{{ID: KGACLMissing, Severity: report.SeverityError}}}}, nil
		}
		return Result{Report: report.Report{Cluster: t.Name}}, nil
	}
	runs := RunAll(context.Background(), targets, run)
	if len(runs.Runs) != 4 || !runs.Audited {
		t.Fatalf("runs %+v", runs)
	}
	errs := runs.Errors()
	if len(errs) != 2 || !errors.Is(errs[0], down) || !errors.Is(errs[1], ErrNoCluster) || errs[0].Error() != "cluster down: cannot reach broker" {
		t.Errorf("errors %v", errs)
	}
	if got := runs.ExitCode(report.SeverityWarning); got != ExitError {
		t.Errorf("exit code %d, want %d", got, ExitError)
	}
	clean := RunAll(context.Background(), targets[:2], run)
	if got := clean.ExitCode(report.SeverityWarning); got != ExitFindings {
		t.Errorf("with drift: exit code %d, want %d", got, ExitFindings)
	}
	if got := RunAll(context.Background(), targets[:1], run).ExitCode(report.SeverityInfo); got != ExitClean {
		t.Errorf("clean: exit code %d, want %d", got, ExitClean)
	}
}

// A clusters file is read up to 16 MiB: a path that never ends (/dev/zero)
// fails at the limit.
func TestLoadTargetsReadsAtMost16MiB(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	_, err := LoadTargets("/dev/zero", Target{})
	if err == nil || err.Error() != "read clusters file: /dev/zero: larger than 16 MiB, too large for a clusters file" {
		t.Fatalf("got %v", err)
	}
}
