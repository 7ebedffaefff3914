package scram

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/testutil"
)

type env struct {
	tc    *testCluster
	store *Store
	cs    ClientSettings
}

func newEnv(t *testing.T) *env {
	tc := startCluster(t)
	store, err := OpenStore(filepath.Join(t.TempDir(), "secrets"), true)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := ClientSettingsFrom(tc.Config)
	if err != nil {
		t.Fatal(err)
	}
	return &env{tc: tc, store: store, cs: cs}
}

// apply plans desired against the cluster and applies it, failing on any error.
func (e *env) apply(t *testing.T, desired []DesiredUser, scope acl.Scope, prune bool) UserPlan {
	t.Helper()
	ctx := context.Background()
	actual, err := e.tc.Admin.DescribeSCRAM(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p := PlanUsers(desired, actual, scope, prune, "admin")
	for _, r := range (&Applier{Admin: e.tc.Admin, Store: e.store, Settings: e.cs}).Apply(ctx, p) {
		if r.Err != nil {
			t.Fatalf("apply %s %s: %v", r.Action, r.User, r.Err)
		}
	}
	return p
}

// loginWithFile logs in with a client config the store wrote, read back the
// way any kafkaguard command reads a command config.
func loginWithFile(t *testing.T, path string) error {
	t.Helper()
	cfg, err := cluster.LoadConfig("", path)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	return cluster.LoginSCRAM(context.Background(), cfg)
}

func (e *env) verify(t *testing.T, desired []DesiredUser) map[string]LoginStatus {
	t.Helper()
	res, err := VerifyUsers(context.Background(), e.tc.Admin, cluster.LoginSCRAM, e.tc.Config, desired, e.store, "admin")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]LoginStatus{}
	for _, r := range res {
		out[r.User] = r.Status
	}
	return out
}

func TestApplyCreatesUsersThatLogInWithTheWrittenClientConfigs(t *testing.T) {
	e := newEnv(t)
	desired := []DesiredUser{{Name: "orders-api", Mechanism: SHA512, Iterations: 4096}, {Name: "billing", Mechanism: SHA256, Iterations: 4096}}
	p := e.apply(t, desired, acl.Scope{}, false)
	if c, _, _ := p.Counts(); c != 2 {
		t.Fatalf("plan %+v", p)
	}
	for _, d := range desired {
		if err := loginWithFile(t, e.store.PropertiesPath(d.Name)); err != nil {
			t.Errorf("%s.properties: %v", d.Name, err)
		}
		if err := loginWithFile(t, e.store.LibrdkafkaPath(d.Name)); err != nil {
			t.Errorf("%s.librdkafka.properties: %v", d.Name, err)
		}
	}
	actual, _ := e.tc.Admin.DescribeSCRAM(context.Background())
	if again := PlanUsers(desired, actual, acl.Scope{}, false, "admin"); !again.Empty() {
		t.Fatalf("second plan not empty: %+v", again.Changes)
	}
	if got := e.verify(t, desired); got["orders-api"] != StatusOK || got["billing"] != StatusOK {
		t.Fatalf("verify %v", got)
	}
}

func TestVerifyReportsEachProblem(t *testing.T) {
	e := newEnv(t)
	desired := []DesiredUser{
		{Name: "changed", Mechanism: SHA512, Iterations: 4096},
		{Name: "nosecret", Mechanism: SHA512, Iterations: 4096},
		{Name: "fine", Mechanism: SHA256, Iterations: 4096},
	}
	e.apply(t, desired, acl.Scope{}, false)
	// The password of "changed" is changed behind kafkaguard's back.
	cred, _ := Derive(SHA512, "changed-elsewhere-123", 4096)
	if _, err := e.tc.Admin.AlterSCRAM(context.Background(), nil, []cluster.SCRAMUpsert{{User: "changed", Mechanism: SHA512, Iterations: 4096, Salt: cred.Salt, SaltedPassword: cred.SaltedPassword}}); err != nil {
		t.Fatal(err)
	}
	os.Remove(e.store.PasswordPath("nosecret"))
	desired = append(desired, DesiredUser{Name: "missing", Mechanism: SHA512, Iterations: 4096}, DesiredUser{Name: "admin", Mechanism: SHA512, Iterations: 4096})
	got := e.verify(t, desired)
	want := map[string]LoginStatus{"changed": StatusWrongPassword, "nosecret": StatusNoSecret, "fine": StatusOK, "missing": StatusMissing, "admin": StatusOK}
	for u, w := range want {
		if got[u] != w {
			t.Errorf("%s: %q, want %q", u, got[u], w)
		}
	}
}

