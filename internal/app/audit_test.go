package app_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/app"
	"github.com/kafkaguard/kafkaguard/internal/audit"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/devcluster"
	"github.com/kafkaguard/kafkaguard/internal/report"
	"github.com/kafkaguard/kafkaguard/internal/scram"
	"github.com/kafkaguard/kafkaguard/internal/testutil"
	"github.com/kafkaguard/kafkaguard/internal/testutil/devtest"
	"github.com/kafkaguard/kafkaguard/inventory"
	"github.com/kafkaguard/kafkaguard/pki"
	"github.com/kafkaguard/kafkaguard/policies"
)

const liveInventory = `cluster:
  name: it
  ssl_principal_mapping_rules: "RULE:^CN=([^,]+).*$/$1/,DEFAULT"
principals:
  orders-api: {auth: scram-sha-512, team: orders}
  analytics:  {auth: mtls, team: data}
  admin:      {auth: scram-sha-512, team: platform, superuser: true}
topics:
  orders.events: {team: orders, classification: internal}
grants:
  - {principal: orders-api, role: producer, topics: [orders.events]}
  - {principal: analytics, role: consumer, topics: [orders.events], groups: ["analytics-*"]}
`

func upsertUser(t *testing.T, ctx context.Context, cl *cluster.Client, user, pw string) {
	t.Helper()
	cred, err := scram.Derive(scram.SHA512, pw, 4096)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := cl.AlterSCRAM(ctx, nil, []cluster.SCRAMUpsert{{User: user, Mechanism: scram.SHA512, Iterations: 4096, Salt: cred.Salt, SaltedPassword: cred.SaltedPassword}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
}

func TestAuditAgainstDevCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a dev cluster")
	}
	ctx := context.Background()
	dir := t.TempDir()
	caDir := filepath.Join(dir, "ca")
	ca, err := pki.Init(caDir, pki.InitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dc := devtest.StartWith(context.Background(), t, devcluster.Options{Dir: caDir})
	invPath := filepath.Join(dir, "inventory.yaml")
	if err := os.WriteFile(invPath, []byte(liveInventory), 0o644); err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.Load(invPath)
	if err != nil {
		t.Fatal(err)
	}
	compiled, err := policies.Compile(ctx, inv, policies.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cl := devtest.DialAdmin(ctx, t, dc)
	t.Cleanup(cl.Close)
	cfg, err := dc.AdminConfig()
	if err != nil {
		t.Fatal(err)
	}
	devtest.ACLsDone(t, "create", cl.CreateACLs(ctx, compiled.ACLs.Bindings()))
	secrets := filepath.Join(dir, "secrets")
	store, err := scram.OpenStore(secrets, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.WritePassword("orders-api", "orders-password-1-xyz"); err != nil {
		t.Fatal(err)
	}
	upsertUser(t, ctx, cl, "orders-api", "orders-password-1-xyz")
	if err := cl.CreateTopic(ctx, "orders.events", 1); err != nil { // else topic-governance reports KG801
		t.Fatal(err)
	}
	issued, err := ca.IssueClient(pki.ClientRequest{Name: "analytics", OutDir: filepath.Join(dir, "issued"), MappingRules: inv.Cluster.SSLPrincipalMappingRules})
	if err != nil {
		t.Fatal(err)
	}

	w, err := app.Load(ctx, app.Options{Files: []string{invPath}})
	if err != nil {
		t.Fatal(err)
	}
	opts := app.AuditOptions{PKIDir: caDir, SecretsDir: secrets}
	res, err := w.Audit(ctx, cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if got := res.Report.AtLeast(report.SeverityInfo); len(got) != 0 {
		t.Fatalf("clean cluster has findings: %+v", got)
	}
	if want := []string{audit.CheckACLDrift, audit.CheckSCRAMDrift, audit.CheckCertificates, audit.CheckTLS, audit.CheckQuotaDrift, audit.CheckTopics, audit.CheckGuardrails}; !slices.Equal(res.Report.Checks, want) {
		t.Errorf("checks %v, want %v", res.Report.Checks, want)
	}
	if len(res.Brokers) != 1 || res.Brokers[0].Seconds <= 0 {
		t.Errorf("broker expiry %+v", res.Brokers)
	}

	// Drift behind kafkaguard's back.
	extra, _ := acl.FromStrings("User:orders-api", "*", "TOPIC", "payments", "LITERAL", "READ", "ALLOW")
	everyone, _ := acl.FromStrings("User:*", "*", "TOPIC", "public", "LITERAL", "READ", "ALLOW")
	devtest.ACLsDone(t, "create", cl.CreateACLs(ctx, []acl.Binding{extra, everyone}))
	gone := compiled.ACLs.Bindings()[0]
	devtest.ACLsDone(t, "delete", cl.DeleteACLs(ctx, []acl.Binding{gone}))
	upsertUser(t, ctx, cl, "orders-api", "changed-elsewhere-42-abc")
	if _, err := ca.Revoke(pki.RevokeRequest{Serial: issued.Serial}); err != nil {
		t.Fatal(err)
	}

	res, err = w.Audit(ctx, cfg, opts)
	if err != nil || res.Err != nil {
		t.Fatal(err, res.Err)
	}
	got := testutil.Sorted(res.Report.Findings, func(f report.Finding) string { return f.ID })
	// The two live ACLs name topics the cluster lacks: topic-governance
	// reports each (KG801).
	want := []string{audit.KGACLMissing, audit.KGACLExtra, audit.KGACLUnmanaged, audit.KGUserLoginFailed, audit.KGCertRevoked, audit.KGAllowEveryone, audit.KGTopicMissing, audit.KGTopicMissing}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v\n%+v", got, want, res.Report.Findings)
	}
	if res.Bindings[audit.StateExtra] != 1 || res.Bindings[audit.StateMissing] != 1 || res.Bindings[audit.StateUnmanaged] != 1 {
		t.Errorf("binding states %v", res.Bindings)
	}
}
