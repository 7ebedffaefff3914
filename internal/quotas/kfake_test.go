package quotas_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/kafkaguard/kafkaguard/internal/audit"
	"github.com/kafkaguard/kafkaguard/internal/devcluster"
	"github.com/kafkaguard/kafkaguard/internal/plan"
	"github.com/kafkaguard/kafkaguard/internal/quotas"
	"github.com/kafkaguard/kafkaguard/internal/testutil/devtest"
	"github.com/kafkaguard/kafkaguard/inventory"
)

const quotaInventory = `principals:
  orders-api: {auth: scram-sha-512, team: orders, quotas: {producer_byte_rate: 1048576, request_percentage: 25}}
  etl:        {auth: mtls, team: data, quotas: {consumer_byte_rate: 2097152, controller_mutation_rate: 2.5}}
quotas:
  default: {producer_byte_rate: 524288, consumer_byte_rate: 524288}
  clients:
    legacy-app: {request_percentage: 10}
`

// rawClient is a franz-go client built here from the dev cluster's address,
// TLS and admin credentials, without kafkaguard's connection code: an
// independent reader of what kafkaguard applied.
func rawClient(t *testing.T, dc *devcluster.Cluster) *kgo.Client {
	t.Helper()
	cfg, err := dc.AdminConfig()
	if err != nil {
		t.Fatal(err)
	}
	auth := scram.Auth{User: cfg.Username, Pass: cfg.Password()}
	mech := auth.AsSha512Mechanism()
	if cfg.SASLMechanism == "SCRAM-SHA-256" {
		mech = auth.AsSha256Mechanism()
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(dc.Addr()), kgo.DialTLSConfig(cfg.TLS.Clone()), kgo.SASL(mech))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// describeRaw reads every quota with a hand-built DescribeClientQuotas
// request: "user=orders-api" -> {"producer_byte_rate": 1048576, ...}.
func describeRaw(t *testing.T, cl *kgo.Client) map[string]map[string]float64 {
	t.Helper()
	req := kmsg.NewPtrDescribeClientQuotasRequest()
	resp, err := req.RequestWith(context.Background(), cl)
	if err != nil {
		t.Fatal(err)
	}
	if resp.ErrorCode != 0 {
		t.Fatalf("describe client quotas: error code %d", resp.ErrorCode)
	}
	out := map[string]map[string]float64{}
	for _, e := range resp.Entries {
		var parts []string
		for _, c := range e.Entity {
			name := "<default>"
			if c.Name != nil {
				name = *c.Name
			}
			parts = append(parts, c.Type+"="+name)
		}
		vals := map[string]float64{}
		for _, v := range e.Values {
			vals[v.Key] = v.Value
		}
		out[strings.Join(parts, ",")] = vals
	}
	return out
}

func TestQuotasAppliedAreReadBackByAnIndependentClient(t *testing.T) {
	ctx := context.Background()
	dc := devtest.Start(context.Background(), t)
	admin := devtest.DialAdmin(ctx, t, dc)
	t.Cleanup(admin.Close)
	raw := rawClient(t, dc)

	// A quota set by hand on a managed user kafkaguard does not declare, and
	// one on a user outside the scope.
	alter := func(user string, key string, v float64) {
		req := kmsg.NewPtrAlterClientQuotasRequest()
		entry := kmsg.NewAlterClientQuotasRequestEntry()
		ent := kmsg.NewAlterClientQuotasRequestEntryEntity()
		ent.Type, ent.Name = "user", kmsg.StringPtr(user)
		entry.Entity = append(entry.Entity, ent)
		op := kmsg.NewAlterClientQuotasRequestEntryOp()
		op.Key, op.Value = key, v
		entry.Ops = append(entry.Ops, op)
		req.Entries = append(req.Entries, entry)
		resp, err := req.RequestWith(ctx, raw)
		if err != nil || resp.Entries[0].ErrorCode != 0 {
			t.Fatalf("alter quota of %s: %v %+v", user, err, resp)
		}
	}
	alter("orders-api", "consumer_byte_rate", 99)
	alter("someone-else", "producer_byte_rate", 42)

	inv, err := inventory.Parse("inv.yaml", []byte(quotaInventory))
	if err != nil {
		t.Fatal(err)
	}
	scope, err := inv.ManagedScope()
	if err != nil {
		t.Fatal(err)
	}
	planner := quotas.Planner{Admin: admin, Desired: inv.Quotas, Manage: inv.QuotasDeclared, Scope: scope}
	p, err := plan.Build(ctx, planner)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, c := range p.Sections[0].Changes() {
		lines = append(lines, c.Action.Mark()+" "+c.Item+"  "+c.Detail)
	}
	want := []string{
		"+ User:<default>  consumer_byte_rate=524288, producer_byte_rate=524288",
		"+ User:etl  consumer_byte_rate=2097152, controller_mutation_rate=2.5",
		"+ client-id:legacy-app  request_percentage=10",
		"~ User:orders-api  producer_byte_rate=1048576, request_percentage=25, -consumer_byte_rate (was 99)",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("plan:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if asides := p.Sections[0].Asides(); len(asides) != 1 || !strings.HasPrefix(asides[0].Item, "User:someone-else producer_byte_rate=42") {
		t.Errorf("asides = %+v", asides)
	}
	if _, err := p.Apply(ctx, nil); err != nil {
		t.Fatal(err)
	}

	got := describeRaw(t, raw)
	for key, vals := range map[string]map[string]float64{
		"user=orders-api":      {"producer_byte_rate": 1048576, "request_percentage": 25},
		"user=etl":             {"consumer_byte_rate": 2097152, "controller_mutation_rate": 2.5},
		"user=<default>":       {"producer_byte_rate": 524288, "consumer_byte_rate": 524288},
		"client-id=legacy-app": {"request_percentage": 10},
		"user=someone-else":    {"producer_byte_rate": 42}, // outside the scope: left alone
	} {
		if len(got[key]) != len(vals) {
			t.Errorf("%s = %v, want %v", key, got[key], vals)
		}
		for k, v := range vals {
			if got[key][k] != v {
				t.Errorf("%s %s = %v, want %v", key, k, got[key][k], v)
			}
		}
	}

	// plan after apply is clean.
	p, err = plan.Build(ctx, planner)
	if err != nil {
		t.Fatal(err)
	}
	if p.HasChanges() {
		t.Errorf("plan after apply: %v", p.Sections[0].Changes())
	}

	// Drift behind kafkaguard's back is an audit finding.
	alter("orders-api", "producer_byte_rate", 10*1048576)
	res := audit.Run(ctx, audit.Input{Cluster: "dev", QuotaReader: admin, Quotas: planner, Now: time.Now()})
	var found []string
	for _, f := range res.Report.Findings {
		found = append(found, f.ID+" "+f.Resource+" "+f.Message)
	}
	if len(found) != 2 || found[0] != "KG702 User:orders-api quota of User:orders-api differs from the inventory: producer_byte_rate=1048576 (was 10485760)" ||
		!strings.HasPrefix(found[1], "KG704 User:someone-else") {
		t.Errorf("audit findings:\n%s", strings.Join(found, "\n"))
	}
}
