# Acme's own roles, beside the library's.
package kafkaguard

# topic-auditor: may see the topics it lists and their configuration, never the data.
roles["topic-auditor"] := [{"resource": "topics", "operations": ["DESCRIBE", "DESCRIBE_CONFIGS"]}]

# connect-sink: a Kafka Connect sink; its group is named after the connector.
roles["connect-sink"] := [
	{"resource": "topics", "operations": ["READ", "DESCRIBE"]},
	{"resource": "groups", "operations": ["READ", "DESCRIBE"]},
]
