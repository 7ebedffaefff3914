# The roles a grant may name. A role is a list of entries; each entry gives
# operations on the resources a selector picks from the grant:
#
#   topics, groups, transactional_ids   the names the grant lists
#   cluster                             the CLUSTER resource (kafka-cluster)
#   application_id_topics               PREFIXED topic <application_id>
#   application_id_groups               PREFIXED group <application_id>
#   application_id_transactional_ids    PREFIXED transactional id <application_id>
#
# An entry with "if": "<flag>" applies only when the grant sets that flag to
# true (create, exactly_once). User policies add roles with
# `roles["my-role"] := [...]` in package kafkaguard.
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

# transactional-producer: producer plus its transactional ids. No CLUSTER
# IDEMPOTENT_WRITE: since Kafka 3.0 (KIP-679) WRITE on a topic is enough for
# an idempotent producer.
roles["transactional-producer"] := [
	{"resource": "topics", "operations": ["WRITE", "DESCRIBE"]},
	{"resource": "topics", "operations": ["CREATE"], "if": "create"},
	{"resource": "transactional_ids", "operations": ["WRITE", "DESCRIBE"]},
]

# streams-app: a Kafka Streams application, following Confluent's "Kafka
# Streams security" guide: read and write its topics, manage its internal
# (repartition, changelog) topics and its group under the application.id
# prefix, and with exactly_once: true its transactional ids.
roles["streams-app"] := [
	{"resource": "topics", "operations": ["READ", "WRITE", "DESCRIBE"]},
	{"resource": "groups", "operations": ["READ"]},
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

# The selectors a role entry may use, and the resource type each picks.
selectors := {
	"topics": "TOPIC",
	"groups": "GROUP",
	"transactional_ids": "TRANSACTIONAL_ID",
	"cluster": "CLUSTER",
	"application_id_topics": "TOPIC",
	"application_id_groups": "GROUP",
	"application_id_transactional_ids": "TRANSACTIONAL_ID",
}

# Selectors that need the grant's application_id.
application_id_selectors := {
	"application_id_topics",
	"application_id_groups",
	"application_id_transactional_ids",
}
