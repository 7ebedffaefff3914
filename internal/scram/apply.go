package scram

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/fsutil"
)

// Admin is what the users applier needs of a cluster connection
// (*cluster.Client); tests use a fake.
type Admin interface {
	DescribeSCRAM(ctx context.Context) (map[string][]cluster.SCRAMCredentialInfo, error)
	AlterSCRAM(ctx context.Context, del []cluster.SCRAMDeletion, up []cluster.SCRAMUpsert) ([]cluster.SCRAMResult, error)
}

// LoginFunc logs in as cfg's SCRAM user (cluster.LoginSCRAM).
type LoginFunc func(ctx context.Context, cfg *cluster.Config) error

// BatchSize is how many users one AlterUserScramCredentials request carries.
const BatchSize = 500

// Result is the outcome of one user change (apply, rotate).
type Result struct {
	User   string `json:"user"`
	Action string `json:"action"`
	Err    error  `json:"-"`
	Note   string `json:"note,omitempty"`
}

// Status is "ok", "failed", or "unknown" when the request got no answer
// (cluster.ErrNoAnswer): the cluster may hold the change.
func (r Result) Status() string {
	switch {
	case r.Err == nil:
		return "ok"
	case errors.Is(r.Err, cluster.ErrNoAnswer):
		return "unknown"
	}
	return "failed"
}

// Applier applies a users plan: upserts (with salted credentials derived
// here), deletions, and the secrets store kept in step.
type Applier struct {
	Admin    Admin
	Store    *Store
	Settings ClientSettings // for the client configs written per user
	Log      io.Writer      // progress lines (never secrets); nil = none
	// Batch is how many users one request carries; BatchSize when 0.
	Batch int
	// Workers is how many credentials are derived at once;
	// runtime.GOMAXPROCS(0) when 0.
	Workers int

	// syncFiles makes the content of a batch's staged files durable
	// (fsutil.Staging.Sync when nil), syncDir its renames (fsutil.SyncDir
	// when nil); tests make them fail, or crash, between the steps.
	syncFiles func(dir string) error
	syncDir   func(dir string) error
}

func (a *Applier) batch() int {
	if a.Batch > 0 {
		return a.Batch
	}
	return BatchSize
}

func (a *Applier) logf(format string, args ...any) {
	if a.Log != nil {
		fmt.Fprintf(a.Log, "kafkaguard: "+format+"\n", args...)
	}
}

// passwordFor returns the stored password of user, or a new one (fresh).
// A stored file that cannot be used is an error, never silently replaced.
func passwordFor(store *Store, user string) (pw string, fresh bool, err error) {
	pw, err = store.Password(user)
	if err == nil {
		return pw, false, nil
	}
	if !errors.Is(err, ErrNoSecret) {
		return "", false, err
	}
	pw, err = GeneratePassword()
	return pw, true, err
}

