package cluster_test

import (
	"context"
	"crypto/tls"
	"errors"
	"strings"
	"testing"

	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/scram"
	"github.com/kafkaguard/kafkaguard/internal/testutil/devtest"
)

// TestLoginsResumeTLSSessions logs in three times through one LoginSessions
// with TLS 1.3 and with TLS 1.2: the first login's handshake is full, the
// next ones resume (ConnectionState.DidResume on the client side), and a
// wrong password is refused exactly as without resumption.
func TestLoginsResumeTLSSessions(t *testing.T) {
	dc := devtest.Start(context.Background(), t)
	admin := dialAdmin(t, dc)
	ctx := context.Background()
	const pw = "alice-password-Qw3rty9"
	cred, err := scram.Derive(scram.SHA512, pw, 4096)
	if err != nil {
		t.Fatal(err)
	}
	res, err := admin.AlterSCRAM(ctx, nil, []cluster.SCRAMUpsert{{User: "alice", Mechanism: scram.SHA512, Iterations: 4096, Salt: cred.Salt, SaltedPassword: cred.SaltedPassword}})
	if err != nil || len(res) != 1 || res[0].Err != nil {
		t.Fatalf("create alice: %v %+v", err, res)
	}
	for _, tc := range []struct {
		name    string
		version uint16
	}{{"TLS1.3", tls.VersionTLS13}, {"TLS1.2", tls.VersionTLS12}} {
		t.Run(tc.name, func(t *testing.T) {
			base := *admin.Config()
			base.TLS = base.TLS.Clone()
			base.TLS.MaxVersion = tc.version
			sessions := cluster.NewLoginSessions()
			cfg := sessions.Config(&base)
			for i := range 3 {
				if err := cluster.LoginSCRAM(ctx, cfg.WithUser(scram.SHA512, "alice", pw)); err != nil {
					t.Fatalf("login %d: %v", i, err)
				}
			}
			if hs, resumed := sessions.Stats(); hs != 3 || resumed != 2 {
				t.Fatalf("handshakes %d, resumed %d; want 3 and 2", hs, resumed)
			}
			// The cache the logins filled resumes a plain TLS connection too.
			conn, err := tls.Dial("tcp", dc.Addr(), cfg.TLS)
			if err != nil {
				t.Fatal(err)
			}
			st := conn.ConnectionState()
			conn.Close()
			if !st.DidResume || st.Version != tc.version {
				t.Fatalf("plain dial: resumed %v, version %x; want a resumed %x", st.DidResume, st.Version, tc.version)
			}
			if base.TLS.ClientSessionCache != nil {
				t.Fatal("LoginSessions.Config changed the config it copied")
			}

			// A wrong password: rejected, worded as without sessions.
			wrong := cluster.LoginSCRAM(ctx, cfg.WithUser(scram.SHA512, "alice", "not-the-password-123"))
			plain := cluster.LoginSCRAM(ctx, base.WithUser(scram.SHA512, "alice", "not-the-password-123"))
			if !errors.Is(wrong, cluster.ErrLoginRejected) || !errors.Is(plain, cluster.ErrLoginRejected) {
				t.Fatalf("wrong password: %v / %v; want ErrLoginRejected", wrong, plain)
			}
			if wrong.Error() != plain.Error() {
				t.Fatalf("with sessions %q, without %q", wrong, plain)
			}
			if strings.Contains(wrong.Error(), "not-the-password") {
				t.Fatalf("error holds the password: %v", wrong)
			}
			// Three logins, the plain dial (its config is the logins') and
			// the wrong password's login: all but the first resumed.
			if hs, resumed := sessions.Stats(); hs != 5 || resumed != 4 {
				t.Fatalf("after the wrong password: handshakes %d, resumed %d; want 5 and 4", hs, resumed)
			}
		})
	}
}
