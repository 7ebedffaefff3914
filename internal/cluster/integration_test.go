package cluster_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/devcluster"
	"github.com/kafkaguard/kafkaguard/internal/testutil"
	"github.com/kafkaguard/kafkaguard/internal/testutil/devtest"
)

func dialAdmin(t testing.TB, dc *devcluster.Cluster) *cluster.Client {
	t.Helper()
	cfg, err := cluster.LoadConfig("", dc.AdminProperties())
	if err != nil {
		t.Fatal(err)
	}
	cl, err := cluster.Dial(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func TestACLsRoundTripThroughTheCluster(t *testing.T) {
	dc := devtest.Start(context.Background(), t)
	cl := dialAdmin(t, dc)
	ctx := context.Background()
	if got := cl.Principal(); got != "User:admin" {
		t.Errorf("principal = %q", got)
	}
	before, err := cl.DescribeACLs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if before.Len() != 0 {
		t.Fatalf("new cluster has %d ACLs", before.Len())
	}
	want := acl.NewSet(
		testutil.Binding(t, "User:a", "TOPIC", "orders", "LITERAL", "WRITE", "ALLOW"),
		testutil.Binding(t, "User:a", "TOPIC", "pay", "PREFIXED", "READ", "DENY"),
		testutil.Binding(t, "User:b", "GROUP", "g", "LITERAL", "READ", "ALLOW"),
		testutil.Binding(t, "User:b", "CLUSTER", "kafka-cluster", "LITERAL", "DESCRIBE", "ALLOW"),
		testutil.Binding(t, "User:*", "TRANSACTIONAL_ID", "*", "LITERAL", "DESCRIBE", "ALLOW"),
	)
	cl.BatchSize = 2 // three requests
	for _, r := range cl.CreateACLs(ctx, want.Bindings()) {
		if r.Err != nil {
			t.Errorf("create %s: %v", r.Binding, r.Err)
		}
	}
	got, err := cl.DescribeACLs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(want) {
		t.Fatalf("described %v, want %v", got.Bindings(), want.Bindings())
	}
	del := want.Bindings()[:2]
	for _, r := range cl.DeleteACLs(ctx, del) {
		if r.Err != nil {
			t.Errorf("delete %s: %v", r.Binding, r.Err)
		}
	}
	got, _ = cl.DescribeACLs(ctx)
	if !got.Equal(want.Minus(acl.NewSet(del...))) {
		t.Fatalf("after delete: %v", got.Bindings())
	}
	// Deleting what is already gone succeeds (re-runs converge).
	for _, r := range cl.DeleteACLs(ctx, del) {
		if r.Err != nil {
			t.Errorf("second delete %s: %v", r.Binding, r.Err)
		}
	}
}

func TestDialErrorsSayWhatWentWrong(t *testing.T) {
	dc := devtest.Start(context.Background(), t)
	props, err := os.ReadFile(dc.AdminProperties())
	if err != nil {
		t.Fatal(err)
	}
	adminCfg, _ := cluster.LoadConfig("", dc.AdminProperties())
	password := adminCfg.Password()

	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	deadAddr := ln.Addr().String()
	ln.Close()

	otherCA := t.TempDir()
	other, err := devcluster.Start(context.Background(), devcluster.Options{Dir: otherCA})
	if err != nil {
		t.Fatal(err)
	}
	other.Close()

	tests := []struct {
		name    string
		edit    func(string) string
		want    string
		wantErr error
	}{
		{"wrong password", func(s string) string { return strings.Replace(s, password, "not-the-password", 1) }, "authentication failed at", cluster.ErrAuthenticationFailed}, // kfake closes the connection instead of answering SASL_AUTHENTICATION_FAILED
		{"unknown CA", func(s string) string { return strings.Replace(s, dc.CAPath(), other.CAPath(), 1) }, "TLS verification of broker", nil},
		{"unreachable", func(s string) string { return strings.Replace(s, dc.Addr(), deadAddr, 1) }, "cannot reach broker " + deadAddr, nil},
		{"plaintext to a TLS listener", func(s string) string { return strings.Replace(s, "SASL_SSL", "SASL_PLAINTEXT", 1) }, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "c.properties")
			os.WriteFile(p, []byte(tt.edit(string(props))), 0o600)
			cfg, err := cluster.LoadConfig("", p)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Timeout = 3 * time.Second
			_, err = cluster.Dial(context.Background(), cfg)
			if err == nil {
				t.Fatal("dial succeeded")
			}
			t.Logf("error: %v", err)
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), password) {
				t.Error("error contains the password")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("errors.Is(%v) = false", tt.wantErr)
			}
		})
	}
}

// A broker that accepts connections and never answers: Dial reports the
// timeout, every time, not the "client closed" of its own Close.
func TestDialTimeoutSaysTimedOut(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := testutil.Serve(t, ln, func(net.Conn) {}) // accepts and never answers
	cfg, err := cluster.LoadConfig(addr, "")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Timeout = 200 * time.Millisecond
	for i := 0; i < 8; i++ {
		_, err := cluster.Dial(context.Background(), cfg)
		if err == nil {
			t.Fatal("dial succeeded")
		}
		if want := "no answer from " + addr + ": timed out after 200ms"; !strings.Contains(err.Error(), want) {
			t.Fatalf("attempt %d: err = %v, want %q", i, err, want)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("errors.Is(err, context.DeadlineExceeded) = false: %v", err)
		}
	}
}
