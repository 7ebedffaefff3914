# Fixtures shared by the library's tests.
package kafkaguard_test

# grant builds a normalised grant, as kafkaguard passes it in input.
grant(extra) := object.union(
	{
		"principal": "orders-api",
		"role": "",
		"permission": "ALLOW",
		"topics": [],
		"groups": [],
		"transactional_ids": [],
		"operations": [],
		"hosts": ["*"],
		"create": false,
		"application_id": "",
		"exactly_once": false,
		"inputs": [],
		"outputs": [],
		"connector": "",
		"worker_group": "",
		"dlq": "",
		"offsets_topic": "",
		"service_id": "",
		"expires": "",
		"approved_by": "",
		"reason": "",
		"source": "inv.yaml:10",
	},
	extra,
)

principals := {
	"orders-api": {"auth": "scram-sha-512", "team": "orders", "superuser": false, "source": "inv.yaml:2"},
	"analytics": {"auth": "mtls", "team": "data", "superuser": false, "source": "inv.yaml:3"},
	"admin": {"auth": "scram-sha-512", "team": "platform", "superuser": true, "source": "inv.yaml:4"},
}

topics := {
	"orders.events": {"team": "orders", "classification": "confidential", "source": "inv.yaml:6"},
	"payments.": {"team": "payments", "classification": "restricted", "source": "inv.yaml:7"},
	"payments.*": {"team": "payments", "classification": "restricted", "source": "inv.yaml:7"},
	"ledger": {"team": "payments", "classification": "restricted", "source": "inv.yaml:8"},
}

# inventory builds an input with the fixtures' principals and topics.
inventory(grants) := {"principals": principals, "topics": topics, "grants": grants}

test_grant_fills_defaults if {
	g := grant({"role": "producer"})
	g.role == "producer"
	g.permission == "ALLOW"
}
