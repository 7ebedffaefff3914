package app

import (
	"context"
	"errors"
	"sort"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/importer"
	"github.com/kafkaguard/kafkaguard/internal/scram"
)

// Import reads what exists today, the cluster of client (o.From
// "cluster") or another tool's files (o.Paths), and returns the inventory
// that stands for it, compiled back to exactly the bindings read
// (importer.Import: the parsers and the inference). client is nil for a
// file source. SCRAM user names the users commands could not manage are
// imported as auth: external unless o.ValidSCRAMName says otherwise.
func Import(ctx context.Context, client *cluster.Client, o importer.Options) (*importer.Result, error) {
	if client != nil {
		o.Cluster = clusterSource{client}
	}
	if o.ValidSCRAMName == nil {
		o.ValidSCRAMName = scram.ValidateUserName
	}
	return importer.Import(ctx, o)
}

// clusterSource adapts the cluster client to what import reads.
type clusterSource struct{ c *cluster.Client }

func (s clusterSource) ACLs(ctx context.Context) ([]acl.Binding, error) {
	set, err := s.c.DescribeACLs(ctx)
	if err != nil {
		return nil, err
	}
	return set.Bindings(), nil
}

func (s clusterSource) SCRAMUsers(ctx context.Context) ([]importer.SCRAMUser, error) {
	users, err := s.c.DescribeSCRAM(ctx)
	if err != nil {
		if errors.Is(err, cluster.ErrSCRAMUnsupported) {
			return nil, nil // no SCRAM users to import on a cluster that cannot have them
		}
		return nil, err
	}
	out := make([]importer.SCRAMUser, 0, len(users))
	for name, creds := range users {
		u := importer.SCRAMUser{Name: name}
		for _, c := range creds {
			u.Credentials = append(u.Credentials, importer.SCRAMCredential{Mechanism: c.Mechanism, Iterations: c.Iterations})
		}
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (s clusterSource) ClientQuotas(ctx context.Context) ([]cluster.ClientQuota, error) {
	return s.c.DescribeClientQuotas(ctx)
}
