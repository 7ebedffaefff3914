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
