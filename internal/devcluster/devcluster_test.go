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
	dc, err := devcluster.Start(context.Background(), devcluster.Options{Dir: t.TempDir(), AutoCreateTopics: true})
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

// The data dir holds kfake's sasl.json, the superuser's salted SCRAM
// credential, which kfake writes 0644: the dir itself must keep other local
// users out, whether Start creates it or finds it.
func TestDataDirIsPrivate(t *testing.T) {
	ctx := context.Background()
	base := t.TempDir()
	perm := func(p string) os.FileMode {
		t.Helper()
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode().Perm()
	}

	created := filepath.Join(base, "new", "data")
	dc, err := devcluster.Start(ctx, devcluster.Options{Dir: filepath.Join(base, "dev"), DataDir: created,
		Notify: func(n devcluster.Note) { t.Errorf("note for a new data dir: %s", n.Text) }})
	if err != nil {
		t.Fatal(err)
	}
	dc.Close()
	if got := perm(created); got != 0o700 {
		t.Errorf("new data dir mode %04o, want 0700", got)
	}
	if _, err := os.Stat(filepath.Join(created, "sasl.json")); err != nil {
		t.Fatalf("kfake wrote no sasl.json: %v", err)
	}

	// An existing dir that others can read: made 0700, and the note says so.
	loose := filepath.Join(base, "loose")
	if err := os.Mkdir(loose, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(loose, 0o755); err != nil {
		t.Fatal(err)
	}
	var notes []string
	dc, err = devcluster.Start(ctx, devcluster.Options{Dir: filepath.Join(base, "dev"), DataDir: loose,
		Notify: func(n devcluster.Note) { notes = append(notes, n.Text) }})
	if err != nil {
		t.Fatal(err)
	}
	dc.Close()
	if got := perm(loose); got != 0o700 {
		t.Errorf("existing data dir mode %04o, want 0700", got)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "was mode 0755: changed to 0700") {
		t.Errorf("notes = %q", notes)
	}

	// A file is not a data dir.
	file := filepath.Join(base, "afile")
	os.WriteFile(file, nil, 0o600)
	if _, err := devcluster.Start(ctx, devcluster.Options{Dir: filepath.Join(base, "dev"), DataDir: file}); err == nil || !strings.Contains(err.Error(), "is not a directory") {
		t.Errorf("file as data dir: err = %v", err)
	}
}
