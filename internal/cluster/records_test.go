package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/devcluster"
	"github.com/kafkaguard/kafkaguard/internal/scram"
	"github.com/kafkaguard/kafkaguard/internal/testutil"
	"github.com/kafkaguard/kafkaguard/internal/testutil/devtest"
)

// addUser creates a SCRAM-SHA-512 user and returns its configuration.
func addUser(t *testing.T, dc *devcluster.Cluster, admin *cluster.Client, user, password string) *cluster.Config {
	t.Helper()
	cred, err := scram.Derive(scram.SHA512, password, 4096)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := admin.AlterSCRAM(context.Background(), nil, []cluster.SCRAMUpsert{{User: user, Mechanism: scram.SHA512, Iterations: 4096, Salt: cred.Salt, SaltedPassword: cred.SaltedPassword}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	cfg, err := dc.UserConfig(scram.SHA512, user, password)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Timeout = 10 * time.Second
	return cfg
}

func grant(t *testing.T, admin *cluster.Client, bs ...[7]string) {
	t.Helper()
	var bindings []acl.Binding
	for _, b := range bs {
		bindings = append(bindings, testutil.Binding(t, b[0], b[2], b[3], b[4], b[5], b[6]))
	}
	devtest.ACLsDone(t, "create", admin.CreateACLs(context.Background(), bindings))
}

func TestProduceAndConsumeOneMeetTheACLs(t *testing.T) {
	dc := devtest.Start(context.Background(), t)
	admin := dialAdmin(t, dc)
	ctx := context.Background()
	if err := admin.CreateTopic(ctx, "orders", 1); err != nil {
		t.Fatal(err)
	}
	if err := admin.CreateTopic(ctx, "orders", 1); !errors.Is(err, kerr.TopicAlreadyExists) {
		t.Errorf("creating it again: got %v, want TOPIC_ALREADY_EXISTS", err)
	}
	writer := addUser(t, dc, admin, "writer", "writer-password-123")
	reader := addUser(t, dc, admin, "reader", "reader-password-123")
	grant(t, admin,
		[7]string{"User:writer", "*", "TOPIC", "orders", "LITERAL", "WRITE", "ALLOW"},
		[7]string{"User:reader", "*", "TOPIC", "orders", "LITERAL", "READ", "ALLOW"},
		[7]string{"User:reader", "*", "GROUP", "readers", "LITERAL", "READ", "ALLOW"},
	)

	if err := cluster.Produce(ctx, writer, "orders", "hello"); err != nil {
		t.Fatalf("allowed produce: %v", err)
	}
	got, err := cluster.ConsumeOne(ctx, reader, "orders", "readers")
	if err != nil || got != "hello" {
		t.Fatalf("allowed consume: %q, %v", got, err)
	}

	err = cluster.Produce(ctx, reader, "orders", "not mine")
	if !errors.Is(err, cluster.ErrTopicAuthorization) {
		t.Fatalf("denied produce: got %v, want ErrTopicAuthorization", err)
	}
	if name := cluster.KafkaErrorName(err); name != "TOPIC_AUTHORIZATION_FAILED" {
		t.Errorf("KafkaErrorName = %q", name)
	}
	_, err = cluster.ConsumeOne(ctx, reader, "orders", "not-my-group")
	if !errors.Is(err, cluster.ErrGroupAuthorization) {
		t.Fatalf("consume in a group without READ: got %v, want ErrGroupAuthorization", err)
	}
	_, err = cluster.ConsumeOne(ctx, writer, "orders", "readers")
	if !errors.Is(err, cluster.ErrTopicAuthorization) && !errors.Is(err, cluster.ErrGroupAuthorization) {
		t.Fatalf("consume without READ: got %v, want an authorization error", err)
	}
}

func TestIsAuthErrorKnowsRefusedCredentials(t *testing.T) {
	dc := devtest.Start(context.Background(), t)
	cfg, err := dc.UserConfig(scram.SHA512, devcluster.AdminUser, "not-the-password")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Timeout = 5 * time.Second
	_, err = cluster.Dial(context.Background(), cfg)
	if !cluster.IsAuthError(err) {
		t.Errorf("dial with a wrong password: IsAuthError(%v) = false", err)
	}
	if err := cluster.LoginSCRAM(context.Background(), cfg); !cluster.IsAuthError(err) {
		t.Errorf("login with a wrong password: IsAuthError(%v) = false", err)
	}
	for _, err := range []error{
		fmt.Errorf("x: %w", kerr.SaslAuthenticationFailed),
		fmt.Errorf("x: %w", cluster.ErrLoginRejected),
	} {
		if !cluster.IsAuthError(err) {
			t.Errorf("IsAuthError(%v) = false", err)
		}
	}
	for _, err := range []error{nil, errors.New("authentication failed"), fmt.Errorf("x: %w", kerr.TopicAuthorizationFailed)} {
		if cluster.IsAuthError(err) {
			t.Errorf("IsAuthError(%v) = true", err)
		}
	}
}
