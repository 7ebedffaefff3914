package policies

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/testutil"
)

var march20 = time.Date(2027, 3, 20, 23, 30, 0, 0, time.UTC)

const waiverInventory = `principals:
  ops:     {auth: mtls, team: platform}
  orders:  {auth: mtls, team: orders}
topics:
  orders.events: {team: orders}
grants:
  - {principal: ops, operations: [READ], topics: ["*"]}
  - {principal: orders, role: producer, topics: [orders.events]}
waivers:
  - rule: KG602
    principal: ops
    reason: "incident INC-77: replay every topic"
    approved_by: ciso
    expires: %s
`

func TestWaiverTurnsADenyIntoAWaivedFinding(t *testing.T) {
	res, err := Compile(context.Background(), parseInv(t, strings.Replace(waiverInventory, "%s", "2027-03-31", 1)), Options{Now: march20})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Deny) != 0 {
		t.Fatalf("deny = %+v, want the KG602 finding waived", res.Deny)
	}
	if len(res.Info) != 1 || res.Info[0].ID != "KG602" ||
		!strings.HasPrefix(res.Info[0].Message, "waived until 2027-03-31 by waiver inv.yaml:10 (approved by ciso: incident INC-77: replay every topic): grant inv.yaml:7 gives User:ops every topic") {
		t.Errorf("info = %+v", res.Info)
	}
	// The waived grant still compiles: a waiver waives the finding, not the access.
	if !res.ACLs.Contains(testutil.Binding(t, "User:ops", "TOPIC", "*", "LITERAL", "READ", "ALLOW")) {
		t.Error("the waived grant's binding is missing")
	}
}

func TestExpiredOrUnapprovedWaiverDoesNotWaive(t *testing.T) {
	for name, inv := range map[string]string{
		"expired":    strings.Replace(waiverInventory, "%s", "2027-03-19", 1),
		"unapproved": strings.Replace(strings.Replace(waiverInventory, "%s", "2027-03-31", 1), "    approved_by: ciso\n", "", 1),
	} {
		t.Run(name, func(t *testing.T) {
			res, err := Compile(context.Background(), parseInv(t, inv), Options{Now: march20})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Deny) != 1 || res.Deny[0].ID != "KG602" || len(res.Info) != 0 {
				t.Errorf("deny = %+v, info = %+v", res.Deny, res.Info)
			}
			var notEffective bool
			for _, f := range res.Warn {
				notEffective = notEffective || f.ID == "KG658"
			}
			if !notEffective {
				t.Errorf("warn = %+v, want KG658", res.Warn)
			}
		})
	}
}

func TestWaiverForATopicMatchesFindingsAboutIt(t *testing.T) {
	inv := parseInv(t, `principals:
  analytics: {auth: mtls, team: data}
  ledger:    {auth: mtls, team: payments}
topics:
  payments.ledger: {team: payments, classification: restricted}
  payments.cards:  {team: payments, classification: restricted}
grants:
  - {principal: ledger, role: producer, topics: [payments.ledger, payments.cards]}
  - {principal: analytics, role: consumer, topics: [payments.ledger, payments.cards], groups: [a]}
waivers:
  - {rule: restricted-cross-team-read, topic: payments.ledger, reason: "audit export", approved_by: dpo, expires: 2027-12-31}
`)
	res, err := Compile(context.Background(), inv, Options{Now: march20})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Deny) != 1 || res.Deny[0].Topic != "payments.cards" || len(res.Info) != 1 || res.Info[0].Topic != "payments.ledger" {
		t.Errorf("deny = %+v, info = %+v", res.Deny, res.Info)
	}
}

func TestExpiredGrantCompilesToNothing(t *testing.T) {
	inv := parseInv(t, `principals:
  ops:    {auth: mtls, team: orders}
  orders: {auth: mtls, team: orders}
topics:
  orders.events: {team: orders}
grants:
  - {principal: orders, role: producer, topics: [orders.events]}
  - {principal: ops, role: consumer, topics: [orders.events], groups: [ops-debug], expires: 2027-03-19, reason: "incident INC-77"}
  - {principal: ops, resource: {type: CLUSTER}, operations: [DESCRIBE], expires: 2027-03-20}
`)
	res, err := Compile(context.Background(), inv, Options{Now: march20})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range res.ACLs.Bindings() {
		if b.Principal == "User:ops" && b.ResourceType != acl.ResourceCluster {
			t.Errorf("the expired grant still gives %s", b)
		}
	}
	if !res.ACLs.Contains(testutil.Binding(t, "User:ops", "CLUSTER", "kafka-cluster", "LITERAL", "DESCRIBE", "ALLOW")) {
		t.Error("a grant is left out on its last day")
	}
	if len(res.Expired) != 1 || res.Expired[0].Source != "inv.yaml:8" {
		t.Errorf("expired = %+v", res.Expired)
	}
	var msgs []string
	for _, f := range res.Warn {
		msgs = append(msgs, f.ID+" "+f.Message)
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{
		"KG656 grant inv.yaml:8 of User:ops expired on 2027-03-19: compile leaves it out, so apply removes its ACLs",
		"KG655 grant inv.yaml:9 of User:ops expires on 2027-03-20: after that day compile leaves it out and apply removes its ACLs",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("warn = %s\nwant %s", all, want)
		}
	}
	// The day after, the second grant is gone too: the whole inventory's
	// ops grants compile to nothing.
	res, err = Compile(context.Background(), inv, Options{Now: march20.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range res.ACLs.Bindings() {
		if b.Principal == "User:ops" {
			t.Errorf("an expired grant still gives %s", b)
		}
	}
}
