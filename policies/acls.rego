# The ACL bindings the inventory's grants expand to.
package kafkaguard

# grant_resources[i] lists, for input.grants[i], what each entry of its role
# (or its operations) gives: [resource_type, [names as written], [ops]] (a
# trailing "*" on a name means PREFIXED; the list may be empty). kafkaguard's
# compiler reads this compact form and multiplies it out in Go; `acls` below
# is the same as binding objects. One element per role entry, not per name,
# and an array comprehension, not a partial object rule (OPA checks every new
# key of a partial object against the others, which is quadratic).
grant_resources := [object.get(other, i, rs) |
	other := grant_resources_other
	some i, rs in grant_resources_planned
]

# The compiler reads grant_resources in two parts, as the cheapest passes
# found (a function call per grant costs more than the expansion itself):
# grant_resources_planned[i] is input.grants[i]'s expansion when its role
# has a plan (role_plans: the role's entries that apply, looked up by the
# grant's create and exactly_once), else []; grant_resources_other has the
# expansion of every other grant (operations grants, roles with other
# selectors or conditions), by index.
grant_resources_planned := [[[e.type, g[e.resource], e.operations] |
	some e in plans[g.role][g.create][g.exactly_once]
] |
	plans := role_plans
	some g in input.grants
]

grant_resources_other := {i: grant_expansion(g) |
	plans := role_plans
	some i, g in input.grants
	not plans[g.role][g.create][g.exactly_once]
}

# role_plans[name][create][exactly_once] are the entries of role name that
# apply to a grant with those flags, for the roles (all built in ones but
# streams-app) whose entries all select one of the grant's own lists and
# whose conditions are create or exactly_once: the same as grant_expansion,
# worked out once per role instead of once per grant.
role_plans[name] := {create: {eo: [e | some e in entries; plan_applies(e.condition, create, eo)] |
	some eo in [false, true]
} |
	some create in [false, true]
} if {
	some name, entries in role_entries
	every e in entries {
		e.resource in grant_list_selectors
		e.condition in {"_always", "create", "exactly_once"}
	}
}

plan_applies("_always", _, _)

plan_applies("create", true, _)

plan_applies("exactly_once", _, true)

# grant_expansion is what one grant gives, by role or by operations: per
# role entry that applies (no "if", or the grant sets that flag), the names
# its selector picks. Entries whose selector is one of the grant's own lists
# (most) read it directly; the others go through entry_names.
grant_expansion(g) := array.concat(
	[[e.type, g[e.resource], e.operations] |
		some e in role_list_entries[g.role]
		object.get(g, e.condition, true) == true
	],
	[[e.type, entry_names(g, e.resource), e.operations] |
		some e in role_other_entries[g.role]
		object.get(g, e.condition, true) == true
	],
) if {
	g.role != ""
} else := [[r[0], [r[1]], g.operations] | some r in explicit_names(g)]

# entry_names(g, selector) are the names (as written) a role entry's selector
# picks from grant g, as selected_names(g)[selector] (without building that
# object per grant): topics, groups, transactional_ids, inputs and outputs
# are the grant's own lists, the others are derived from its settings
# (derived_names).
entry_names(g, sel) := g[sel] if {
	sel in grant_list_selectors
} else := derived_names(g, sel)

# derived_names(g, selector) are the names a selector that is not one of the
# grant's lists picks ([] when the setting it needs is empty; grant_errors
# reports a missing required setting).
derived_names(_, "cluster") := ["kafka-cluster"]

derived_names(g, "application_id_topics") := prefix_names(g.application_id, "-")

derived_names(g, "application_id_groups") := literal_names(g.application_id)

derived_names(g, "application_id_transactional_ids") := prefix_names(g.application_id, "-")

derived_names(g, "worker_transactional_ids") := [concat("", ["connect-cluster-", group]) | some group in g.groups]

derived_names(g, "connector_group") := literal_names(concat("", ["connect-", g.connector])) if {
	g.connector != ""
	count(g.inputs) > 0
} else := []

derived_names(g, "dlq") := literal_names(g.dlq)

derived_names(g, "offsets_topic") := literal_names(g.offsets_topic)

derived_names(g, "connector_transactional_ids") := prefix_names(concat("-", [g.worker_group, g.connector]), "-") if {
	g.worker_group != ""
	g.connector != ""
} else := []

derived_names(g, "schemas_topic") := g.topics if count(g.topics) > 0

else := ["_schemas"]

derived_names(g, "schema_registry_group") := g.groups if count(g.groups) > 0

else := ["schema-registry"]

derived_names(g, "service_id_topics") := ksql_internal_prefix(g.service_id)

derived_names(g, "service_id_groups") := ksql_internal_prefix(g.service_id)

derived_names(g, "service_id_query_transactional_ids") := ksql_internal_prefix(g.service_id)

derived_names(g, "service_id_processing_log") := literal_names(concat("", [g.service_id, "ksql_processing_log"])) if {
	g.service_id != ""
} else := []

derived_names(g, "service_id_transactional_id") := literal_names(g.service_id)

