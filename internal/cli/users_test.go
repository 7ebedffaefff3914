package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/devcluster"
	"github.com/kafkaguard/kafkaguard/internal/scram"
	"github.com/kafkaguard/kafkaguard/internal/testutil"
	"github.com/kafkaguard/kafkaguard/internal/testutil/devtest"
)

const usersInventory = `cluster: {name: dev}
principals:
  orders-api: {auth: scram-sha-512, team: orders}
  billing:    {auth: scram-sha-256, team: billing}
  reports:    {auth: scram-sha-512, team: data, iterations: 8192}
  admin:      {auth: scram-sha-512, team: platform, superuser: true}
  analytics:  {auth: mtls, team: data}
`

// usersRun runs kafkaguard in-process and keeps everything it printed.
type usersRun struct {
	stdin    string
	stdinTTY bool
	t        *testing.T
	tty      bool         // stderr is a terminal (progress lines)
	all      bytes.Buffer // stdout and stderr of every run
	stdout   string
	stderr   string
}

func (r *usersRun) run(args ...string) int {
	r.t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(r.stdin), stdinTTY: r.stdinTTY, stdout: &out, stderr: &errb, stderrTTY: r.tty, getenv: func(string) string { return "" }}
	code := e.run(append([]string{"kafkaguard", "-v"}, args...))
	r.stdout, r.stderr = out.String(), errb.String()
	r.all.WriteString(r.stdout)
	r.all.WriteString(r.stderr)
	return code
}

// usersFixture starts a dev cluster and writes inventory; conn are the
// flags that point kafkaguard at both and at a secrets directory.
func usersFixture(t *testing.T, inventory string) (dc *devcluster.Cluster, secrets string, conn []string) {
	t.Helper()
	dir := t.TempDir()
	dc = devtest.StartWith(context.Background(), t, devcluster.Options{Dir: filepath.Join(dir, "dev")})
	inv := filepath.Join(dir, "inventory.yaml")
	if err := os.WriteFile(inv, []byte(inventory), 0o600); err != nil {
		t.Fatal(err)
	}
	secrets = filepath.Join(dir, "secrets")
	return dc, secrets, []string{"-f", inv, "--command-config", dc.AdminProperties(), "--secrets-dir", secrets}
}

