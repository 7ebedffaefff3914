package kafkaguard_test

import data.kafkaguard

# bindings_of is the set of "RESOURCE_TYPE name PATTERN OPERATION PERMISSION"
# strings the grants give.
bindings_of(grants) := {sprintf("%s %s %s %s %s", [b.resource_type, b.resource_name, b.pattern_type, b.operation, b.permission]) |
	some b in kafkaguard.acls with input as inventory(grants)
}

test_producer_writes_and_describes if {
	bindings_of([grant({"role": "producer", "topics": ["orders.events"]})]) == {
		"TOPIC orders.events LITERAL WRITE ALLOW",
		"TOPIC orders.events LITERAL DESCRIBE ALLOW",
	}
}

test_producer_with_create_may_create if {
	"TOPIC orders.events LITERAL CREATE ALLOW" in bindings_of([grant({"role": "producer", "topics": ["orders.events"], "create": true})])
}

test_consumer_reads_topics_and_groups if {
	bindings_of([grant({"role": "consumer", "topics": ["orders.*"], "groups": ["analytics"]})]) == {
		"TOPIC orders. PREFIXED READ ALLOW",
		"TOPIC orders. PREFIXED DESCRIBE ALLOW",
		"GROUP analytics LITERAL READ ALLOW",
	}
}

test_transactional_producer_gets_transactional_ids if {
	bindings_of([grant({"role": "transactional-producer", "topics": ["invoices"], "transactional_ids": ["billing-*"]})]) == {
		"TOPIC invoices LITERAL WRITE ALLOW",
		"TOPIC invoices LITERAL DESCRIBE ALLOW",
		"TRANSACTIONAL_ID billing- PREFIXED WRITE ALLOW",
		"TRANSACTIONAL_ID billing- PREFIXED DESCRIBE ALLOW",
	}
}

test_streams_app_gets_internal_topics_and_group if {
	bs := bindings_of([grant({"role": "streams-app", "topics": ["orders.events"], "application_id": "enricher"})])
	"TOPIC orders.events LITERAL READ ALLOW" in bs
	"TOPIC orders.events LITERAL WRITE ALLOW" in bs
	"TOPIC enricher PREFIXED CREATE ALLOW" in bs
	"TOPIC enricher PREFIXED DELETE ALLOW" in bs
	"GROUP enricher PREFIXED READ ALLOW" in bs
	not "TRANSACTIONAL_ID enricher PREFIXED WRITE ALLOW" in bs
}

test_streams_app_exactly_once_gets_transactional_ids if {
	bs := bindings_of([grant({"role": "streams-app", "application_id": "enricher", "exactly_once": true})])
	"TRANSACTIONAL_ID enricher PREFIXED WRITE ALLOW" in bs
}

test_explicit_operations_on_cluster if {
	bindings_of([grant({"operations": ["DESCRIBE", "DESCRIBE_CONFIGS"], "resource": {"type": "CLUSTER", "name": "kafka-cluster"}})]) == {
		"CLUSTER kafka-cluster LITERAL DESCRIBE ALLOW",
		"CLUSTER kafka-cluster LITERAL DESCRIBE_CONFIGS ALLOW",
	}
}

test_deny_grant_gives_deny_bindings if {
	bindings_of([grant({"permission": "DENY", "operations": ["READ"], "topics": ["payments.*"]})]) == {"TOPIC payments. PREFIXED READ DENY"}
}

test_hosts_multiply_bindings if {
	hosts := {b.host |
		some b in kafkaguard.acls with input as inventory([grant({
			"role": "producer",
			"topics": ["t"],
			"hosts": ["10.0.0.1", "10.0.0.2"],
		})])
	}
	hosts == {"10.0.0.1", "10.0.0.2"}
}

test_principal_is_user_prefixed if {
	{b.principal | some b in kafkaguard.acls with input as inventory([grant({"role": "producer", "topics": ["t"]})])} == {"User:orders-api"}
}
