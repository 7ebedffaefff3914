package scram

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
)

// TestVerifyPoolResumesSessionsAndReportsEachUser verifies eight users two
// at a time through one TLS session cache: every user's status is what the
// one-at-a-time verification reports (a password changed elsewhere is a
// wrong password), progress counts each login once, and every handshake
// after the pool's first ones resumed a session.
func TestVerifyPoolResumesSessionsAndReportsEachUser(t *testing.T) {
	e := newEnv(t)
	var desired []DesiredUser
	for i := range 8 {
		mech := SHA512
		if i%2 == 1 {
			mech = SHA256
		}
		desired = append(desired, DesiredUser{Name: fmt.Sprintf("app-%d", i), Mechanism: mech, Iterations: 4096})
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
