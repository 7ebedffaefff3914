package policies

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/testutil"
)

// rolesInventory is a small company with every built-in role, for running
// the authorizer over what the roles compile to.
const rolesInventory = `principals:
  checkout:   {auth: scram-sha-512, team: checkout}
  ml-features: {auth: mtls, team: ml}
  fraud:      {auth: mtls, team: risk}
  fraud-scorer: {auth: mtls, team: risk}
  connect:    {auth: mtls, team: platform}
  s3-sink:    {auth: scram-sha-512, team: data}
  sr:         {auth: mtls, team: platform}
  ksql:       {auth: mtls, team: data}
  auditor:    {auth: scram-sha-512, team: security}
topics:
  checkout.orders:  {team: checkout, classification: confidential}
  ml.features:      {team: ml, classification: internal}
  risk.scores:      {team: risk, classification: internal}
  connect-configs:  {team: platform}
  _schemas:         {team: platform}
grants:
  - {principal: checkout, role: producer, topics: [checkout.orders]}
  - {principal: ml-features, role: streams-app, application_id: ml-features, inputs: [checkout.orders], outputs: [ml.features]}
  - {principal: fraud, role: streams-app, application_id: fraud, inputs: [checkout.orders], outputs: [risk.scores], exactly_once: true}
  - {principal: fraud-scorer, role: streams-app, application_id: fraud-scorer, inputs: [risk.scores]}
  - {principal: connect, role: connect-worker, topics: [connect-configs, connect-offsets, connect-status], groups: [connect-cluster], create: true}
  - {principal: s3-sink, role: connector, connector: s3, inputs: [ml.features], dlq: s3.dlq, approved_by: "ml-lead"}
  - {principal: sr, role: schema-registry}
  - {principal: ksql, role: ksqldb, service_id: ksql_, inputs: [ml.features]}
  - {principal: auditor, role: auditor}
`

