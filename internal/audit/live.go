package audit

// The live adapters: what a connected cluster (internal/app's Audit) gives
// the checks.

import (
	"context"

	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/scram"
)

// LiveSCRAM is the SCRAMDescriber of a connected cluster.
func LiveSCRAM(c *cluster.Client) SCRAMDescriber { return liveSCRAM{c} }

// liveSCRAM adapts cluster.Client to SCRAMDescriber.
type liveSCRAM struct{ c *cluster.Client }

func (l liveSCRAM) DescribeSCRAM(ctx context.Context) ([]SCRAMCredential, error) {
	m, err := l.c.DescribeSCRAM(ctx)
	if err != nil {
		return nil, err
	}
	var out []SCRAMCredential
	for u, infos := range m {
		for _, i := range infos {
			out = append(out, SCRAMCredential{User: u, Mechanism: i.Mechanism, Iterations: i.Iterations})
		}
	}
	return out, nil
}

// LiveLogins is the LoginVerifier of a connected cluster: a real SCRAM login
// as each user with the password of store, o.Concurrency at a time,
// resuming TLS sessions (scram.VerifyUsersProgress).
func LiveLogins(c *cluster.Client, store *scram.Store, o scram.VerifyOptions) LoginVerifier {
	return liveLogins{client: c, cfg: c.Config(), store: store, opts: o}
}

// liveLogins adapts scram.VerifyUsers to LoginVerifier.
type liveLogins struct {
	client *cluster.Client
	cfg    *cluster.Config
	store  *scram.Store
	opts   scram.VerifyOptions
}

func (l liveLogins) VerifyLogins(ctx context.Context, users []scram.DesiredUser) ([]LoginResult, error) {
	return scram.VerifyUsersProgress(ctx, l.client, cluster.LoginSCRAM, l.cfg, users, l.store, l.client.UserName(), l.opts)
}
