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

test_streams_app_reads_inputs_and_writes_outputs_only if {
	bs := bindings_of([grant({"role": "streams-app", "application_id": "fraud", "inputs": ["orders.events"], "outputs": ["fraud.scores"]})])
	bs == {
		"TOPIC orders.events LITERAL READ ALLOW",
		"TOPIC orders.events LITERAL DESCRIBE ALLOW",
		"TOPIC fraud.scores LITERAL WRITE ALLOW",
		"TOPIC fraud.scores LITERAL DESCRIBE ALLOW",
		"TOPIC fraud- PREFIXED READ ALLOW",
		"TOPIC fraud- PREFIXED WRITE ALLOW",
		"TOPIC fraud- PREFIXED CREATE ALLOW",
		"TOPIC fraud- PREFIXED DELETE ALLOW",
		"TOPIC fraud- PREFIXED DESCRIBE ALLOW",
		"TOPIC fraud- PREFIXED DESCRIBE_CONFIGS ALLOW",
		"GROUP fraud LITERAL READ ALLOW",
		"GROUP fraud LITERAL DESCRIBE ALLOW",
	}
}

test_streams_app_exactly_once_gets_transactional_ids if {
	bs := bindings_of([grant({"role": "streams-app", "application_id": "enricher", "exactly_once": true})])
	"TRANSACTIONAL_ID enricher- PREFIXED WRITE ALLOW" in bs
	"TRANSACTIONAL_ID enricher- PREFIXED DESCRIBE ALLOW" in bs
	not "TRANSACTIONAL_ID enricher PREFIXED WRITE ALLOW" in bs
}

test_connect_worker_gets_its_topics_and_group if {
	bs := bindings_of([grant({
		"role": "connect-worker", "topics": ["connect-configs", "connect-offsets", "connect-status"],
		"groups": ["connect-cluster"], "create": true, "exactly_once": true,
	})])
	every t in ["connect-configs", "connect-offsets", "connect-status"] {
		every op in ["READ", "WRITE", "DESCRIBE", "DESCRIBE_CONFIGS", "CREATE"] {
			sprintf("TOPIC %s LITERAL %s ALLOW", [t, op]) in bs
		}
	}
	"GROUP connect-cluster LITERAL READ ALLOW" in bs
	"TRANSACTIONAL_ID connect-cluster-connect-cluster LITERAL WRITE ALLOW" in bs
	"TRANSACTIONAL_ID connect-cluster-connect-cluster LITERAL DESCRIBE ALLOW" in bs
	count(bs) == 18
}

test_sink_connector_reads_in_its_group_and_writes_its_dlq if {
	bs := bindings_of([grant({"role": "connector", "connector": "s3-sink", "inputs": ["orders.events"], "dlq": "s3-sink.dlq"})])
	bs == {
		"TOPIC orders.events LITERAL READ ALLOW",
		"TOPIC orders.events LITERAL DESCRIBE ALLOW",
		"GROUP connect-s3-sink LITERAL READ ALLOW",
		"TOPIC s3-sink.dlq LITERAL WRITE ALLOW",
		"TOPIC s3-sink.dlq LITERAL DESCRIBE ALLOW",
	}
}

test_exactly_once_source_connector if {
	bs := bindings_of([grant({
		"role": "connector", "connector": "debezium", "outputs": ["dbz.*"], "create": true,
		"exactly_once": true, "worker_group": "connect-cluster", "offsets_topic": "connect-offsets",
	})])
	bs == {
		"TOPIC dbz. PREFIXED WRITE ALLOW",
		"TOPIC dbz. PREFIXED DESCRIBE ALLOW",
		"TOPIC dbz. PREFIXED CREATE ALLOW",
		"TRANSACTIONAL_ID connect-cluster-debezium- PREFIXED WRITE ALLOW",
		"TRANSACTIONAL_ID connect-cluster-debezium- PREFIXED DESCRIBE ALLOW",
		"TOPIC connect-offsets LITERAL READ ALLOW",
		"TOPIC connect-offsets LITERAL WRITE ALLOW",
		"TOPIC connect-offsets LITERAL DESCRIBE ALLOW",
	}
}

test_schema_registry_defaults_to_schemas_topic_and_group if {
	bs := bindings_of([grant({"role": "schema-registry"})])
	bs == {
		"TOPIC _schemas LITERAL READ ALLOW",
		"TOPIC _schemas LITERAL WRITE ALLOW",
		"TOPIC _schemas LITERAL DESCRIBE ALLOW",
		"TOPIC _schemas LITERAL DESCRIBE_CONFIGS ALLOW",
		"GROUP schema-registry LITERAL READ ALLOW",
		"GROUP schema-registry LITERAL DESCRIBE ALLOW",
	}
}

test_schema_registry_with_its_own_topic_and_group if {
	bs := bindings_of([grant({"role": "schema-registry", "topics": ["_schemas-eu"], "groups": ["sr-eu"], "create": true})])
	"TOPIC _schemas-eu LITERAL CREATE ALLOW" in bs
	"GROUP sr-eu LITERAL READ ALLOW" in bs
	not "TOPIC _schemas LITERAL READ ALLOW" in bs
}

test_ksqldb_gets_its_service_prefixes if {
	bs := bindings_of([grant({"role": "ksqldb", "service_id": "ksql-prod_", "inputs": ["orders.events"], "outputs": ["ksql.*"], "exactly_once": true})])
	every b in [
		"CLUSTER kafka-cluster LITERAL DESCRIBE_CONFIGS ALLOW",
		"TOPIC orders.events LITERAL READ ALLOW",
		"TOPIC ksql. PREFIXED WRITE ALLOW",
		"TOPIC _confluent-ksql-ksql-prod_ PREFIXED CREATE ALLOW",
		"TOPIC _confluent-ksql-ksql-prod_ PREFIXED WRITE ALLOW",
		"GROUP _confluent-ksql-ksql-prod_ PREFIXED READ ALLOW",
		"TOPIC ksql-prod_ksql_processing_log LITERAL WRITE ALLOW",
		"TRANSACTIONAL_ID ksql-prod_ LITERAL WRITE ALLOW",
		"TRANSACTIONAL_ID _confluent-ksql-ksql-prod_ PREFIXED WRITE ALLOW",
	] {
		b in bs
	}
	not "TOPIC orders.events LITERAL WRITE ALLOW" in bs
	count(bs) == 22
}

test_auditor_describes_everything_and_reads_nothing if {
	bs := bindings_of([grant({"role": "auditor"})])
	bs == {
		"TOPIC * LITERAL DESCRIBE ALLOW",
		"TOPIC * LITERAL DESCRIBE_CONFIGS ALLOW",
		"GROUP * LITERAL DESCRIBE ALLOW",
		"CLUSTER kafka-cluster LITERAL DESCRIBE ALLOW",
		"CLUSTER kafka-cluster LITERAL DESCRIBE_CONFIGS ALLOW",
	}
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