func TestRotateMakesTheNewLoginWorkAndTheOldFail(t *testing.T) {
	e := newEnv(t)
	d := DesiredUser{Name: "app", Mechanism: SHA512, Iterations: 4096}
	e.apply(t, []DesiredUser{d}, acl.Scope{}, false)
	old, _ := e.store.Password("app")
	r := &Rotator{Admin: e.tc.Admin, Login: cluster.LoginSCRAM, Config: e.tc.Config, Store: e.store, Settings: e.cs}
	if res := r.Rotate(context.Background(), d); res.Err != nil {
		t.Fatal(res.Err)
	}
	now, _ := e.store.Password("app")
	if now == old {
		t.Fatal("password not changed")
	}
	if err := loginWithFile(t, e.store.PropertiesPath("app")); err != nil {
		t.Fatalf("new login: %v", err)
	}
	if err := cluster.LoginSCRAM(context.Background(), e.tc.Config.WithUser(SHA512, "app", old)); !errors.Is(err, cluster.ErrLoginRejected) {
		t.Fatalf("old login: %v", err)
	}
}

func TestRotateKeepsTheOldFilesWhenTheNewLoginFails(t *testing.T) {
	// kfake answers every SCRAM login with 4096 iterations, so a user stored
	// with 8192 cannot log in: the rotation must not replace the files.
	e := newEnv(t)
	d := DesiredUser{Name: "slow", Mechanism: SHA512, Iterations: 8192}
	e.apply(t, []DesiredUser{d}, acl.Scope{}, false)
	before, _ := os.ReadFile(e.store.PropertiesPath("slow"))
	r := &Rotator{Admin: e.tc.Admin, Login: cluster.LoginSCRAM, Config: e.tc.Config, Store: e.store, Settings: e.cs}
	res := r.Rotate(context.Background(), d)
	if !errors.Is(res.Err, ErrRotateUnverified) || !strings.Contains(res.Err.Error(), "old secret files kept") {
		t.Fatalf("rotate: %v", res.Err)
	}
	after, _ := os.ReadFile(e.store.PropertiesPath("slow"))
	if string(before) != string(after) {
		t.Fatal("client config replaced although the new login failed")
	}
}

func TestIterationCountsAreAppliedAndDescribed(t *testing.T) {
	e := newEnv(t)
	desired := []DesiredUser{{Name: "heavy", Mechanism: SHA256, Iterations: 16384}, {Name: "mid", Mechanism: SHA512, Iterations: 8192}}
	e.apply(t, desired, acl.Scope{}, false)
	actual, _ := e.tc.Admin.DescribeSCRAM(context.Background())
	if actual["heavy"][0].Iterations != 16384 || actual["mid"][0].Iterations != 8192 {
		t.Fatalf("describe %v", actual)
	}
	desired[1].Iterations = 4096
	p := e.apply(t, desired, acl.Scope{}, false)
	if _, u, _ := p.Counts(); u != 1 || p.Changes[0].Reason != "iterations 8192 -> 4096" {
		t.Fatalf("plan %+v", p.Changes)
	}
	// On kfake only the 4096-iteration user can log in (see kfake caveat).
	got := e.verify(t, desired)
	if got["mid"] != StatusOK || got["heavy"] != StatusWrongPassword {
		t.Fatalf("verify %v", got)
	}
}

func TestMechanismChangeKeepsThePasswordAndDropsTheOldCredential(t *testing.T) {
	e := newEnv(t)
	d := DesiredUser{Name: "app", Mechanism: SHA256, Iterations: 4096}
	e.apply(t, []DesiredUser{d}, acl.Scope{}, false)
	pw, _ := e.store.Password("app")
	d.Mechanism = SHA512
	p := e.apply(t, []DesiredUser{d}, acl.Scope{}, false)
	if len(p.Changes) != 1 || p.Changes[0].Reason != "mechanism SCRAM-SHA-256 -> SCRAM-SHA-512" {
		t.Fatalf("plan %+v", p.Changes)
	}
	actual, _ := e.tc.Admin.DescribeSCRAM(context.Background())
	if len(actual["app"]) != 1 || actual["app"][0].Mechanism != SHA512 {
		t.Fatalf("describe %v", actual["app"])
	}
	if now, _ := e.store.Password("app"); now != pw {
		t.Error("password changed by a mechanism change")
	}
	props, _ := os.ReadFile(e.store.PropertiesPath("app"))
	if !strings.Contains(string(props), "sasl.mechanism=SCRAM-SHA-512") {
		t.Errorf("client config not updated:\n%s", props)
	}
	if err := loginWithFile(t, e.store.PropertiesPath("app")); err != nil {
		t.Fatal(err)
	}
}

