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
	dc, err := devcluster.Start(ctx, devcluster.Options{Dir: tb.TempDir()})
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
