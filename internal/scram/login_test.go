package scram

import (
	"context"
	"errors"
	"testing"

	"github.com/kafkaguard/kafkaguard/internal/cluster"
)

func TestLoginOutcomesOnKfake(t *testing.T) {
	tc := startCluster(t)
	ctx := context.Background()
	cred, err := Derive(SHA512, "right-password-123", 4096)
	if err != nil {
		t.Fatal(err)
	}
	res, err := tc.Admin.AlterSCRAM(ctx, nil, []cluster.SCRAMUpsert{{User: "alice", Mechanism: SHA512, Iterations: 4096, Salt: cred.Salt, SaltedPassword: cred.SaltedPassword}})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res)
	}
	if err := cluster.LoginSCRAM(ctx, tc.Config.WithUser(SHA512, "alice", "right-password-123")); err != nil {
		t.Fatalf("right password: %v", err)
	}
	err = cluster.LoginSCRAM(ctx, tc.Config.WithUser(SHA512, "alice", "wrong-password-123"))
	if !errors.Is(err, cluster.ErrLoginRejected) {
		t.Fatalf("wrong password: %v", err)
	}
	err = cluster.LoginSCRAM(ctx, tc.Config.WithUser(SHA256, "alice", "right-password-123"))
	t.Logf("other mechanism: %v", err)
	if err := ProbeSCRAM(ctx, cluster.LoginSCRAM, tc.Config, SHA512); err != nil {
		t.Fatalf("probe: %v", err)
	}
	got, err := tc.Admin.DescribeSCRAM(ctx)
	t.Logf("describe: %v %v", got, err)
}
