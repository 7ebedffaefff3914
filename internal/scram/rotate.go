package scram

import (
	"context"
	"errors"
	"fmt"

	"github.com/kafkaguard/kafkaguard/internal/cluster"
)

// ErrRotateUnverified says a new password was set but logging in with it
// failed: the old secret files were kept.
var ErrRotateUnverified = errors.New("login with the new password failed")

// Rotator gives users new passwords.
type Rotator struct {
	Admin    Admin
	Login    LoginFunc       // cluster.LoginSCRAM
	Config   *cluster.Config // the admin's connection: users log in like it
	Store    *Store
	Settings ClientSettings
	// NewPassword returns the next password of user; nil generates one.
	NewPassword func(user string) (string, error)
	Log         func(format string, args ...any)
}

// Rotate gives d a new password: upsert, verify the new login works, and only
// then replace the secret files atomically. When the login fails the old
// files stay; if the store held the old password it is set again on the
// cluster (rolled back) and the result says which happened.
func (r *Rotator) Rotate(ctx context.Context, d DesiredUser) Result {
	res := Result{User: d.Name, Action: "rotate"}
	newPW := r.NewPassword
	if newPW == nil {
		newPW = func(string) (string, error) { return GeneratePassword() }
	}
	pw, err := newPW(d.Name)
	if err == nil {
		err = CheckPassword(pw)
	}
	if err != nil {
		res.Err = fmt.Errorf("rotate %s: %w", d.Name, err)
		return res
	}
	if err := r.upsert(ctx, d, pw); err != nil {
		res.Err = fmt.Errorf("rotate %s: %w (nothing changed)", d.Name, err)
		return res
	}
	if lerr := r.Login(ctx, r.Config.WithUser(d.Mechanism, d.Name, pw)); lerr != nil {
		msg := "old secret files kept"
		if old, oerr := r.Store.Password(d.Name); oerr == nil {
			if uerr := r.upsert(ctx, d, old); uerr == nil {
				msg += ", old password set again on the cluster"
			} else {
				msg += fmt.Sprintf(", setting the old password again failed (%v): run rotate again", uerr)
			}
		} else {
			msg += ", the user now has a password nobody knows: fix the cluster and run rotate again"
		}
		res.Err = fmt.Errorf("rotate %s: %w (%v); %s", d.Name, ErrRotateUnverified, lerr, msg)
		return res
	}
	if err := r.Store.Write(d.Name, d.Mechanism, pw, r.Settings); err != nil {
		res.Err = fmt.Errorf("rotate %s: the new password works on the cluster, but storing it failed: %w; run rotate again", d.Name, err)
		return res
	}
	if r.Log != nil {
		r.Log("rotated SCRAM user %s (%s): new login verified", d.Name, d.Mechanism)
	}
	res.Note = "new password in " + r.Store.PasswordPath(d.Name)
	return res
}

func (r *Rotator) upsert(ctx context.Context, d DesiredUser, pw string) error {
	up, err := newUpsert(d.Name, d.Mechanism, d.Iterations, pw)
	if err != nil {
		return err
	}
	res, err := r.Admin.AlterSCRAM(ctx, nil, []cluster.SCRAMUpsert{up})
	if err != nil {
		return err
	}
	for _, x := range res {
		if x.User == d.Name && x.Err != nil {
			return x.Err
		}
	}
	return nil
}
