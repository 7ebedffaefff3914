package devcluster_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/devcluster"
)

func TestStartWritesASecretAdminPropertiesThatConnects(t *testing.T) {
	dir := t.TempDir()
	dc, err := devcluster.Start(context.Background(), devcluster.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()

	fi, err := os.Stat(dc.AdminProperties())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("admin.properties mode %v, want 0600", fi.Mode().Perm())
	}
	if dc.AdminProperties() != filepath.Join(dir, "admin.properties") || dc.CAPath() != filepath.Join(dir, "ca.pem") {
		t.Errorf("paths %s %s", dc.AdminProperties(), dc.CAPath())
	}
	if host, _, _ := net.SplitHostPort(dc.Addr()); host != "127.0.0.1" {
		t.Errorf("addr %s, want 127.0.0.1:port", dc.Addr())
	}
	cfg, err := cluster.LoadConfig("", dc.AdminProperties())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SecurityProtocol != "SASL_SSL" || cfg.SASLMechanism != "SCRAM-SHA-512" || cfg.Username != "admin" || cfg.Bootstrap[0] != dc.Addr() {
		t.Fatalf("admin config %s", cfg)
	}
	if n := len(cfg.Password()); n < 22 { // 128 bits in base64url
		t.Errorf("admin password has %d characters", n)
	}
	cl, err := cluster.Dial(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	// ACLs are enforced: the admin is a super user, so it can create them.
	b, _ := acl.FromStrings("User:x", "*", "TOPIC", "t", "LITERAL", "READ", "ALLOW")
	if r := cl.CreateACLs(context.Background(), []acl.Binding{b}); r[0].Err != nil {
		t.Fatal(r[0].Err)
	}
}

func TestUnknownUsersAndPlaintextAreRefused(t *testing.T) {
	dc, err := devcluster.Start(context.Background(), devcluster.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	cfg, err := dc.UserConfig(cluster.MechanismSCRAMSHA512, "nobody", "guess")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Timeout = 3 * time.Second
	if _, err := cluster.Dial(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "authentication failed") {
		t.Fatalf("unknown user: err = %v", err)
	}
	plain := cluster.NewConfig([]string{dc.Addr()}, cluster.ProtocolPlaintext, "", "", "", nil)
	plain.Timeout = 3 * time.Second
	if _, err := cluster.Dial(context.Background(), plain); err == nil {
		t.Fatal("plaintext connection accepted")
	}
}

func TestRestartKeepsCAAndAdminPasswordAndData(t *testing.T) {
	dir, data := t.TempDir(), t.TempDir()
	ctx := context.Background()
	dc, err := devcluster.Start(ctx, devcluster.Options{Dir: dir, DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	ca1, _ := os.ReadFile(dc.CAPath())
	cfg1, _ := dc.AdminConfig()
	cl, err := cluster.Dial(ctx, cfg1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := acl.FromStrings("User:x", "*", "GROUP", "g", "PREFIXED", "READ", "ALLOW")
	if r := cl.CreateACLs(ctx, []acl.Binding{b}); r[0].Err != nil {
		t.Fatal(r[0].Err)
	}
	cl.Close()
	dc.Close()

	dc2, err := devcluster.Start(ctx, devcluster.Options{Dir: dir, DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer dc2.Close()
	ca2, _ := os.ReadFile(dc2.CAPath())
	cfg2, _ := dc2.AdminConfig()
	if string(ca1) != string(ca2) {
		t.Error("restart replaced the CA")
	}
	if cfg1.Password() != cfg2.Password() {
		t.Error("restart changed the admin password")
	}
	cl2, err := cluster.Dial(ctx, cfg2)
	if err != nil {
		t.Fatal(err)
	}
	defer cl2.Close()
	got, err := cl2.DescribeACLs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Contains(b) {
		t.Errorf("ACLs after restart: %v", got.Bindings())
	}
}

func TestFranzGoClientsProduceAndConsumeAsAdmin(t *testing.T) {
	dc, err := devcluster.Start(context.Background(), devcluster.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	cfg, _ := dc.AdminConfig()
	opts, err := cluster.NewClientOpts(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(append(opts, kgo.AllowAutoTopicCreation(), kgo.ConsumeTopics("t"))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "t", Value: []byte("hello")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	for {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatal(err)
		}
		if fs.NumRecords() > 0 {
			if v := string(fs.Records()[0].Value); v != "hello" {
				t.Fatalf("consumed %q", v)
			}
			return
		}
	}
}
