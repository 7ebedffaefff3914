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

test_resources_of_cluster if {
	kafkaguard.resources_of(grant({}), "cluster") == {["CLUSTER", "kafka-cluster", "LITERAL"]}
}

test_explicit_resources_prefer_resource if {
	g := grant({"operations": ["READ"], "resource": {"type": "TOPIC", "name": "audit.*"}})
	kafkaguard.explicit_resources(g) == {["TOPIC", "audit.", "PREFIXED"]}
}

test_entry_applies_without_condition if {
	kafkaguard.entry_applies(grant({}), {"resource": "topics", "operations": ["READ"]})
}

test_entry_with_condition_needs_flag if {
	not kafkaguard.entry_applies(grant({}), {"resource": "topics", "operations": ["CREATE"], "if": "create"})
	kafkaguard.entry_applies(grant({"create": true}), {"resource": "topics", "operations": ["CREATE"], "if": "create"})
}

test_team_of_unknown_principal_is_empty if {
	kafkaguard.team_of("nobody") == "" with input as inventory([])
	kafkaguard.team_of("analytics") == "data" with input as inventory([])
}

test_is_superuser if {
	kafkaguard.is_superuser("admin") with input as inventory([])
	not kafkaguard.is_superuser("analytics") with input as inventory([])
}