derived_names(_, "all_topics") := ["*"]

derived_names(_, "all_groups") := ["*"]

# ksql_internal_prefix is the prefix of a ksqlDB service's internal topics,
# groups and query transactional ids: _confluent-ksql-<service id>.
ksql_internal_prefix(id) := prefix_names(concat("", ["_confluent-ksql-", id]), "") if id != ""

else := []

# literal_names(s) is [s], or [] for "".
literal_names("") := []

literal_names(s) := [s] if s != ""

# prefix_names(s, sep) is the prefix s + sep (written with a trailing "*"),
# or [] for an empty s.
prefix_names("", _) := []

prefix_names(s, sep) := [concat("", [s, sep, "*"])] if s != ""

grant_list_selectors := {"topics", "groups", "transactional_ids", "inputs", "outputs"}

# role_entries are the roles' entries with their resource type and condition
# resolved once ("_always" for none). Complete objects, so that a grant's
# lookup is a plain object access; role_list_entries and role_other_entries
# split them by whether the selector is one of the grant's own lists.
role_entries := {name: [object.union(e, {"type": selectors[e.resource], "condition": object.get(e, "if", "_always")}) |
	some e in role
] |
	some name, role in roles
}

role_list_entries := {name: [e | some e in entries; e.resource in grant_list_selectors] | some name, entries in role_entries}

role_other_entries := {name: es |
	some name, entries in role_entries
	es := [e | some e in entries; not e.resource in grant_list_selectors]
	count(es) > 0
}

# acls is every binding the grants produce, as documented objects.
acls contains b if {
	some i, rs in grant_resources
	g := input.grants[i]
	some [resource_type, names, ops] in rs
	some name in names
	n := split_name(name)
	some op in ops
	some host in g.hosts
	b := {
		"principal": kafka_principal(g.principal),
		"host": host,
		"resource_type": resource_type,
		"resource_name": n[0],
		"pattern_type": n[1],
		"operation": op,
		"permission": g.permission,
	}
}

# grants_by_role[role] are the grants of each role the grants name ("" for
# operations grants), in input order: one pass (OPA indexes the
# comprehension by role; a role without grants would miss the index and
# cost a pass of its own, hence granted_roles), after which a rule about
# some roles' grants iterates only those.
grants_by_role := {role: grants |
	some role in granted_roles
	grants := [g | some g in input.grants; g.role == role]
}

# grant_errors are mistakes that stop compilation (exit 1): unknown roles,
# roles that need settings the grant lacks, role entries with unknown
# selectors. (A grant whose role gives nothing is reported by the compiler,
# which walks the expansion anyway.) The grants are scanned once into the
# roles they name and once into grants_by_role; only the grants of a broken
# role and of the roles that need settings (required_role_uses) are looked
# at again.
grant_errors contains msg if {
	some role in granted_roles
	role != ""
	not roles[role]
	some g in grants_by_role[role]
	msg := sprintf("%s: grant: unknown role %q (known roles: %s)", [g.source, g.role, concat(", ", sort(object.keys(roles)))])
}

# A grant of a role whose entries (that apply to it) need a setting it lacks.
# required_role_uses says which settings some grant of each such role lacks,
# so the grants are scanned again only for a role with a missing setting.
grant_errors contains msg if {
	some use in required_role_uses
	some [setting, condition] in role_requirements[use[0]]
	use[setting_index[setting]] # some grant of this role lacks it
	some g in grants_by_role[use[0]]
	object.get(g, condition, true) == true
	g[setting] == ""
	msg := sprintf("%s: grant: role %q needs %s (%s)", [g.source, g.role, setting, setting_descriptions[setting]])
}

grant_errors contains msg if {
	some name, role in roles
	some e in role
	not selectors[e.resource]
	msg := sprintf("role %q: unknown resource selector %q (valid: %s)", [name, e.resource, concat(", ", sort(object.keys(selectors)))])
}

# role_uses is the set of [role, lacks application_id, lacks connector,
# lacks worker_group, lacks service_id] over all grants.
role_uses := {[g.role, g.application_id == "", g.connector == "", g.worker_group == "", g.service_id == ""] | some g in input.grants}

# granted_roles are the roles the grants name; required_role_uses is
# role_uses for the roles that need settings (role_requirements), the only
# ones grant_errors looks into, read from grants_by_role (building a
# 5-element array for every grant cost 3-4x the grant checks that use them,
# 0.2 s at 22k grants).
granted_roles := {g.role | some g in input.grants}

required_role_uses := {[g.role, g.application_id == "", g.connector == "", g.worker_group == "", g.service_id == ""] |
	by_role := grants_by_role
	some role, _ in role_requirements
	some g in by_role[role]
}

setting_index := {"application_id": 1, "connector": 2, "worker_group": 3, "service_id": 4}

# role_requirements[name] are the [setting, condition] pairs role name's
# entries need, for the roles that need any.
role_requirements[name] := reqs if {
	some name, entries in role_entries
	reqs := {[setting, e.condition] |
		some e in entries
		some setting in selector_requires[e.resource]
	}
	count(reqs) > 0
}