// Apply carries out p's changes: first every upsert (creates, and updates
// that rewrite a credential) in batches, then every deletion (stale
// mechanisms of updated users, removed users), so a user changing mechanism
// always has a credential. A password the store holds is reused (so a
// person may drop NAME.password in place before apply); otherwise a new one
// is generated and stored, with both client configs, before the upsert, and
// removed again (or the older configs put back) when the upsert fails; a
// repair rewrites missing client configs without touching the cluster.
// Results are per change, in plan order; one failure never hides another.
//
// Each batch is readied before its request (prepare): its credentials are
// derived on every core (the next batches' while this one is written and
// sent) and its files written to temporary files, whose content one sync
// makes durable before they are renamed into place, and one fsync of the
// store directory makes the renames durable; only then is the request
// sent. So a kill at any point leaves every user the cluster may hold with
// its files on disk, no final name with a torn file, and files of users
// never sent are what a re-run reuses or rewrites.
//
// When ctx ends (Ctrl-C) it stops before the next request: the request in
// flight runs to its end (without ctx's cancellation, within the client's
// timeout), the passwords generated for changes never sent are removed
// again, and only the changes tried have results.
//
// A request that gets no answer (cluster.ErrNoAnswer) stops it the same way
// after that request: its users' results carry the error (their outcome is
// unknown, so their passwords and configs stay), nothing later is sent.
func (a *Applier) Apply(ctx context.Context, p UserPlan) []Result {
	inFlight := context.WithoutCancel(ctx)
	tried := make([]bool, len(p.Changes))
	results := make([]Result, len(p.Changes))
	var upserts, repairs []int // indexes of the changes, in plan order
	for i, c := range p.Changes {
		results[i] = Result{User: c.User, Action: c.Action}
		switch {
		case c.Action == ActionRepair:
			repairs = append(repairs, i)
			tried[i] = true
		case c.Upsert:
			upserts = append(upserts, i)
		default:
			tried[i] = true // deletions only: the done filters below judge them
		}
	}
	a.repairAll(p, repairs, results)
	var batches [][]int
	for start := 0; start < len(upserts); start += a.batch() {
		batches = append(batches, upserts[start:min(start+a.batch(), len(upserts))])
	}
	derivations := a.newDeriver(ctx, p, batches)
	defer derivations.stop()
	for b, batch := range batches {
		if ctx.Err() != nil {
			return triedResults(results, tried, nil) // nothing of the rest was written
		}
		ready := a.prepare(ctx, p, batch, derivations.derived(b), derivations.taken, results)
		for _, i := range batch {
			tried[i] = results[i].Err != nil // could not be readied: settled
		}
		if ctx.Err() != nil {
			for _, u := range ready {
				a.undo(p.Changes[u.i].User, u) // never sent
			}
			return triedResults(results, tried, nil)
		}
		if len(ready) == 0 {
			continue
		}
		req := make([]cluster.SCRAMUpsert, len(ready))
		for k, u := range ready {
			req[k] = u.up
		}
		res, reqErr := a.Admin.AlterSCRAM(inFlight, nil, req)
		userErr := batchErrors(res, reqErr)
		for _, u := range ready {
			tried[u.i] = true
			c := p.Changes[u.i]
			if uerr := userErr(c.User); uerr != nil {
				results[u.i].Err = fmt.Errorf("%s user %s: %w", c.Action, c.User, uerr)
				if !errors.Is(uerr, cluster.ErrNoAnswer) {
					a.undo(c.User, u) // refused: the cluster does not use the new files
				} // no answer: the cluster may hold the credential, so its password stays
				continue
			}
			if u.fresh {
				results[u.i].Note = "new password in " + a.Store.PasswordPath(c.User)
			}
			a.logf("%sd SCRAM user %s (%s, %d iterations)", c.Action, c.User, c.Mechanism, c.Iterations)
		}
		if errors.Is(reqErr, cluster.ErrNoAnswer) {
			return triedResults(results, tried, func(i int) bool { return len(p.Changes[i].Delete) == 0 })
		}
	}
	// Deletions, for changes whose upsert (if any) succeeded.
	var dels []cluster.SCRAMDeletion
	owner := map[string]int{}
	for i, c := range p.Changes {
		if len(c.Delete) == 0 || results[i].Err != nil {
			continue
		}
		owner[c.User] = i
		for _, m := range c.Delete {
			dels = append(dels, cluster.SCRAMDeletion{User: c.User, Mechanism: m})
		}
	}
	deleted := map[string]bool{}
	for start, end := 0, 0; start < len(dels); start = end {
		end = min(start+a.batch(), len(dels))
		// keep a user's deletions in one request (the next one starts after them)
		for end < len(dels) && dels[end].User == dels[end-1].User {
			end++
		}
		if ctx.Err() != nil {
			return triedResults(results, tried, func(i int) bool { return !deletesPending(p.Changes[i], deleted) })
		}
		for _, d := range dels[start:end] {
			deleted[d.User] = true
		}
		res, reqErr := a.Admin.AlterSCRAM(inFlight, dels[start:end], nil)
		userErr := batchErrors(res, reqErr)
		done := map[string]bool{}
		for _, d := range dels[start:end] {
			if done[d.User] {
				continue
			}
			done[d.User] = true
			i := owner[d.User]
			c := p.Changes[i]
			if uerr := userErr(d.User); uerr != nil {
				results[i].Err = fmt.Errorf("%s user %s: delete %v credential: %w", c.Action, c.User, c.Delete, uerr)
				continue
			}
			switch c.Action {
			case ActionRemove:
				if err := a.Store.Remove(c.User); err != nil {
					results[i].Err = fmt.Errorf("user %s was removed from the cluster, but not its local secret: %w", c.User, err)
					continue
				}
				a.logf("removed SCRAM user %s", c.User)
			case ActionUpdate:
				if !c.Upsert && a.Store.Has(c.User) {
					if pw, err := a.Store.Password(c.User); err == nil {
						if err := a.Store.WriteClientConfigs(c.User, c.Mechanism, pw, a.Settings); err != nil {
							results[i].Err = fmt.Errorf("user %s was updated, but its client configs were not written: %w", c.User, err)
							continue
						}
					}
				}
				a.logf("deleted %v credential of SCRAM user %s", c.Delete, c.User)
			}
		}
		if errors.Is(reqErr, cluster.ErrNoAnswer) {
			return triedResults(results, tried, func(i int) bool { return !deletesPending(p.Changes[i], deleted) })
		}
	}
	return results
}