func (r *usersRun) want(code int, args ...string) {
	r.t.Helper()
	if got := r.run(args...); got != code {
		r.t.Fatalf("kafkaguard %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), got, code, r.stdout, r.stderr)
	}
}

// TestUsersFullRunNeverPrintsAPassword runs plan, apply, verify and rotate
// with -v against the dev cluster, checks what they report, and then looks
// for every password the run created or used in everything it printed.
func TestUsersFullRunNeverPrintsAPassword(t *testing.T) {
	dc, secrets, conn := usersFixture(t, usersInventory)
	r := &usersRun{t: t}
	passwords := map[string]bool{}
	collect := func() {
		files, _ := filepath.Glob(filepath.Join(secrets, "*.password"))
		for _, f := range files {
			pw, err := scram.ReadPasswordFile(f)
			if err != nil {
				t.Fatal(err)
			}
			passwords[pw] = true
		}
	}
	adminCfg, err := dc.AdminConfig()
	if err != nil {
		t.Fatal(err)
	}

	r.want(ExitFindings, append([]string{"users", "plan", "--detailed-exitcode"}, conn...)...)
	for _, want := range []string{"+ User:billing  SCRAM-SHA-256, 4096 iterations", "+ User:orders-api", "+ User:reports  SCRAM-SHA-512, 8192 iterations", "Users: 3 to create, 0 to change, 0 to remove."} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("plan lacks %q:\n%s", want, r.stdout)
		}
	}
	r.want(ExitError, append([]string{"users", "apply"}, conn...)...) // no terminal, no --auto-approve
	if !strings.Contains(r.stderr, "refusing to apply without confirmation") {
		t.Errorf("no refusal: %s", r.stderr)
	}
	if _, err := os.Stat(secrets); err == nil {
		t.Error("refused apply created the secrets dir")
	}
	r.want(ExitOK, append([]string{"users", "apply", "--auto-approve"}, conn...)...)
	collect()
	r.want(ExitOK, append([]string{"users", "plan", "--detailed-exitcode"}, conn...)...)

	// The dev cluster logs in users stored with 8192 iterations, as a
	// real broker does.
	r.want(ExitOK, append([]string{"users", "verify"}, conn...)...)
	if !strings.Contains(r.stdout, "reports     SCRAM-SHA-512  ok") || !strings.Contains(r.stdout, "orders-api  SCRAM-SHA-512  ok") {
		t.Errorf("verify:\n%s", r.stdout)
	}

	// A password changed behind kafkaguard's back.
	const elsewhere = "changed-elsewhere-Qw81"
	passwords[elsewhere] = true
	admin, err := cluster.Dial(context.Background(), adminCfg)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	cred, _ := scram.Derive(scram.SHA512, elsewhere, 4096)
	if _, err := admin.AlterSCRAM(context.Background(), nil, []cluster.SCRAMUpsert{{User: "orders-api", Mechanism: scram.SHA512, Iterations: 4096, Salt: cred.Salt, SaltedPassword: cred.SaltedPassword}}); err != nil {
		t.Fatal(err)
	}
	r.want(ExitFindings, append([]string{"users", "verify", "-o", "json"}, conn...)...)
	if !strings.Contains(r.stdout, `"user": "orders-api",
    "mechanism": "SCRAM-SHA-512",
    "status": "wrong password"`) {
		t.Errorf("verify json:\n%s", r.stdout)
	}

	old, _ := scram.ReadPasswordFile(filepath.Join(secrets, "billing.password"))
	r.want(ExitOK, append([]string{"users", "rotate", "billing"}, conn...)...)
	collect()
	if now, _ := scram.ReadPasswordFile(filepath.Join(secrets, "billing.password")); now == old {
		t.Error("billing not rotated")
	}
	// A rotation whose new password does not log in keeps the old files:
	// kfake is made to refuse every login of orders-api.
	dc.Kfake().ControlKey(int16(kmsg.SASLAuthenticate), func(req kmsg.Request) (kmsg.Response, error, bool) {
		dc.Kfake().KeepControl()
		if bytes.Contains(req.(*kmsg.SASLAuthenticateRequest).SASLAuthBytes, []byte("n=orders-api,")) {
			return nil, errors.New("refused by the test"), true
		}
		return nil, nil, false
	})
	r.want(ExitError, append([]string{"users", "rotate", "orders-api"}, conn...)...)
	if !strings.Contains(r.stderr, "old secret files kept") {
		t.Errorf("rotate of an unverifiable user: %s", r.stderr)
	}
	// --all: the running admin is skipped, orders-api fails; stdout and
	// stderr count the same users and say how many failed.
	r.want(ExitError, append([]string{"users", "rotate", "--all", "--auto-approve"}, conn...)...)
	if !strings.Contains(r.stdout, "Rotated 2 of 3 users, 1 failed.\n") {
		t.Errorf("rotate --all stdout:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "kafkaguard: rotated 2 of 3 users (1 failed) in ") {
		t.Errorf("rotate --all stderr:\n%s", r.stderr)
	}
	collect()
	// --all changes every password: never without a yes or --auto-approve.
	before, _ := scram.ReadPasswordFile(filepath.Join(secrets, "billing.password"))
	r.want(ExitError, append([]string{"users", "rotate", "--all"}, conn...)...)
	if !strings.Contains(r.stderr, "refusing to rotate all 3 users without confirmation: stdin is not a terminal") || !strings.Contains(r.stderr, "--auto-approve") {
		t.Errorf("rotate --all without a terminal:\n%s", r.stderr)
	}
	r.stdinTTY, r.stdin = true, "no\n"
	r.want(ExitError, append([]string{"users", "rotate", "--all"}, conn...)...)
	if !strings.Contains(r.stderr, "gives 3 users new passwords: billing, orders-api, reports") || !strings.Contains(r.stderr, "rotation cancelled: nothing was changed") {
		t.Errorf("rotate --all answered no:\n%s", r.stderr)
	}
	if now, _ := scram.ReadPasswordFile(filepath.Join(secrets, "billing.password")); now != before {
		t.Error("rotate --all without confirmation changed billing's password")
	}
	r.stdinTTY, r.stdin = false, ""
	collect()
	r.want(ExitError, append([]string{"users", "rotate", "admin"}, conn...)...)
	r.want(ExitFindings, append([]string{"users", "verify"}, conn...)...)
	if !strings.Contains(r.stdout, "reports     SCRAM-SHA-512  ok") || !strings.Contains(r.stdout, "billing     SCRAM-SHA-256  ok") {
		t.Errorf("rotated users do not verify:\n%s", r.stdout)
	}
	collect()

	if testing.Verbose() {
		t.Log(r.all.String())
	}
	passwords[adminCfg.Password()] = true
	out := r.all.String()
	if len(passwords) < 5 {
		t.Fatalf("only %d passwords collected", len(passwords))
	}
	for pw := range passwords {
		if strings.Contains(out, pw) {
			t.Errorf("a password (%d chars) appears in the output", len(pw))
		}
	}
}

