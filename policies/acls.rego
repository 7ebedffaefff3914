# The ACL bindings the inventory's grants expand to.
package kafkaguard

# grant_resources[i] lists, for input.grants[i], the resources and operations
# its role or operations give: [resource_type, name, pattern_type, [ops]].
# kafkaguard's compiler reads this compact form; `acls` below is the same as
# binding objects.
grant_resources[i] := rs if {
	some i, g in input.grants
	g.role != ""
	role := roles[g.role]
	rs := [[r[0], r[1], r[2], e.operations] |
		some e in role
		entry_applies(g, e)
		some r in resources_of(g, e.resource)
	]
}

grant_resources[i] := rs if {
	some i, g in input.grants
	g.role == ""
	rs := [[r[0], r[1], r[2], g.operations] | some r in explicit_resources(g)]
}

# acls is every binding the grants produce, as documented objects.
acls contains b if {
	some i, rs in grant_resources
	g := input.grants[i]
	some r in rs
	some op in r[3]
	some host in g.hosts
	b := {
		"principal": kafka_principal(g.principal),
		"host": host,
		"resource_type": r[0],
		"resource_name": r[1],
		"pattern_type": r[2],
		"operation": op,
		"permission": g.permission,
	}
}

# grant_errors are mistakes that stop compilation (exit 1): unknown roles,
# roles that need settings the grant lacks, grants that give nothing.
grant_errors contains msg if {
	some g in input.grants
	g.role != ""
	not roles[g.role]
	msg := sprintf("%s: grant: unknown role %q (known roles: %s)", [g.source, g.role, concat(", ", sort(object.keys(roles)))])
}

grant_errors contains msg if {
	some g in input.grants
	g.application_id == ""
	some e in roles[g.role]
	e.resource in application_id_selectors
	msg := sprintf("%s: grant: role %q needs application_id (the Kafka Streams application.id)", [g.source, g.role])
}

grant_errors contains msg if {
	some name, role in roles
	some e in role
	not selectors[e.resource]
	msg := sprintf("role %q: unknown resource selector %q (valid: %s)", [name, e.resource, concat(", ", sort(object.keys(selectors)))])
}

grant_errors contains msg if {
	some i, g in input.grants
	roles[g.role]
	count(grant_resources[i]) == 0
	msg := sprintf("%s: grant: role %q gives %s nothing here (list the topics, groups or transactional_ids it applies to)", [g.source, g.role, g.principal])
}