func TestRolesUnderTheAuthorizer(t *testing.T) {
	res, err := Compile(context.Background(), parseInv(t, rolesInventory), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Deny {
		t.Errorf("unexpected deny: %s %s", f.ID, f.Message)
	}
	az := acl.NewAuthorizer(res.ACLs, acl.AuthorizerOptions{})
	topics := []string{"checkout.orders", "ml.features", "risk.scores", "connect-configs", "_schemas", "fraud-scorer-store-changelog", "undeclared.topic"}
	type authzCase struct {
		principal string
		op        acl.Operation
		rt        acl.ResourceType
		name      string
		allowed   bool
	}
	cases := []authzCase{
		// A streams app reads its inputs and cannot write them.
		{"User:ml-features", acl.OpRead, acl.ResourceTopic, "checkout.orders", true},
		{"User:ml-features", acl.OpWrite, acl.ResourceTopic, "checkout.orders", false},
		{"User:ml-features", acl.OpWrite, acl.ResourceTopic, "ml.features", true},
		{"User:ml-features", acl.OpRead, acl.ResourceTopic, "ml.features", false},
		{"User:ml-features", acl.OpRead, acl.ResourceGroup, "ml-features", true},
		{"User:ml-features", acl.OpCreate, acl.ResourceTopic, "ml-features-agg-repartition", true},
		// fraud does not cover fraud-scorer's group, internal topics or transactional ids.
		{"User:fraud", acl.OpCreate, acl.ResourceTopic, "fraud-KSTREAM-AGGREGATE-STATE-STORE-0000000001-changelog", true},
		{"User:fraud", acl.OpRead, acl.ResourceTopic, "fraud-scorer-store-changelog", false},
		{"User:fraud", acl.OpWrite, acl.ResourceTopic, "fraud-scorer-store-changelog", false},
		{"User:fraud", acl.OpRead, acl.ResourceGroup, "fraud-scorer", false},
		{"User:fraud", acl.OpRead, acl.ResourceGroup, "fraud", true},
		{"User:fraud", acl.OpWrite, acl.ResourceTransactionalID, "fraud-4d8a-1", true},
		{"User:fraud", acl.OpWrite, acl.ResourceTransactionalID, "fraud-scorer-4d8a-1", false},
		{"User:fraud-scorer", acl.OpWrite, acl.ResourceTransactionalID, "fraud-scorer-4d8a-1", false}, // no exactly_once
		// The connect worker writes its config topic and reads its group.
		{"User:connect", acl.OpWrite, acl.ResourceTopic, "connect-configs", true},
		{"User:connect", acl.OpRead, acl.ResourceTopic, "connect-offsets", true},
		{"User:connect", acl.OpCreate, acl.ResourceTopic, "connect-status", true},
		{"User:connect", acl.OpRead, acl.ResourceGroup, "connect-cluster", true},
		{"User:connect", acl.OpRead, acl.ResourceTopic, "checkout.orders", false},
		// A sink connector reads in connect-<name> and writes its DLQ only.
		{"User:s3-sink", acl.OpRead, acl.ResourceGroup, "connect-s3", true},
		{"User:s3-sink", acl.OpWrite, acl.ResourceTopic, "s3.dlq", true},
		{"User:s3-sink", acl.OpWrite, acl.ResourceTopic, "ml.features", false},
		// Schema Registry reads and writes _schemas.
		{"User:sr", acl.OpRead, acl.ResourceTopic, "_schemas", true},
		{"User:sr", acl.OpWrite, acl.ResourceTopic, "_schemas", true},
		{"User:sr", acl.OpDescribeConfigs, acl.ResourceTopic, "_schemas", true},
		{"User:sr", acl.OpRead, acl.ResourceGroup, "schema-registry", true},
		{"User:sr", acl.OpRead, acl.ResourceTopic, "checkout.orders", false},
		// ksqlDB: its internal prefixes and the cluster's configs.
		{"User:ksql", acl.OpCreate, acl.ResourceTopic, "_confluent-ksql-ksql__command_topic", true},
		{"User:ksql", acl.OpRead, acl.ResourceGroup, "_confluent-ksql-ksql_query_CSAS_1", true},
		{"User:ksql", acl.OpDescribeConfigs, acl.ResourceCluster, acl.ClusterName, true},
		{"User:ksql", acl.OpWrite, acl.ResourceTopic, "ml.features", false},
		// The auditor describes the cluster and reads nothing.
		{"User:auditor", acl.OpDescribeConfigs, acl.ResourceCluster, acl.ClusterName, true},
		{"User:auditor", acl.OpDescribe, acl.ResourceCluster, acl.ClusterName, true},
		{"User:auditor", acl.OpDescribe, acl.ResourceGroup, "any-group", true},
		{"User:auditor", acl.OpRead, acl.ResourceGroup, "any-group", false},
		{"User:auditor", acl.OpAlterConfigs, acl.ResourceCluster, acl.ClusterName, false},
	}
	for _, topic := range topics {
		cases = append(cases,
			authzCase{"User:auditor", acl.OpDescribe, acl.ResourceTopic, topic, true},
			authzCase{"User:auditor", acl.OpDescribeConfigs, acl.ResourceTopic, topic, true},
			authzCase{"User:auditor", acl.OpRead, acl.ResourceTopic, topic, false},
			authzCase{"User:auditor", acl.OpWrite, acl.ResourceTopic, topic, false},
		)
	}
	for _, c := range cases {
		d := az.Authorize(acl.Request{Principal: c.principal, Host: "10.0.0.1", Operation: c.op, ResourceType: c.rt, ResourceName: c.name})
		if d.Allowed != c.allowed {
			t.Errorf("%s %s %s %s: allowed = %v (%s), want %v", c.principal, c.op, c.rt, c.name, d.Allowed, d.Reason, c.allowed)
		}
	}
}

// TestLabelsReachUserPolicies: a user rule reads principals' and topics'
// labels from the input.
func TestLabelsReachUserPolicies(t *testing.T) {
	dir := testutil.WriteFiles(t, map[string]string{"labels.rego": `package acme.labels

deny contains msg if {
	some name, p in input.principals
	not p.labels["cost-center"]
	msg := sprintf("principal %s has no cost-center label", [name])
}

warn contains msg if {
	some name, t in input.topics
	t.labels.retention == "forever"
	msg := sprintf("topic %s keeps data forever", [name])
}
`})
	inv := parseInv(t, `principals:
  billed: {auth: mtls, team: a, labels: {cost-center: CC-1}}
  free:   {auth: mtls, team: a}
topics:
  t1: {team: a, labels: {retention: forever}}
grants:
  - {principal: billed, role: producer, topics: [t1]}
  - {principal: free, role: consumer, topics: [t1], groups: [g]}
`)
	res := compileWith(t, inv, dir)
	var deny, warn []string
	for _, f := range res.Deny {
		deny = append(deny, f.Message)
	}
	for _, f := range res.Warn {
		warn = append(warn, f.Message)
	}
	if strings.Join(deny, "|") != "principal free has no cost-center label" {
		t.Errorf("deny = %q", deny)
	}
	if !slices.Contains(warn, "topic t1 keeps data forever") {
		t.Errorf("warn = %q", warn)
	}
}
