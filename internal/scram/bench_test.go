package scram

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
)

// BenchmarkApplyAndVerify50Users creates 50 SCRAM users on kfake (TLS,
// SCRAM-SHA-512 admin) and then logs in as each: one iteration is one full
// apply and one full verify.
func BenchmarkApplyAndVerify50Users(b *testing.B) {
	const n = 50
	tc := startCluster(b)
	cs, err := ClientSettingsFrom(tc.Config)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var logins, users int
	for i := 0; b.Loop(); i++ {
		store, err := OpenStore(filepath.Join(b.TempDir(), "s"), true)
		if err != nil {
			b.Fatal(err)
		}
		desired := make([]DesiredUser, n)
		for j := range desired {
			desired[j] = DesiredUser{Name: fmt.Sprintf("bench-%d-%d", i, j), Mechanism: SHA512, Iterations: 4096}
		}
		p := PlanUsers(desired, map[string][]cluster.SCRAMCredentialInfo{}, acl.Scope{}, false, "admin")
		for _, r := range (&Applier{Admin: tc.Admin, Store: store, Settings: cs}).Apply(ctx, p) {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
		res, err := VerifyUsers(ctx, tc.Admin, cluster.LoginSCRAM, tc.Config, desired, store, "admin")
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range res {
			if !r.OK() {
				b.Fatalf("%s: %s", r.User, r.Status)
			}
		}
		logins += len(res)
		users += n
	}
	b.ReportMetric(float64(users)/b.Elapsed().Seconds(), "users/s")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(logins), "ms/user")
}
