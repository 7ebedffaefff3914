package acme.rules_test

import data.acme.rules
import data.kafkaguard

test_confidential_topic_without_team_is_denied if {
	fs := rules.deny with input as {"topics": {"t": {"team": "", "classification": "confidential", "source": "a.yaml:3"}}}
	some f in fs
	f.id == "ACME001"
	f.location == "a.yaml:3"
}

test_public_topic_without_team_is_fine if {
	count(rules.deny) == 0 with input as {"topics": {"t": {"team": "", "classification": "public", "source": "a.yaml:3"}}}
}

test_operations_without_reason_warn if {
	g := {"principal": "ops", "role": "", "reason": "", "permission": "ALLOW", "source": "a.yaml:9"}
	rules.warn == {"grant a.yaml:9 for ops gives explicit operations without a reason"} with input as {"grants": [g]}
}

test_topic_auditor_describes_only if {
	ops := {op | some e in kafkaguard.roles["topic-auditor"]; some op in e.operations}
	ops == {"DESCRIBE", "DESCRIBE_CONFIGS"}
}
