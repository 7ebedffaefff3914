package kafkaguard_test

import data.kafkaguard

test_split_name_trailing_star_is_prefixed if {
	kafkaguard.split_name("orders.*") == ["orders.", "PREFIXED"]
}

test_split_name_star_alone_is_literal_wildcard if {
	kafkaguard.split_name("*") == ["*", "LITERAL"]
}

test_split_name_plain_is_literal if {
	kafkaguard.split_name("orders") == ["orders", "LITERAL"]
}

test_explicit_names_prefer_resource if {
	g := grant({"operations": ["READ"], "resource": {"type": "TOPIC", "name": "audit.*"}})
	kafkaguard.explicit_names(g) == [["TOPIC", "audit.*"]]
}

test_explicit_names_list_every_kind if {
	g := grant({"operations": ["DESCRIBE"], "topics": ["t"], "groups": ["g"], "transactional_ids": ["x*"]})
	kafkaguard.explicit_names(g) == [["TOPIC", "t"], ["GROUP", "g"], ["TRANSACTIONAL_ID", "x*"]]
}

test_selected_names_of_application_id_are_prefixes if {
	names := kafkaguard.selected_names(grant({"application_id": "app"}))
	names.application_id_topics == ["app-*"]
	names.application_id_groups == ["app"]
	names.application_id_transactional_ids == ["app-*"]
	kafkaguard.selected_names(grant({})).application_id_groups == []
	kafkaguard.selected_names(grant({})).cluster == ["kafka-cluster"]
}

test_team_of_unknown_principal_is_empty if {
	kafkaguard.team_of("nobody") == "" with input as inventory([])
	kafkaguard.team_of("analytics") == "data" with input as inventory([])
}

test_is_superuser if {
	kafkaguard.is_superuser("admin") with input as inventory([])
	not kafkaguard.is_superuser("analytics") with input as inventory([])
}
