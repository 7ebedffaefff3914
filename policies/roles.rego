# The roles a grant may name. A role is a list of entries; each entry gives
# operations on the resources a selector picks from the grant (see
# `selectors` below and docs/policy.md, "Roles", for every selector).
#
# An entry with "if": "<flag>" applies only when the grant sets that flag to
# true (create, exactly_once). User policies add roles with
# `roles["my-role"] := [...]` in package kafkaguard.
#
# Each built-in role follows the ACLs its software's documentation requires,
# with named operations rather than ALL (no ALTER, ALTER_CONFIGS), and no
# CLUSTER IDEMPOTENT_WRITE: since Kafka 2.8 / 3.0 (KIP-679) WRITE on a topic
# is enough for an idempotent or transactional producer.
package kafkaguard

# producer: kafka-acls.sh --producer (WRITE, DESCRIBE; CREATE with create: true).
roles["producer"] := [
	{"resource": "topics", "operations": ["WRITE", "DESCRIBE"]},
	{"resource": "topics", "operations": ["CREATE"], "if": "create"},
]

# consumer: kafka-acls.sh --consumer (topic READ, DESCRIBE; group READ).
roles["consumer"] := [
	{"resource": "topics", "operations": ["READ", "DESCRIBE"]},
	{"resource": "groups", "operations": ["READ"]},
]

# transactional-producer: producer plus its transactional ids.
roles["transactional-producer"] := [
	{"resource": "topics", "operations": ["WRITE", "DESCRIBE"]},
	{"resource": "topics", "operations": ["CREATE"], "if": "create"},
	{"resource": "transactional_ids", "operations": ["WRITE", "DESCRIBE"]},
]

# streams-app: a Kafka Streams application, least privilege. It READs its
# inputs and WRITEs its outputs (never the other way round); its consumer
# group is its application.id (LITERAL); its internal topics
# (<application.id>-<name>-repartition, -changelog) are PREFIXED
# "<application.id>-", with CREATE, DELETE (purging repartition topics) and
# DESCRIBE_CONFIGS; with exactly_once its transactional ids
# (<application.id>-<process id>-<thread>, or -<task id> for v1) are PREFIXED
# "<application.id>-".
roles["streams-app"] := [
	{"resource": "inputs", "operations": ["READ", "DESCRIBE"]},
	{"resource": "outputs", "operations": ["WRITE", "DESCRIBE"]},
	{
		"resource": "application_id_topics",
		"operations": ["READ", "WRITE", "CREATE", "DELETE", "DESCRIBE", "DESCRIBE_CONFIGS"],
	},
	{"resource": "application_id_groups", "operations": ["READ", "DESCRIBE"]},
	{
		"resource": "application_id_transactional_ids",
		"operations": ["WRITE", "DESCRIBE"],
		"if": "exactly_once",
	},
]

# connect-worker: a Kafka Connect worker (distributed mode). topics are its
# config.storage.topic, offset.storage.topic and status.storage.topic (read,
# written, and described with their configs, which the worker checks for
# cleanup.policy=compact; CREATE with create: true, when the worker creates
# them); groups is its group.id. With exactly_once (exactly.once.source.support)
# the transactional id connect-cluster-<group.id> (KIP-618).
roles["connect-worker"] := [
	{"resource": "topics", "operations": ["READ", "WRITE", "DESCRIBE", "DESCRIBE_CONFIGS"]},
	{"resource": "topics", "operations": ["CREATE"], "if": "create"},
	{"resource": "groups", "operations": ["READ"]},
	{"resource": "worker_transactional_ids", "operations": ["WRITE", "DESCRIBE"], "if": "exactly_once"},
]

# connector: one Kafka Connect connector, for the principal its tasks use. A
# sink READs its inputs in the consumer group connect-<connector> and may
# WRITE its dead letter queue (dlq); a source WRITEs its outputs (CREATE with
# create: true, for topic.creation.enable). With exactly_once (a source under
# exactly.once.source.support) its transactional ids
# <worker_group>-<connector>-<task> and its offsets topic (KIP-618).
roles["connector"] := [
	{"resource": "inputs", "operations": ["READ", "DESCRIBE"]},
	{"resource": "connector_group", "operations": ["READ"]},
	{"resource": "dlq", "operations": ["WRITE", "DESCRIBE"]},
	{"resource": "dlq", "operations": ["CREATE"], "if": "create"},
	{"resource": "outputs", "operations": ["WRITE", "DESCRIBE"]},
	{"resource": "outputs", "operations": ["CREATE"], "if": "create"},
	{"resource": "connector_transactional_ids", "operations": ["WRITE", "DESCRIBE"], "if": "exactly_once"},
	{"resource": "offsets_topic", "operations": ["READ", "WRITE", "DESCRIBE"], "if": "exactly_once"},
]

