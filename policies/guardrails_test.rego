package kafkaguard_test

import data.kafkaguard

ids(results) := {f.id | some f in results}

# --- deny -----------------------------------------------------------------

test_deny_allow_to_everyone if {
	fs := kafkaguard.deny with input as inventory([grant({"principal": "*", "role": "producer", "topics": ["t"]})])
	some f in fs
	f.id == "KG601"
	f.msg == "grant inv.yaml:10 allows everyone (User:*)"
	f.location == "inv.yaml:10"
}

test_deny_to_everyone_is_fine if {
	fs := kafkaguard.deny with input as inventory([grant({"principal": "*", "permission": "DENY", "operations": ["READ"], "topics": ["t"]})])
	not "KG601" in ids(fs)
}

test_deny_wildcard_topic_for_non_superuser if {
	fs := kafkaguard.deny with input as inventory([grant({"role": "consumer", "topics": ["*"]})])
	some f in fs
	f.id == "KG602"
	contains(f.msg, "grant inv.yaml:10 gives User:orders-api every topic")
}

test_deny_wildcard_group_for_non_superuser if {
	fs := kafkaguard.deny with input as inventory([grant({"role": "consumer", "topics": ["orders.events"], "groups": ["*"]})])
	some f in fs
	f.id == "KG602"
	contains(f.msg, "every group")
}

test_deny_wildcard_resource_for_non_superuser if {
	fs := kafkaguard.deny with input as inventory([grant({"operations": ["READ"], "resource": {"type": "TOPIC", "name": "*"}})])
	"KG602" in ids(fs)
}

test_wildcard_is_fine_for_superuser if {
	fs := kafkaguard.deny with input as inventory([grant({"principal": "admin", "role": "consumer", "topics": ["*"], "groups": ["*"]})])
	not "KG602" in ids(fs)
}

test_deny_wildcard_grant_is_fine if {
	fs := kafkaguard.deny with input as inventory([grant({"permission": "DENY", "operations": ["READ"], "topics": ["*"]})])
	not "KG602" in ids(fs)
}

test_prefix_is_not_a_wildcard if {
	fs := kafkaguard.deny with input as inventory([grant({"role": "consumer", "topics": ["orders.*"], "groups": ["orders-*"]})])
	not "KG602" in ids(fs)
}

test_deny_cross_team_read_of_restricted_literal if {
	fs := kafkaguard.deny with input as inventory([grant({"principal": "analytics", "role": "consumer", "topics": ["ledger"]})])
	some f in fs
	f.id == "KG603"
	f.msg == "grant inv.yaml:10 lets User:analytics (team \"data\") READ restricted topic ledger of team \"payments\" without approval"
}

test_deny_cross_team_read_under_restricted_prefix if {
	fs := kafkaguard.deny with input as inventory([grant({"principal": "analytics", "role": "consumer", "topics": ["payments.cards"]})])
	"KG603" in ids(fs)
}

test_deny_cross_team_read_with_overlapping_prefix if {
	fs := kafkaguard.deny with input as inventory([grant({"principal": "analytics", "role": "consumer", "topics": ["pay*"]})])
	"KG603" in ids(fs)
}

test_deny_cross_team_read_under_restricted_prefix_with_prefix if {
	fs := kafkaguard.deny with input as inventory([grant({"principal": "analytics", "role": "consumer", "topics": ["payments.cards.*"]})])
	"KG603" in ids(fs)
}

test_deny_cross_team_read_with_explicit_operations if {
	fs := kafkaguard.deny with input as inventory([grant({"principal": "analytics", "operations": ["READ"], "topics": ["ledger"]})])
	"KG603" in ids(fs)
}

test_deny_cross_team_read_with_wildcard if {
	fs := kafkaguard.deny with input as inventory([grant({"principal": "analytics", "role": "consumer", "topics": ["*"]})])
	"KG603" in ids(fs)
}

