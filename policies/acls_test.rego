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
	every r in ["auditor", "connect-worker", "connector", "consumer", "ksqldb", "producer", "schema-registry", "streams-app"] {
		contains(e, sprintf("%s, ", [r]))
	}
	endswith(e, "transactional-producer)")
}

test_streams_app_without_application_id_is_an_error if {
	errs := kafkaguard.grant_errors with input as inventory([grant({"role": "streams-app", "inputs": ["t"]})])
	"inv.yaml:10: grant: role \"streams-app\" needs application_id (the Kafka Streams application.id)" in errs
}

test_role_uses_records_missing_application_ids if {
	uses := kafkaguard.role_uses with input as inventory([
		grant({"role": "producer", "topics": ["t"]}),
		grant({"role": "streams-app", "application_id": "app"}),
	])
	uses == {["producer", true, true, true, true], ["streams-app", false, true, true, true]}
}

test_grant_errors_read_the_uses_of_roles_that_need_settings_only if {
	gs := [
		grant({"role": "producer", "topics": ["t"]}),
		grant({"role": "streams-app", "application_id": "app"}),
		grant({"role": "nope", "topics": ["t"]}),
	]
	kafkaguard.granted_roles == {"producer", "streams-app", "nope"} with input as inventory(gs)
	kafkaguard.required_role_uses == {["streams-app", false, true, true, true]} with input as inventory(gs)
}

test_connector_needs_its_name_and_for_exactly_once_the_worker_group if {
	errs := kafkaguard.grant_errors with input as inventory([
		grant({"role": "connector", "inputs": ["t"]}),
		grant({"role": "connector", "connector": "src", "outputs": ["t"], "exactly_once": true, "source": "inv.yaml:11"}),
		grant({"role": "connector", "connector": "ok", "outputs": ["t"], "source": "inv.yaml:12"}),
	])
	errs == {
		"inv.yaml:10: grant: role \"connector\" needs connector (the connector's name)",
		"inv.yaml:11: grant: role \"connector\" needs worker_group (the Connect cluster's group.id, for an exactly-once source connector)",
	}
}

test_ksqldb_needs_service_id if {
	errs := kafkaguard.grant_errors with input as inventory([grant({"role": "ksqldb", "inputs": ["t"]})])
	"inv.yaml:10: grant: role \"ksqldb\" needs service_id (the ksql.service.id)" in errs
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
	g := grant({
		"topics": ["t"], "groups": ["g*"], "transactional_ids": ["x"], "application_id": "app",
		"inputs": ["i"], "outputs": ["o"], "connector": "c", "worker_group": "w", "dlq": "d",
		"offsets_topic": "off", "service_id": "ks_",
	})
	names := kafkaguard.selected_names(g)
	every sel, _ in kafkaguard.selectors {
		kafkaguard.entry_names(g, sel) == names[sel]
	}
	names == {
		"topics": ["t"], "groups": ["g*"], "transactional_ids": ["x"], "inputs": ["i"], "outputs": ["o"],
		"cluster": ["kafka-cluster"],
		"application_id_topics": ["app-*"], "application_id_groups": ["app"],
		"application_id_transactional_ids": ["app-*"],
		"worker_transactional_ids": ["connect-cluster-g*"],
		"connector_group": ["connect-c"], "dlq": ["d"], "offsets_topic": ["off"],
		"connector_transactional_ids": ["w-c-*"],
		"schemas_topic": ["t"], "schema_registry_group": ["g*"],
		"service_id_topics": ["_confluent-ksql-ks_*"], "service_id_groups": ["_confluent-ksql-ks_*"],
		"service_id_query_transactional_ids": ["_confluent-ksql-ks_*"],
		"service_id_processing_log": ["ks_ksql_processing_log"], "service_id_transactional_id": ["ks_"],
		"all_topics": ["*"], "all_groups": ["*"],
	}
	empty := kafkaguard.selected_names(grant({}))
	every sel in ["application_id_groups", "application_id_topics", "connector_group", "dlq", "connector_transactional_ids", "service_id_topics", "service_id_processing_log", "service_id_transactional_id"] {
		empty[sel] == []
	}
	empty.schemas_topic == ["_schemas"]
	empty.schema_registry_group == ["schema-registry"]
}

test_grant_resources_planned_and_other_agree_with_grant_expansion if {
	gs := [
		grant({"role": "producer", "topics": ["t"]}),
		grant({"role": "producer", "topics": ["t"], "create": true}),
		grant({"role": "transactional-producer", "topics": ["t"], "transactional_ids": ["x"], "create": true}),
		grant({"role": "consumer", "topics": ["a*"], "groups": ["g"]}),
		grant({"role": "streams-app", "inputs": ["t"], "application_id": "app", "exactly_once": true}),
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