# schema-registry: Confluent Schema Registry's Kafka store. Its topic
# (kafkastore.topic, default _schemas; topics overrides it) is read, written
# and its configs described (Schema Registry checks cleanup.policy=compact at
# start); CREATE with create: true. Its group (schema.registry.group.id,
# default schema-registry; groups overrides it) elects the leader.
roles["schema-registry"] := [
	{"resource": "schemas_topic", "operations": ["READ", "WRITE", "DESCRIBE", "DESCRIBE_CONFIGS"]},
	{"resource": "schemas_topic", "operations": ["CREATE"], "if": "create"},
	{"resource": "schema_registry_group", "operations": ["READ", "DESCRIBE"]},
]

# ksqldb: a ksqlDB server (cluster) with ksql.service.id service_id. Per
# Confluent's "ksqlDB ACLs": DESCRIBE_CONFIGS on the cluster; its command
# topic and the internal topics of its queries, PREFIXED
# _confluent-ksql-<service_id>, and its queries' groups under the same
# prefix; its processing log <service_id>ksql_processing_log; the command
# topic's transactional id <service_id>; READ on inputs, WRITE on outputs
# (CREATE with create: true, for CREATE STREAM AS SELECT); with exactly_once
# (processing.guarantee) its queries' transactional ids.
roles["ksqldb"] := [
	{"resource": "cluster", "operations": ["DESCRIBE_CONFIGS"]},
	{"resource": "inputs", "operations": ["READ", "DESCRIBE"]},
	{"resource": "outputs", "operations": ["WRITE", "DESCRIBE"]},
	{"resource": "outputs", "operations": ["CREATE"], "if": "create"},
	{
		"resource": "service_id_topics",
		"operations": ["READ", "WRITE", "CREATE", "DELETE", "DESCRIBE", "DESCRIBE_CONFIGS"],
	},
	{"resource": "service_id_groups", "operations": ["READ", "DESCRIBE", "DELETE"]},
	{"resource": "service_id_processing_log", "operations": ["READ", "WRITE", "CREATE", "DESCRIBE"]},
	{"resource": "service_id_transactional_id", "operations": ["WRITE", "DESCRIBE"]},
	{"resource": "service_id_query_transactional_ids", "operations": ["WRITE", "DESCRIBE"], "if": "exactly_once"},
]

# auditor: read-only metadata for audits and dashboards: DESCRIBE and
# DESCRIBE_CONFIGS on every topic (LITERAL "*"), DESCRIBE on every group and
# on the cluster, DESCRIBE_CONFIGS on the cluster. Nothing that reads or
# writes data, so the wildcard guardrail (KG602) allows it.
roles["auditor"] := [
	{"resource": "all_topics", "operations": ["DESCRIBE", "DESCRIBE_CONFIGS"]},
	{"resource": "all_groups", "operations": ["DESCRIBE"]},
	{"resource": "cluster", "operations": ["DESCRIBE", "DESCRIBE_CONFIGS"]},
]

# The selectors a role entry may use, and the resource type each picks.
selectors := {
	"topics": "TOPIC",
	"groups": "GROUP",
	"transactional_ids": "TRANSACTIONAL_ID",
	"inputs": "TOPIC",
	"outputs": "TOPIC",
	"cluster": "CLUSTER",
	"application_id_topics": "TOPIC",
	"application_id_groups": "GROUP",
	"application_id_transactional_ids": "TRANSACTIONAL_ID",
	"worker_transactional_ids": "TRANSACTIONAL_ID",
	"connector_group": "GROUP",
	"dlq": "TOPIC",
	"offsets_topic": "TOPIC",
	"connector_transactional_ids": "TRANSACTIONAL_ID",
	"schemas_topic": "TOPIC",
	"schema_registry_group": "GROUP",
	"service_id_topics": "TOPIC",
	"service_id_groups": "GROUP",
	"service_id_processing_log": "TOPIC",
	"service_id_transactional_id": "TRANSACTIONAL_ID",
	"service_id_query_transactional_ids": "TRANSACTIONAL_ID",
	"all_topics": "TOPIC",
	"all_groups": "GROUP",
}

# Selectors that need grant settings, and the settings: a grant of a role
# with such an entry (that applies to it) must set them.
selector_requires := {
	"application_id_topics": ["application_id"],
	"application_id_groups": ["application_id"],
	"application_id_transactional_ids": ["application_id"],
	"connector_group": ["connector"],
	"connector_transactional_ids": ["connector", "worker_group"],
	"service_id_topics": ["service_id"],
	"service_id_groups": ["service_id"],
	"service_id_processing_log": ["service_id"],
	"service_id_transactional_id": ["service_id"],
	"service_id_query_transactional_ids": ["service_id"],
}

# What each required setting is, for the error that asks for it.
setting_descriptions := {
	"application_id": "the Kafka Streams application.id",
	"connector": "the connector's name",
	"worker_group": "the Connect cluster's group.id, for an exactly-once source connector",
	"service_id": "the ksql.service.id",
}

# Selectors whose entries give every resource of a type (LITERAL "*").
wildcard_selectors := {"all_topics", "all_groups"}
