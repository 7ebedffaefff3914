package scram

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/kafkaguard/kafkaguard/internal/cluster"
)

// LoginStatus is the outcome of logging in as a user with its stored
// password; 'users verify' and the audit both read it as it is.
type LoginStatus string

// Verification statuses.
const (
	StatusOK            LoginStatus = "ok"
	StatusWrongPassword LoginStatus = "wrong password"     // the stored password does not log in: changed elsewhere
	StatusMissing       LoginStatus = "missing on cluster" // no credential for the declared mechanism
	StatusNoSecret      LoginStatus = "no stored password" // the store holds no (usable) password, e.g. an imported user
	StatusError         LoginStatus = "error"              // the login failed for another reason (Detail says which)
)

// VerifyResult is the verification of one declared SCRAM user.
type VerifyResult struct {
	User      string      `json:"user"`
	Mechanism string      `json:"mechanism"`
	Status    LoginStatus `json:"status"`
	Detail    string      `json:"detail,omitempty"`
}

// OK reports whether the user logged in with its stored password.
func (r VerifyResult) OK() bool { return r.Status == StatusOK }

// VerifyConcurrency bounds the logins verify runs at once.
const VerifyConcurrency = 4

// VerifyUsers logs in as every desired user with its password from store (a
// real SCRAM handshake and one Metadata request each, through login) and
// reports per user ok, wrong password, missing on cluster or no local secret,
// sorted by user. cfg is the admin's connection config: users log in with the
// same bootstrap servers and TLS settings. The running admin (runningUser),
// which logs in with the command config, is ok without a local secret. An
// error means verification could not run (cluster unreachable, SCRAM not
// enabled), not that a user failed.
func VerifyUsers(ctx context.Context, admin Admin, login LoginFunc, cfg *cluster.Config, desired []DesiredUser, store *Store, runningUser string) ([]VerifyResult, error) {
	return VerifyUsersProgress(ctx, admin, login, cfg, desired, store, runningUser, nil)
}

// VerifyUsersProgress is VerifyUsers that calls progress (when not nil)
// after each login with how many of the logins are done: one call at a
// time, the last with done == total.
func VerifyUsersProgress(ctx context.Context, admin Admin, login LoginFunc, cfg *cluster.Config, desired []DesiredUser, store *Store, runningUser string, progress func(done, total int)) ([]VerifyResult, error) {
	actual, err := admin.DescribeSCRAM(ctx)
	if err != nil {
		return nil, err
	}
	results := make([]VerifyResult, len(desired))
	type job struct {
		i  int
		pw string
	}
	var jobs []job
	for i, d := range desired {
		r := VerifyResult{User: d.Name, Mechanism: d.Mechanism}
		has := false
		var others []string
		for _, c := range actual[d.Name] {
			if c.Mechanism == d.Mechanism {
				has = true
			} else {
				others = append(others, c.Mechanism)
			}
		}
		switch {
		case !has:
			r.Status = StatusMissing
			if len(others) > 0 {
				r.Detail = "the cluster has only " + strings.Join(others, ", ")
			}
		default:
			pw, perr := store.Password(d.Name)
			switch {
			case perr == nil:
				jobs = append(jobs, job{i: i, pw: pw})
			case d.Name == runningUser && errors.Is(perr, ErrNoSecret):
				r.Status, r.Detail = StatusOK, "the running admin, logged in with the command config"
			case errors.Is(perr, ErrNoSecret):
				r.Status = StatusNoSecret
			default:
				r.Status, r.Detail = StatusNoSecret, perr.Error()
			}
		}
		results[i] = r
	}
	var (
		mu       sync.Mutex
		done     int
		fatal    error
		wg       sync.WaitGroup
		sem      = make(chan struct{}, VerifyConcurrency)
		cctx, cf = context.WithCancel(ctx)
	)
	defer cf()
	for _, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func(j job) {
			defer wg.Done()
			defer func() { <-sem }()
			d := desired[j.i]
			err := login(cctx, cfg.WithUser(d.Mechanism, d.Name, j.pw))
			mu.Lock()
			defer mu.Unlock()
			if done++; progress != nil && fatal == nil {
				progress(done, len(jobs))
			}
			switch {
			case err == nil:
				results[j.i].Status = StatusOK
			case errors.Is(err, cluster.ErrLoginRejected):
				results[j.i].Status = StatusWrongPassword
			default:
				if fatal == nil {
					fatal = fmt.Errorf("verify user %s: %w", d.Name, err)
					cf()
				}
			}
		}(j)
	}
	wg.Wait()
	if fatal != nil {
		return nil, fatal
	}
	sort.Slice(results, func(i, j int) bool { return results[i].User < results[j].User })
	return results, nil
}
