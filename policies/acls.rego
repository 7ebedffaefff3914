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
# object per grant): topics, groups and transactional_ids are the grant's own
# lists, the application_id selectors its application id as a prefix.
entry_names(g, sel) := g[sel] if {
	sel in grant_list_selectors
} else := application_id_names(g.application_id) if {
	sel in application_id_selectors
} else := ["kafka-cluster"] if {
	sel == "cluster"
}

grant_list_selectors := {"topics", "groups", "transactional_ids"}

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

# grant_errors are mistakes that stop compilation (exit 1): unknown roles,
# roles that need settings the grant lacks, role entries with unknown
# selectors. (A grant whose role gives nothing is reported by the compiler,
# which walks the expansion anyway.) The grants are scanned once, into the
# small set role_uses; only a broken role leads back to its grants.
grant_errors contains msg if {
	some [role, _] in role_uses
	role != ""
	not roles[role]
	some g in input.grants
	g.role == role
	msg := sprintf("%s: grant: unknown role %q (known roles: %s)", [g.source, g.role, concat(", ", sort(object.keys(roles)))])
}

grant_errors contains msg if {
	some [role, true] in role_uses
	role in roles_needing_application_id
	some g in input.grants
	g.role == role
	g.application_id == ""
	msg := sprintf("%s: grant: role %q needs application_id (the Kafka Streams application.id)", [g.source, g.role])
}

grant_errors contains msg if {
	some name, role in roles
	some e in role
	not selectors[e.resource]
	msg := sprintf("role %q: unknown resource selector %q (valid: %s)", [name, e.resource, concat(", ", sort(object.keys(selectors)))])
}

# role_uses is the set of [role, has no application_id] over all grants.
role_uses := {[g.role, g.application_id == ""] | some g in input.grants}

roles_needing_application_id := {name |
	some name, role in roles
	some e in role
	e.resource in application_id_selectors
}