func TestPruneRemovesOnlyUndeclaredUsersInsideTheScopeAndNeverTheAdmin(t *testing.T) {
	e := newEnv(t)
	extra := []DesiredUser{{Name: "orders-old", Mechanism: SHA512, Iterations: 4096}, {Name: "payments-x", Mechanism: SHA512, Iterations: 4096}}
	e.apply(t, extra, acl.Scope{}, false)
	keep := []DesiredUser{{Name: "orders-api", Mechanism: SHA512, Iterations: 4096}}
	scope := testutil.Scope(t, "User:orders-*", "User:admin")
	p := e.apply(t, keep, scope, true)
	if c, _, r := p.Counts(); c != 1 || r != 1 {
		t.Fatalf("plan %+v", p.Changes)
	}
	actual, _ := e.tc.Admin.DescribeSCRAM(context.Background())
	for u, want := range map[string]bool{"orders-old": false, "payments-x": true, "admin": true, "orders-api": true} {
		if _, ok := actual[u]; ok != want {
			t.Errorf("%s on cluster = %v, want %v", u, ok, want)
		}
	}
	if e.store.Has("orders-old") {
		t.Error("local secret of the removed user kept")
	}
}

func TestProbeTellsAClusterWithoutSCRAMFromAWorkingOne(t *testing.T) {
	// kfake accepts SCRAM handshakes even without EnableSASL, so the refusal
	// is checked with the login outcome a real broker gives (see
	// cluster.TestLoginSCRAMReportsAListenerWithoutTheMechanism).
	cfg := cluster.NewConfig([]string{"127.0.0.1:1"}, cluster.ProtocolSASLSSL, SHA512, "admin", "admin-password-1", nil)
	for _, tc := range []struct {
		login error
		ok    bool
	}{
		{fmt.Errorf("x: %w", cluster.ErrLoginRejected), true},
		{fmt.Errorf("x: %w", cluster.ErrSCRAMNotEnabled), false},
		{errors.New("cannot reach broker"), false},
	} {
		err := ProbeSCRAM(context.Background(), func(_ context.Context, c *cluster.Config) error {
			if !strings.HasPrefix(c.Username, "kafkaguard-probe-") {
				t.Errorf("probe logs in as %s", c.Username)
			}
			return tc.login
		}, cfg, SHA512)
		if (err == nil) != tc.ok {
			t.Errorf("login %v: probe %v", tc.login, err)
		}
		if errors.Is(tc.login, cluster.ErrSCRAMNotEnabled) && !strings.Contains(fmt.Sprint(err), "does not accept SCRAM-SHA-512 logins") {
			t.Errorf("unclear error: %v", err)
		}
	}
}

func TestProbePassesOnKfake(t *testing.T) {
	e := newEnv(t)
	if err := ProbeSCRAM(context.Background(), cluster.LoginSCRAM, e.tc.Config, SHA256); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyPoolResumesSessionsAndReportsEachUser verifies eight users two
// at a time through one TLS session cache: every user's status is what the
// one-at-a-time verification reports (a password changed elsewhere is a
// wrong password), progress counts each login once, and every handshake
// after the pool's first ones resumed a session.
func TestVerifyPoolResumesSessionsAndReportsEachUser(t *testing.T) {
	e := newEnv(t)
	desired := make([]DesiredUser, 8)
	for i, mech := range []string{SHA512, SHA256, SHA512, SHA256, SHA512, SHA256, SHA512, SHA256} {
		desired[i] = DesiredUser{Name: "app-" + strconv.Itoa(i), Mechanism: mech, Iterations: 4096}
	}
	e.apply(t, desired, acl.Scope{}, false)
	cred, _ := Derive(SHA512, "changed-elsewhere-123", 4096)
	if _, err := e.tc.Admin.AlterSCRAM(context.Background(), nil, []cluster.SCRAMUpsert{{User: "app-4", Mechanism: SHA512, Iterations: 4096, Salt: cred.Salt, SaltedPassword: cred.SaltedPassword}}); err != nil {
		t.Fatal(err)
	}
	sessions := cluster.NewLoginSessions()
	var progress []int
	res, err := VerifyUsersProgress(context.Background(), e.tc.Admin, cluster.LoginSCRAM, e.tc.Config, desired, e.store, "admin", VerifyOptions{
		Concurrency: 2, Sessions: sessions,
		Progress: func(done, total int) {
			if total != len(desired) {
				t.Errorf("progress total %d, want %d", total, len(desired))
			}
			progress = append(progress, done)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{1, 2, 3, 4, 5, 6, 7, 8}; !slices.Equal(progress, want) {
		t.Errorf("progress %v, want %v", progress, want)
	}
	one := e.verify(t, desired) // VerifyUsers: the defaults
	for _, r := range res {
		want := StatusOK
		if r.User == "app-4" {
			want = StatusWrongPassword
		}
		if r.Status != want || one[r.User] != want || r.Detail != "" {
			t.Errorf("%s: %q (%q), defaults %q; want %q", r.User, r.Status, r.Detail, one[r.User], want)
		}
	}
	hs, resumed := sessions.Stats()
	if hs < len(desired) || resumed < hs-2 {
		t.Errorf("%d handshakes, %d resumed; want at least %d, all but the pool's first 2 resumed", hs, resumed, len(desired))
	}
}