test_approved_cross_team_read_is_fine if {
	fs := kafkaguard.deny with input as inventory([grant({
		"principal": "analytics", "role": "consumer",
		"topics": ["ledger"], "approved_by": "payments-lead",
	})])
	not "KG603" in ids(fs)
}

test_same_team_read_of_restricted_is_fine if {
	inv := object.union(
		inventory([grant({"principal": "analytics", "role": "consumer", "topics": ["ledger"]})]),
		{"principals": {"analytics": {"team": "payments"}}},
	)
	fs := kafkaguard.deny with input as inv
	not "KG603" in ids(fs)
}

test_writing_restricted_is_not_reading if {
	fs := kafkaguard.deny with input as inventory([grant({"principal": "analytics", "role": "producer", "topics": ["ledger"]})])
	not "KG603" in ids(fs)
}

test_deny_superuser_with_weak_auth if {
	inv := object.union(inventory([]), {"principals": {"root": {"auth": "plain", "team": "ops", "superuser": true, "source": "inv.yaml:5"}}})
	fs := kafkaguard.deny with input as inv
	some f in fs
	f.id == "KG604"
	f.msg == "superuser User:root (inv.yaml:5) authenticates with plain"
}

test_scram_superuser_is_fine if {
	fs := kafkaguard.deny with input as inventory([])
	not "KG604" in ids(fs)
}

# --- warn -----------------------------------------------------------------

test_warn_principal_without_grants if {
	fs := kafkaguard.warn with input as inventory([grant({"role": "producer", "topics": ["orders.events"]})])
	some f in fs
	f.id == "KG651"
	f.resource == "User:analytics"
	not "User:admin" in {g.resource | some g in fs; g.id == "KG651"}
}

test_warn_topic_without_writer if {
	fs := kafkaguard.warn with input as inventory([grant({"role": "producer", "topics": ["orders.events"]})])
	unwritten := {f.resource | some f in fs; f.id == "KG652"}
	unwritten == {"Topic:ledger", "Topic:payments.*", "Topic:payments."}
}

test_topic_written_through_prefix if {
	fs := kafkaguard.warn with input as inventory([grant({"role": "producer", "topics": ["pay*", "led*"]})])
	unwritten := {f.resource | some f in fs; f.id == "KG652"}
	unwritten == {"Topic:orders.events"}
}

test_topic_prefix_written_through_narrower_prefix if {
	fs := kafkaguard.warn with input as inventory([grant({"role": "producer", "topics": ["payments.cards.*"]})])
	not "Topic:payments.*" in {f.resource | some f in fs; f.id == "KG652"}
}

test_topic_prefix_written_through_literal_or_wildcard if {
	fs := kafkaguard.warn with input as inventory([
		grant({"role": "producer", "topics": ["payments.cards"]}),
		grant({"operations": ["ALL"], "topics": ["*"], "principal": "admin"}),
	])
	not "KG652" in ids(fs)
}

test_streams_app_writes_its_prefix if {
	fs := kafkaguard.warn with input as inventory([grant({"role": "streams-app", "application_id": "ledger"})])
	not "Topic:ledger" in {f.resource | some f in fs; f.id == "KG652"}
}

test_warn_prefix_matching_nothing if {
	fs := kafkaguard.warn with input as inventory([grant({"role": "consumer", "topics": ["invoices.*"]})])
	some f in fs
	f.id == "KG653"
	f.msg == "grant inv.yaml:10: prefix invoices.* matches no declared topic"
}

test_prefix_matching_a_declared_topic_is_fine if {
	fs := kafkaguard.warn with input as inventory([
		grant({"role": "consumer", "topics": ["orders.*", "payments.*", "payments.cards.*"]}),
		grant({"operations": ["READ"], "resource": {"type": "TOPIC", "name": "led*"}}),
	])
	not "KG653" in ids(fs)
}

test_warn_prefix_of_explicit_resource if {
	fs := kafkaguard.warn with input as inventory([grant({"operations": ["READ"], "resource": {"type": "TOPIC", "name": "nothing.*"}})])
	"KG653" in ids(fs)
}
