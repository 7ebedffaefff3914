// Package devtest holds test helpers that talk to a dev cluster. It is apart
// from testutil because it imports internal/cluster, whose own in-package
// tests import testutil.
package devtest

import (
	"context"
	"testing"

	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/devcluster"
)

// Start starts a dev cluster in a temporary directory, closed when tb's test
// ends, and fails tb when it cannot.
func Start(ctx context.Context, tb testing.TB) *devcluster.Cluster {
	tb.Helper()
	return StartWith(ctx, tb, devcluster.Options{})
}

// StartWith is Start with opts (in a fresh temporary directory when
// opts.Dir is empty): a data directory, a fixed address, a CA.
func StartWith(ctx context.Context, tb testing.TB, opts devcluster.Options) *devcluster.Cluster {
	tb.Helper()
	if opts.Dir == "" {
		opts.Dir = tb.TempDir()
	}
	dc, err := devcluster.Start(ctx, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { dc.Close() })
	return dc
}

// DialAdmin dials dc with its admin configuration (TLS + SCRAM superuser)
// and fails tb when it cannot. Closing the client is the caller's: some
// tests close it before the cluster, some at cleanup.
func DialAdmin(ctx context.Context, tb testing.TB, dc *devcluster.Cluster) *cluster.Client {
	tb.Helper()
	cfg, err := dc.AdminConfig()
	if err != nil {
		tb.Fatal(err)
	}
	cl, err := cluster.Dial(ctx, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return cl
}

// ACLsDone fails tb at the first of rs the cluster refused, naming what the
// test did ("seed", "drift") and the binding: for ACLs a test creates or
// deletes as its setup, not for the calls under test.
func ACLsDone(tb testing.TB, what string, rs []cluster.ACLResult) {
	tb.Helper()
	for _, r := range rs {
		if r.Err != nil {
			tb.Fatalf("%s %s: %v", what, r.Binding, r.Err)
		}
	}
}
