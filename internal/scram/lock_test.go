package scram

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
)

// Two concurrent applies of the same users (both planned before either
// applied, as two 'users apply' runs started together) leave every user
// verifiable: the store's lock keeps one run's upsert from pairing with the
// other's password file.
func TestConcurrentAppliesLeaveEveryUserVerifiable(t *testing.T) {
	e := newEnv(t)
	var desired []DesiredUser
	for i := range 40 {
		desired = append(desired, DesiredUser{Name: fmt.Sprintf("u%02d", i), Mechanism: SHA256, Iterations: 4096})
	}
	scope, _ := acl.NewScope("User:u*")
	planner := func() *Planner {
		return &Planner{Admin: e.tc.Admin, Login: cluster.LoginSCRAM, Config: e.tc.Config, Desired: desired, Scope: scope, RunningUser: "admin", SecretsDir: e.store.Dir}
	}
	ctx := context.Background()
	var sections []*Section
	for range 2 {
		s, err := planner().PlanSection(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sections = append(sections, s)
	}
	var wg sync.WaitGroup
	for _, s := range sections {
		wg.Go(func() {
			results, err := s.ApplyResults(ctx)
			if err != nil {
				t.Error(err)
			}
			for _, r := range results {
				if r.Err != nil {
					t.Error(r.Err)
				}
			}
		})
	}
	wg.Wait()
	for user, st := range e.verify(t, desired) {
		if st != StatusOK {
			t.Errorf("user %s: %s", user, st)
		}
	}
}

func TestLockWaitsForTheHolderAndGivesUpWithTheContext(t *testing.T) {
	s, err := OpenStore(t.TempDir()+"/s", true)
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := s.Lock(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var waited []string
	if _, err := s.Lock(ctx, func(f string, a ...any) { waited = append(waited, fmt.Sprintf(f, a...)) }); err == nil {
		t.Fatal("a second lock was granted while the first is held")
	}
	if len(waited) != 1 {
		t.Errorf("log = %v, want one waiting line", waited)
	}
	unlock()
	u2, err := s.Lock(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	u2()
}
