# Acme's own roles, beside the library's.
package kafkaguard

# auditor: may see topics and their configuration, never the data.
roles.auditor := [{"resource": "topics", "operations": ["DESCRIBE", "DESCRIBE_CONFIGS"]}]

# connect-sink: a Kafka Connect sink; its group is named after the connector.
roles["connect-sink"] := [
	{"resource": "topics", "operations": ["READ", "DESCRIBE"]},
	{"resource": "groups", "operations": ["READ", "DESCRIBE"]},
]
