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

// DefaultLoginConcurrency is how many logins verify runs at once unless told
// otherwise. A login is 6 network round trips and a few milliseconds of
// client CPU (the salted password's PBKDF2), so its time is mostly the
// network's: 32 logins in flight bring the network's share of 10k logins at
// 10 ms round trips to about 19 s, while the broker sees at most 32
// short-lived connections from the audit, fewer than one busy client
// application opens.
const DefaultLoginConcurrency = 32

// VerifyOptions tune VerifyUsersProgress.
type VerifyOptions struct {
	// Concurrency is how many logins run at once; DefaultLoginConcurrency
	// when zero or less.
	Concurrency int
	// Progress, when set, is called after each login with how many of the
	// logins are done: one call at a time, the last with done == total.
	Progress func(done, total int)
	// Sessions, when set, is the TLS session cache the logins share (and
	// count their handshakes in); a fresh one when nil.
	Sessions *cluster.LoginSessions
}

// VerifyUsers logs in as every desired user with its password from store (a
// real SCRAM handshake each, through login) and reports per user ok, wrong
// password, missing on cluster or no local secret, sorted by user. cfg is
// the admin's connection config: users log in with the same bootstrap
// servers and TLS settings, resuming the TLS sessions of earlier logins. The
// running admin (runningUser), which logs in with the command config, is ok
// without a local secret. An error means verification could not run
// (cluster unreachable, SCRAM not enabled), not that a user failed.
func VerifyUsers(ctx context.Context, admin Admin, login LoginFunc, cfg *cluster.Config, desired []DesiredUser, store *Store, runningUser string) ([]VerifyResult, error) {
	return VerifyUsersProgress(ctx, admin, login, cfg, desired, store, runningUser, VerifyOptions{})
}

// VerifyUsersProgress is VerifyUsers with options: how many logins at once,
// progress, the shared TLS sessions.
func VerifyUsersProgress(ctx context.Context, admin Admin, login LoginFunc, cfg *cluster.Config, desired []DesiredUser, store *Store, runningUser string, o VerifyOptions) ([]VerifyResult, error) {
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
	workers := o.Concurrency
	if workers <= 0 {
		workers = DefaultLoginConcurrency
	}
	sessions := o.Sessions
	if sessions == nil {
		sessions = cluster.NewLoginSessions()
	}
	cfg = sessions.Config(cfg)
	var (
		mu       sync.Mutex
		done     int
		fatal    error
		cctx, cf = context.WithCancel(ctx)
	)
	defer cf()
	parallel(len(jobs), workers, func(k int) {
		if cctx.Err() != nil {
			return // a fatal error or the caller stopped the run: no new login
		}
		j := jobs[k]
		d := desired[j.i]
		err := login(cctx, cfg.WithUser(d.Mechanism, d.Name, j.pw))
		mu.Lock()
		defer mu.Unlock()
		if done++; o.Progress != nil && fatal == nil {
			o.Progress(done, len(jobs))
		}
		switch {
		case err == nil:
			results[j.i].Status = StatusOK
		case errors.Is(err, cluster.ErrLoginRejected):
			results[j.i].Status = StatusWrongPassword
		case fatal == nil:
			fatal = fmt.Errorf("verify user %s: %w", d.Name, err)
			cf()
		}
	})
	if fatal != nil {
		return nil, fatal
	}
	sort.Slice(results, func(i, j int) bool { return results[i].User < results[j].User })
	return results, nil
}
