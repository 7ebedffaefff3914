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

test_auditor_wildcards_are_allowed if {
	fs := kafkaguard.deny with input as inventory([grant({"role": "auditor", "principal": "analytics"})])
	not "KG602" in ids(fs)
}

test_describe_only_wildcard_operations_are_allowed if {
	fs := kafkaguard.deny with input as inventory([
		grant({"operations": ["DESCRIBE", "DESCRIBE_CONFIGS"], "topics": ["*"], "groups": ["*"]}),
		grant({"operations": ["DESCRIBE"], "resource": {"type": "TOPIC", "name": "*"}}),
	])
	not "KG602" in ids(fs)
}

test_deny_wildcard_input_of_a_streams_app if {
	fs := kafkaguard.deny with input as inventory([grant({"role": "streams-app", "application_id": "a", "inputs": ["*"]})])
	"KG602" in ids(fs)
}

test_deny_role_whose_wildcard_selector_reads_data if {
	fs := kafkaguard.deny with input as inventory([grant({"role": "reader"})])
		with kafkaguard.roles as {"reader": [{"resource": "all_topics", "operations": ["READ"]}]}
	some f in fs
	f.id == "KG602"
	contains(f.msg, "every topic")
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

test_streams_app_writes_its_outputs_and_internal_topics if {
	inv := {
		"principals": principals,
		"topics": object.union(topics, {"ledger-store-changelog": {"team": "payments", "source": "inv.yaml:9"}}),
		"grants": [grant({"role": "streams-app", "application_id": "ledger", "inputs": ["orders.events"], "outputs": ["ledger"]})],
	}
	fs := kafkaguard.warn with input as inv
	unwritten := {f.resource | some f in fs; f.id == "KG652"}
	not "Topic:ledger" in unwritten
	not "Topic:ledger-store-changelog" in unwritten
	"Topic:orders.events" in unwritten # an input is read, not written
}

test_streams_app_does_not_write_a_topic_named_like_its_application_id if {
	fs := kafkaguard.warn with input as inventory([grant({"role": "streams-app", "application_id": "ledger"})])
	"Topic:ledger" in {f.resource | some f in fs; f.id == "KG652"}
}

test_warn_application_id_overlap if {
	fs := kafkaguard.warn with input as inventory([
		grant({"role": "streams-app", "application_id": "fraud", "inputs": ["orders.events"]}),
		grant({"role": "streams-app", "application_id": "fraud-scorer", "inputs": ["orders.events"], "source": "inv.yaml:11"}),
		grant({"role": "streams-app", "application_id": "fraudster", "inputs": ["orders.events"], "source": "inv.yaml:12"}),
	])
	overlaps := {f.location | some f in fs; f.id == "KG654"}
	overlaps == {"inv.yaml:11"}
	some f in fs
	f.id == "KG654"
	contains(f.msg, "application_id \"fraud-scorer\" starts with \"fraud-\"")
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

# --- cross-team writes (KG605) ---------------------------------------------

test_deny_cross_team_write if {
	fs := kafkaguard.deny with input as inventory([grant({"principal": "analytics", "role": "producer", "topics": ["orders.events"]})])
	some f in fs
	f.id == "KG605"
	f.msg == "grant inv.yaml:10 lets User:analytics (team \"data\") WRITE topic orders.events of team \"orders\" without approval"
}

test_cross_team_write_with_approval_or_own_team_is_fine if {
	fs := kafkaguard.deny with input as inventory([
		grant({"principal": "analytics", "role": "producer", "topics": ["orders.events"], "approved_by": "orders-lead"}),
		grant({"principal": "orders-api", "role": "producer", "topics": ["orders.events", "orders.new"]}),
		grant({"principal": "analytics", "role": "consumer", "topics": ["orders.events"]}),
	])
	not "KG605" in ids(fs)
}

test_deny_cross_team_write_under_a_declared_prefix_and_by_prefix if {
	fs := kafkaguard.deny with input as inventory([
		grant({"principal": "orders-api", "role": "producer", "topics": ["payments.cards"]}),
		grant({"principal": "orders-api", "role": "streams-app", "application_id": "x", "outputs": ["ledg*"], "source": "inv.yaml:11"}),
		grant({"principal": "orders-api", "operations": ["WRITE"], "topics": ["pay*"], "source": "inv.yaml:12"}),
		grant({"principal": "orders-api", "role": "producer", "topics": ["*"], "source": "inv.yaml:13"}),
	])
	{f.location | some f in fs; f.id == "KG605"} == {"inv.yaml:10", "inv.yaml:11", "inv.yaml:12"}
}

test_cross_team_write_by_a_connector_dlq if {
	fs := kafkaguard.deny with input as inventory([grant({"principal": "analytics", "role": "connector", "connector": "c", "inputs": ["x"], "dlq": "ledger"})])
	"KG605" in ids(fs)
}

test_topic_names_written_of_a_read_only_operations_grant_is_undefined if {
	not kafkaguard.topic_names_written(grant({"operations": ["READ"], "topics": ["t"]}), kafkaguard.role_write_selectors, kafkaguard.role_other_write_entries)
}

test_role_that_only_describes_listed_wildcard_is_allowed if {
	fs := kafkaguard.deny with input as inventory([grant({"role": "describer", "topics": ["*"]})])
		with kafkaguard.roles as {"describer": [
			{"resource": "topics", "operations": ["DESCRIBE"]},
			{"resource": "cluster", "operations": ["DESCRIBE"]},
		]}
	not "KG602" in ids(fs)
}

# --- lifecycle (KG655-KG658) -----------------------------------------------

dated(grants, waivers) := object.union(inventory(grants), {
	"today": "2027-03-20",
	"expiry_warning_until": "2027-04-03",
	"waivers": waivers,
	"expired_grants": [{"principal": "analytics", "role": "consumer", "expires": "2027-03-01", "source": "inv.yaml:20"}],
})

waiver(extra) := object.union(
	{"rule": "KG602", "principal": "analytics", "topic": "", "reason": "r", "approved_by": "ciso", "expires": "2027-03-31", "source": "inv.yaml:30"},
	extra,
)

test_warn_grant_expiring_soon if {
	fs := kafkaguard.warn with input as dated(
		[
			grant({"role": "producer", "topics": ["orders.events"], "expires": "2027-04-03"}),
			grant({"role": "producer", "topics": ["orders.events"], "expires": "2027-04-04", "source": "inv.yaml:11"}),
		],
		[],
	)
	{f.location | some f in fs; f.id == "KG655"} == {"inv.yaml:10"}
	some f in fs
	f.id == "KG655"
	contains(f.msg, "expires on 2027-04-03")
}

test_warn_grant_expired if {
	fs := kafkaguard.warn with input as dated([], [])
	some f in fs
	f.id == "KG656"
	f.msg == "grant inv.yaml:20 of User:analytics expired on 2027-03-01: compile leaves it out, so apply removes its ACLs"
}

test_warn_waiver_expiring_soon_and_not_effective if {
	fs := kafkaguard.warn with input as dated([], [
		waiver({}),
		waiver({"approved_by": "", "source": "inv.yaml:31"}),
		waiver({"expires": "2027-03-19", "source": "inv.yaml:32"}),
		waiver({"expires": "2027-06-01", "source": "inv.yaml:33", "principal": "", "topic": "ledger"}),
		waiver({"expires": "2027-03-21", "source": "inv.yaml:34", "principal": "", "topic": "ledger"}),
	])
	{[f.location, f.resource] | some f in fs; f.id == "KG657"} == {["inv.yaml:30", "User:analytics"], ["inv.yaml:34", "Topic:ledger"]}
	{f.msg | some f in fs; f.id == "KG658"} == {
		"waiver inv.yaml:31 of KG602 for User:analytics does not waive: it has no approved_by",
		"waiver inv.yaml:32 of KG602 for User:analytics does not waive: it expired on 2027-03-19",
	}
}

test_cross_team_findings_name_their_topic if {
	fs := kafkaguard.deny with input as inventory([
		grant({"principal": "analytics", "role": "consumer", "topics": ["ledger"]}),
		grant({"principal": "analytics", "role": "producer", "topics": ["orders.events"], "source": "inv.yaml:11"}),
	])
	{[f.id, f.topic] | some f in fs; f.id in {"KG603", "KG605"}} == {["KG603", "ledger"], ["KG605", "orders.events"]}
}

test_host_not_ip_warns if {
	fs := kafkaguard.warn with input as inventory([grant({"operations": ["READ"], "topics": ["t"], "hosts": ["broker.example.com", "10.0.0.1", "::1", "*"]})])
	msgs := {f.msg | some f in fs; f.id == "KG659"}
	count(msgs) == 1
	some m in msgs
	contains(m, `host "broker.example.com" is not an IP address`)
}

test_operation_never_matches_warns if {
	fs := kafkaguard.warn with input as inventory([grant({"permission": "DENY", "operations": ["WRITE", "READ", "ALL"], "groups": ["g"]})])
	msgs := {f.msg | some f in fs; f.id == "KG660"}
	count(msgs) == 1
	some m in msgs
	contains(m, "WRITE is not an operation of GROUP g")
}

# --- quotas (KG606) ---------------------------------------------------------

quota_input(grants, quotas, principal_quotas) := object.union(inventory(grants), {
	"quotas": quotas,
	"principals": object.union(principals, principal_quotas),
})

test_deny_principal_without_quota_on_required_classification if {
	fs := kafkaguard.deny with input as quota_input(
		[grant({"principal": "analytics", "role": "consumer", "topics": ["orders.events"]})],
		{"clients": {}, "require_for": ["confidential"]},
		{},
	)
	some f in fs
	f.id == "KG606"
	contains(f.msg, "access to confidential topic orders.events, but User:analytics has no quota")
}

test_quota_or_default_satisfies_the_requirement if {
	g := [grant({"principal": "analytics", "role": "consumer", "topics": ["orders.events"]})]
	req := {"clients": {}, "require_for": ["confidential"]}
	own := {"analytics": object.union(principals.analytics, {"quotas": {"consumer_byte_rate": 1024}})}
	not "KG606" in ids(kafkaguard.deny) with input as quota_input(g, req, own)
	not "KG606" in ids(kafkaguard.deny) with input as quota_input(g, object.union(req, {"default": {"consumer_byte_rate": 1}}), {})
	not "KG606" in ids(kafkaguard.deny) with input as quota_input(g, {"clients": {}, "require_for": ["restricted"]}, {})
}

test_topic_names_written_of_a_producer_are_its_topics if {
	kafkaguard.topic_names_written(grant({"role": "producer", "topics": ["a", "b*"]}), kafkaguard.role_write_selectors, kafkaguard.role_other_write_entries) == ["a", "b*"]
}

test_describe_only_role_may_list_every_topic if {
	fs := kafkaguard.deny with input as inventory([grant({"role": "describer", "topics": ["*"]})])
		with kafkaguard.roles as {"describer": [{"resource": "topics", "operations": ["DESCRIBE"]}]}
	not "KG602" in ids(fs)
}

test_metadata_only_of_a_role_whose_entries_on_the_list_describe if {
	kafkaguard.metadata_only(grant({"role": "describer", "topics": ["*"]}), "topics") with kafkaguard.roles as {"describer": [
		{"resource": "topics", "operations": ["DESCRIBE"]},
		{"resource": "groups", "operations": ["READ"]},
	]}
}

test_declared_topics_covered_by_names_as_written if {
	kafkaguard.declared_topics_covered("*") == set() with input as inventory([])
	kafkaguard.declared_topics_covered("nothing") == set() with input as inventory([])
	kafkaguard.declared_topics_covered("payments.cards") == {"payments.*"} with input as inventory([])
	kafkaguard.declared_topics_covered("led*") == {"ledger"} with input as inventory([])
}