// configSnapshot is the content of a user's client config files before an
// apply rewrote them (nil: the file did not exist), to put back when the
// upsert they were written for is never sent or fails.
type configSnapshot map[string][]byte

func snapshotConfigs(store *Store, user string) configSnapshot {
	snap := configSnapshot{}
	if ValidateUserName(user) != nil {
		return snap
	}
	for _, path := range []string{store.PropertiesPath(user), store.LibrdkafkaPath(user)} {
		data, err := fsutil.ReadSecretFile(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			snap[path] = nil
		case err == nil:
			snap[path] = data
		} // unreadable: left as the apply leaves it
	}
	return snap
}

// restore writes the snapshot back (atomically, 0600), removing the files
// that did not exist.
func (s configSnapshot) restore() {
	for path, data := range s {
		if data == nil {
			_ = os.Remove(path)
			continue
		}
		_ = fsutil.WriteFileAtomic(path, data, fsutil.SecretPerm)
	}
}

// deletesPending reports whether c still has deletions that were not sent.
func deletesPending(c UserChange, deleted map[string]bool) bool {
	return len(c.Delete) > 0 && !deleted[c.User]
}

// triedResults are the results of the changes tried (and, when done is not
// nil, whose every request was sent), in plan order.
func triedResults(results []Result, tried []bool, done func(i int) bool) []Result {
	var out []Result
	for i, r := range results {
		if tried[i] && (done == nil || r.Err != nil || done(i)) {
			out = append(out, r)
		}
	}
	return out
}

// newUpsert salts pw for user's credential with mechanism and iterations
// (Derive): the upsert AlterSCRAM sends.
func newUpsert(user, mechanism string, iterations int, pw string) (cluster.SCRAMUpsert, error) {
	cred, err := Derive(mechanism, pw, iterations)
	if err != nil {
		return cluster.SCRAMUpsert{}, err
	}
	return cluster.SCRAMUpsert{User: user, Mechanism: mechanism, Iterations: iterations, Salt: cred.Salt, SaltedPassword: cred.SaltedPassword}, nil
}

// batchErrors turns the answer to one AlterSCRAM request into each user's
// outcome: the request's error for every user when it failed, else the
// user's own result, and an error for a user the cluster did not answer for.
func batchErrors(res []cluster.SCRAMResult, err error) func(user string) error {
	errs := make(map[string]error, len(res))
	for _, r := range res {
		errs[r.User] = r.Err
	}
	return func(user string) error {
		if err != nil {
			return err
		}
		if uerr, ok := errs[user]; ok {
			return uerr
		}
		return errors.New("the cluster did not answer for this user")
	}
}

// Precheck refuses a plan whose upserts would use a password file of the
// store that cannot be used (empty, unreadable, too loose), before anything
// is changed: bad input is one error, not a half-applied plan.
func Precheck(p UserPlan, store *Store) error {
	for _, c := range p.Changes {
		if !c.Upsert || !store.Has(c.User) {
			continue
		}
		if _, err := store.Password(c.User); err != nil {
			return err
		}
	}
	return nil
}

// ProbeSCRAM checks that the cluster accepts logins with mechanism, by
// logging in as a random user that does not exist with a random password:
// a rejected login means the mechanism is enabled. It writes nothing, so a
// cluster without SCRAM is found before any secret file is written.
func ProbeSCRAM(ctx context.Context, login LoginFunc, cfg *cluster.Config, mechanism string) error {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	pw, err := GeneratePassword()
	if err != nil {
		return err
	}
	err = login(ctx, cfg.WithUser(mechanism, "kafkaguard-probe-"+hex.EncodeToString(b), pw))
	switch {
	case err == nil, errors.Is(err, cluster.ErrLoginRejected):
		return nil
	case errors.Is(err, cluster.ErrSCRAMNotEnabled):
		return fmt.Errorf("the cluster does not accept %s logins (enable it in sasl.enabled.mechanisms of a SASL listener): %w", mechanism, err)
	}
	return fmt.Errorf("check that the cluster accepts %s logins: %w", mechanism, err)
}