const planInventory = `cluster: {name: dev}
principals:
  orders-api: {auth: scram-sha-512, team: orders}
topics:
  orders.events: {team: orders, classification: internal}
grants:
  - {principal: orders-api, role: producer, topics: [orders.events]}
`

func TestPlanAndApplyHandleUsersBeforeACLs(t *testing.T) {
	_, secrets, conn := usersFixture(t, planInventory)
	r := &usersRun{t: t}
	r.want(ExitFindings, append([]string{"plan", "--detailed-exitcode"}, conn...)...)
	users, acls := strings.Index(r.stdout, "SCRAM users:\n  + User:orders-api  SCRAM-SHA-512, 4096 iterations"), strings.Index(r.stdout, "ACLs:")
	if users < 0 || acls < 0 || users > acls {
		t.Fatalf("plan (users %d, acls %d):\n%s", users, acls, r.stdout)
	}
	if strings.Contains(r.stdout, "User:admin") {
		t.Errorf("plan mentions the running admin:\n%s", r.stdout)
	}
	if testing.Verbose() {
		t.Log(r.stdout)
	}
	r.want(ExitOK, append([]string{"plan", "-o", "json"}, conn...)...)
	if !strings.Contains(r.stdout, `"users": {`) || !strings.Contains(r.stdout, `"action": "create"`) {
		t.Errorf("plan json:\n%s", r.stdout)
	}
	r.want(ExitOK, append([]string{"apply", "--auto-approve"}, conn...)...)
	if !strings.Contains(r.stdout, "+ created  User:orders-api") {
		t.Errorf("apply:\n%s", r.stdout)
	}
	cfg, err := cluster.LoadConfig("", filepath.Join(secrets, "orders-api.properties"))
	if err != nil {
		t.Fatal(err)
	}
	if err := cluster.LoginSCRAM(context.Background(), cfg); err != nil {
		t.Fatalf("login with the written config: %v", err)
	}
	r.want(ExitOK, append([]string{"plan", "--detailed-exitcode"}, conn...)...)
	pw, _ := scram.ReadPasswordFile(filepath.Join(secrets, "orders-api.password"))
	if pw == "" || strings.Contains(r.all.String(), pw) {
		t.Error("password missing from the store or present in the output")
	}
}

// BenchmarkUsersApply runs 'kafkaguard users apply --auto-approve'
// in-process against a fresh in-process dev cluster (TLS, SCRAM-SHA-512
// admin) for 1k and 10k new SCRAM-SHA-512 users at the default 4096
// iterations: inventory load, describe, plan, probe, one salted credential
// per user, three secret files per user and the upserts.
//
// Its floor, measured in the same run and alternated with it (best of the
// rounds: the machine is shared), is a plain single-thread loop deriving the
// same number of credentials with the same function (scram.Derive). The
// derivation is the work apply cannot avoid; with every core deriving, the
// whole apply should take less time than that one loop alone: x-limit is 1.0
// (see docs/users.md, Benchmarks). apply-s is the absolute figure (the
// issue's target at 10k: 15 s); apply-cpu-s and floor-cpu-s tell apply's
// own overhead from a shared machine's missing cores.
func BenchmarkUsersApply(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			if testing.Short() && n > 1000 {
				b.Skip("10k users take minutes: not under -short")
			}
			benchUsersApply(b, n)
		})
	}
}

