package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/devcluster"
	"github.com/kafkaguard/kafkaguard/internal/testutil/devtest"
)

// skipGuard is the first line of every script that needs the devcluster
// command. TestScripts (which has no such command) skips those scripts on it,
// as no kafkaguard-devcluster program is on PATH; TestPlanScripts runs copies
// with the line removed.
const skipGuard = "[!exec:kafkaguard-devcluster] skip 'needs the devcluster command (TestPlanScripts)'\n"

// TestPlanScripts runs testdata/script/plan_*.txtar with the devcluster
// command, which runs an in-process dev cluster for the script.
func TestPlanScripts(t *testing.T) {
	files, err := filepath.Glob("../../testdata/script/plan_*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no plan scripts: %v", err)
	}
	dir := t.TempDir()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), []byte(strings.Replace(string(data), skipGuard, "", 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	testscript.Run(t, testscript.Params{
		Dir:                 dir,
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "1")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"devcluster": cmdDevcluster,
		},
	})
}

// devclusters maps a script's work directory to its cluster.
var devclusters = map[string]*devcluster.Cluster{}

// cmdDevcluster:
//
//	devcluster start                      start a cluster; sets KAFKAGUARD_COMMAND_CONFIG
//	devcluster acl add|delete PRINCIPAL RESOURCE_TYPE NAME PATTERN OPERATION PERMISSION
//	devcluster user NAME                  create SCRAM-SHA-512 user NAME and write NAME.properties
func cmdDevcluster(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! devcluster")
	}
	if len(args) == 0 {
		ts.Fatalf("usage: devcluster start | acl add|delete ... | user NAME")
	}
	work := ts.Getenv("WORK")
	ctx := context.Background()
	if args[0] == "start" {
		dc, err := devcluster.Start(ctx, devcluster.Options{Dir: filepath.Join(work, ".dev")})
		ts.Check(err)
		devclusters[work] = dc
		ts.Defer(func() { dc.Close(); delete(devclusters, work) })
		ts.Setenv("KAFKAGUARD_COMMAND_CONFIG", dc.AdminProperties())
		ts.Setenv("DEVCLUSTER_ADDR", dc.Addr())
		return
	}
	dc := devclusters[work]
	if dc == nil {
		ts.Fatalf("devcluster start first")
	}
	cfg, err := dc.AdminConfig()
	ts.Check(err)
	cl, err := cluster.Dial(ctx, cfg)
	ts.Check(err)
	defer cl.Close()
	switch {
	case args[0] == "acl" && len(args) == 8:
		b, err := acl.FromStrings(args[2], "*", args[3], args[4], args[5], args[6], args[7])
		ts.Check(err)
		call := cl.CreateACLs
		if args[1] == "delete" {
			call = cl.DeleteACLs
		}
		for _, r := range call(ctx, []acl.Binding{b}) {
			ts.Check(r.Err)
		}
	case args[0] == "user" && len(args) == 2:
		name, pass := args[1], "pw-"+args[1]+"-for-tests"
		res, err := cl.Kadm().AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{{User: name, Mechanism: kadm.ScramSha512, Iterations: 4096, Password: pass}})
		ts.Check(err)
		ts.Check(res.Error())
		props, err := os.ReadFile(dc.AdminProperties())
		ts.Check(err)
		text := strings.Replace(string(props), `username="admin" password="`+cfg.Password()+`"`, `username="`+name+`" password="`+pass+`"`, 1)
		ts.Check(os.WriteFile(filepath.Join(work, name+".properties"), []byte(text), 0o600))
	default:
		ts.Fatalf("usage: devcluster start | acl add|delete PRINCIPAL TYPE NAME PATTERN OP PERM | user NAME")
	}
}

// TestApplyAsksForYesOnATerminal drives apply as a person at a terminal would.
func TestApplyAsksForYesOnATerminal(t *testing.T) {
	dc := devtest.Start(context.Background(), t)
	inv := filepath.Join(t.TempDir(), "inventory.yaml")
	if err := os.WriteFile(inv, []byte("principals:\n  app: {auth: mtls, team: a}\ntopics:\n  t: {team: a, classification: internal}\ngrants:\n  - {principal: app, role: consumer, topics: [t]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(answer string) (int, string, string) {
		var stdout, stderr strings.Builder
		e := &env{stdin: strings.NewReader(answer), stdout: &stdout, stderr: &stderr, stdinTTY: true,
			getenv: func(string) string { return "" }}
		code := e.run([]string{"kafkaguard", "apply", "-f", inv, "--command-config", dc.AdminProperties()})
		return code, stdout.String(), stderr.String()
	}
	code, stdout, stderr := run("no\n")
	if code != ExitError || !strings.Contains(stderr, "Only 'yes' will be accepted") || !strings.Contains(stderr, "kafkaguard: error: apply cancelled: nothing was changed") {
		t.Fatalf("answer no: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = run("yes\n")
	if code != ExitOK || !strings.Contains(stdout, "Apply complete: 2 added, 0 changed, 0 removed") {
		t.Fatalf("answer yes: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, _ = run("")
	if code != ExitOK || !strings.Contains(stdout, "No changes. The cluster matches policy.") {
		t.Fatalf("after apply: exit %d\n%s", code, stdout)
	}
}
