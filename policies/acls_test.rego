package kafkaguard_test

import data.kafkaguard

test_grant_resources_is_compact if {
	rs := kafkaguard.grant_resources with input as inventory([grant({"role": "producer", "topics": ["t"]})])
	rs == [[["TOPIC", ["t"], ["WRITE", "DESCRIBE"]]]]
}

test_grant_resources_list_names_per_entry if {
	rs := kafkaguard.grant_resources with input as inventory([
		grant({"role": "consumer", "topics": ["a", "b*"]}),
		grant({"operations": ["READ"], "topics": ["c"], "groups": ["g"]}),
	])
	rs == [
		[["TOPIC", ["a", "b*"], ["READ", "DESCRIBE"]], ["GROUP", [], ["READ"]]],
		[["TOPIC", ["c"], ["READ"]], ["GROUP", ["g"], ["READ"]]],
	]
}

test_unknown_role_is_an_error if {
	errs := kafkaguard.grant_errors with input as inventory([grant({"role": "prodcuer", "topics": ["t"]})])
	some e in errs
	startswith(e, "inv.yaml:10: grant: unknown role \"prodcuer\" (known roles: ")
	contains(e, "consumer, producer, streams-app, transactional-producer")
}

test_streams_app_without_application_id_is_an_error if {
	errs := kafkaguard.grant_errors with input as inventory([grant({"role": "streams-app", "topics": ["t"]})])
	"inv.yaml:10: grant: role \"streams-app\" needs application_id (the Kafka Streams application.id)" in errs
}

test_role_uses_records_missing_application_ids if {
	uses := kafkaguard.role_uses with input as inventory([
		grant({"role": "producer", "topics": ["t"]}),
		grant({"role": "streams-app", "application_id": "app"}),
	])
	uses == {["producer", true], ["streams-app", false]}
}

test_user_role_with_unknown_selector_is_an_error if {
	errs := kafkaguard.grant_errors with input as inventory([])
		with kafkaguard.roles as {"bad": [{"resource": "topic", "operations": ["READ"]}]}
	some e in errs
	startswith(e, "role \"bad\": unknown resource selector \"topic\"")
}

test_valid_grants_have_no_errors if {
	count(kafkaguard.grant_errors) == 0 with input as inventory([
		grant({"role": "producer", "topics": ["t"]}),
		grant({"role": "streams-app", "application_id": "app"}),
	])
}

test_entry_names_are_the_selected_names if {
	g := grant({"topics": ["t"], "groups": ["g*"], "transactional_ids": ["x"], "application_id": "app"})
	names := kafkaguard.selected_names(g)
	every sel, _ in kafkaguard.selectors {
		kafkaguard.entry_names(g, sel) == names[sel]
	}
	kafkaguard.entry_names(grant({}), "application_id_groups") == []
}

test_grant_resources_planned_and_other_agree_with_grant_expansion if {
	gs := [
		grant({"role": "producer", "topics": ["t"]}),
		grant({"role": "producer", "topics": ["t"], "create": true}),
		grant({"role": "transactional-producer", "topics": ["t"], "transactional_ids": ["x"], "create": true}),
		grant({"role": "consumer", "topics": ["a*"], "groups": ["g"]}),
		grant({"role": "streams-app", "topics": ["t"], "application_id": "app", "exactly_once": true}),
		grant({"operations": ["READ"], "topics": ["c"]}),
	]
	rs := kafkaguard.grant_resources with input as inventory(gs)
	rs == [kafkaguard.grant_expansion(g) | some g in gs]
	other := kafkaguard.grant_resources_other with input as inventory(gs)
	object.keys(other) == {4, 5}
}

test_role_with_another_condition_has_no_plan if {
	roles := {"r": [{"resource": "topics", "operations": ["READ"], "if": "reason"}]}
	not kafkaguard.role_plans.r with kafkaguard.roles as roles
	rs := kafkaguard.grant_resources with input as inventory([grant({"role": "r", "topics": ["t"]})])
		with kafkaguard.roles as roles
	rs == [[]]
}

test_role_plan_with_exactly_once if {
	roles := {"r": [{"resource": "transactional_ids", "operations": ["WRITE"], "if": "exactly_once"}]}
	rs := kafkaguard.grant_resources with input as inventory([
		grant({"role": "r", "transactional_ids": ["x"], "exactly_once": true}),
		grant({"role": "r", "transactional_ids": ["x"]}),
	])
		with kafkaguard.roles as roles
	rs == [[["TRANSACTIONAL_ID", ["x"], ["WRITE"]]], []]
	count(kafkaguard.grant_resources_other) == 0 with input as inventory([]) with kafkaguard.roles as roles
}