func benchUsersApply(b *testing.B, n int) {
	const rounds = 2
	var inv strings.Builder
	inv.WriteString("cluster: {name: dev}\nprincipals:\n")
	for i := range n {
		fmt.Fprintf(&inv, "  svc-%05d: {auth: scram-sha-512, team: t%d}\n", i, i%50)
	}
	passwords := make([]string, n)
	for i := range passwords {
		pw, err := scram.GeneratePassword()
		if err != nil {
			b.Fatal(err)
		}
		passwords[i] = pw
	}
	var floorCPU, applyCPU time.Duration // of the best rounds
	floor := func() (wall, cpu time.Duration) {
		start, startCPU := time.Now(), testutil.ProcessCPU()
		for _, pw := range passwords {
			if _, err := scram.Derive(scram.SHA512, pw, 4096); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start), testutil.ProcessCPU() - startCPU
	}
	apply := func() (wall, cpu time.Duration) {
		dir := b.TempDir()
		dc, err := devcluster.Start(context.Background(), devcluster.Options{Dir: filepath.Join(dir, "dev")})
		if err != nil {
			b.Fatal(err)
		}
		defer dc.Close()
		path := filepath.Join(dir, "inventory.yaml")
		if err := os.WriteFile(path, []byte(inv.String()), 0o600); err != nil {
			b.Fatal(err)
		}
		secrets := filepath.Join(dir, "secrets")
		var out, errOut bytes.Buffer
		e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}
		start, startCPU := time.Now(), testutil.ProcessCPU()
		code := e.run([]string{"kafkaguard", "users", "apply", "--auto-approve", "-f", path, "--command-config", dc.AdminProperties(), "--secrets-dir", secrets})
		elapsed, cpu := time.Since(start), testutil.ProcessCPU()-startCPU
		if code != ExitOK || !strings.Contains(out.String(), fmt.Sprintf("Users applied: %d created, 0 changed, 0 removed, 0 failed.", n)) {
			b.Fatalf("users apply: exit %d\n%s", code, errOut.String())
		}
		if files, _ := filepath.Glob(filepath.Join(secrets, "*.password")); len(files) != n {
			b.Fatalf("%d password files, want %d", len(files), n)
		}
		return elapsed, cpu
	}
	var best, bestFloor time.Duration
	for b.Loop() {
		for range rounds {
			f, fCPU := floor()
			d, dCPU := apply()
			b.Logf("%d users: apply %s (CPU %s), single-thread derivation %s (CPU %s)", n, d.Round(time.Millisecond), dCPU.Round(time.Millisecond), f.Round(time.Millisecond), fCPU.Round(time.Millisecond))
			if bestFloor == 0 || f < bestFloor {
				bestFloor, floorCPU = f, fCPU
			}
			if best == 0 || d < best {
				best, applyCPU = d, dCPU
			}
		}
	}
	b.ReportMetric(best.Seconds(), "apply-s")
	b.ReportMetric(bestFloor.Seconds(), "floor-s")
	// CPU seconds of the same rounds (the process's, dev cluster included):
	// apply's work besides the derivation, whether or not a core was free.
	b.ReportMetric(applyCPU.Seconds(), "apply-cpu-s")
	b.ReportMetric(floorCPU.Seconds(), "floor-cpu-s")
	b.ReportMetric(best.Seconds()/bestFloor.Seconds(), "x-floor")
	b.ReportMetric(1.0, "x-limit")
	b.ReportMetric(float64(n)/best.Seconds(), "users/s")
}
