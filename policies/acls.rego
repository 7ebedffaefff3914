# The ACL bindings the inventory's grants expand to.
package kafkaguard

# grant_resources[i] lists, for input.grants[i], the resources and operations
# its role or operations give: [resource_type, name as written, [ops]] (a
# trailing "*" on the name means PREFIXED). kafkaguard's compiler reads this
# compact form; `acls` below is the same as binding objects. (An array
# comprehension, not a partial object rule: OPA checks every new key of a
# partial object against the others, which is quadratic.)
grant_resources := [grant_expansion(g) | some g in input.grants]

# grant_expansion is what one grant gives, by role or by operations. The
# selector names are built once per grant; an entry applies when it has no
# "if" or the grant sets that flag.
grant_expansion(g) := [[e.type, name, e.operations] |
	names := selected_names(g)
	some e in role_entries[g.role]
	object.get(g, e.condition, true) == true
	some name in names[e.resource]
] if {
	g.role != ""
} else := [[r[0], r[1], g.operations] | some r in explicit_names(g)]

# role_entries are the roles' entries with their resource type and condition
# resolved once ("_always" for none).
role_entries[name] := [object.union(e, {"type": selectors[e.resource], "condition": object.get(e, "if", "_always")}) |
	some e in role
] if {
	some name, role in roles
}

# acls is every binding the grants produce, as documented objects.
acls contains b if {
	some i, rs in grant_resources
	g := input.grants[i]
	some [resource_type, name, ops] in rs
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
