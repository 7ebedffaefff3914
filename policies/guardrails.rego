# Guardrails: deny (the inventory must not be applied) and warn (worth a
# look). Each result names the grant or declaration (file:line) and what to do.
package kafkaguard

# --- indexes, built once per evaluation -------------------------------------

# Principals that have at least one grant.
granted_principals := {g.principal | some g in input.grants}

# Roles whose entries READ (or ALL) the grant's topics, and likewise WRITE.
topic_reading_roles := {name |
	some name, role in roles
	some e in role
	e.resource == "topics"
	some op in e.operations
	op in {"READ", "ALL"}
}

topic_writing_roles := {name |
	some name, role in roles
	some e in role
	e.resource in {"topics", "application_id_topics"}
	some op in e.operations
	op in {"WRITE", "ALL"}
}

# topic_names_read(g) are the topic names (as written) an ALLOW grant reads.
topic_names_read(g) := g.topics if {
	g.role in topic_reading_roles
} else := names if {
	g.role == ""
	some op in g.operations
	op in {"READ", "ALL"}
	names := explicit_topic_names(g)
}

explicit_topic_names(g) := [g.resource.name] if {
	g.resource.type == "TOPIC"
} else := g.topics if not g.resource

# Topic names (as written) some ALLOW grant may write, split by pattern.
written_names contains name if {
	some g in input.grants
	g.permission == "ALLOW"
	g.role in topic_writing_roles
	some name in array.concat(g.topics, application_id_prefix(g))
}

written_names contains name if {
	some g in input.grants
	g.permission == "ALLOW"
	g.role == ""
	some op in g.operations
	op in {"WRITE", "ALL"}
	some name in explicit_topic_names(g)
}

application_id_prefix(g) := [concat("", [g.application_id, "*"])] if g.application_id != ""

else := []

written_literals := {n | some n in written_names; split_name(n)[1] == "LITERAL"}

written_prefixes := {p | some n in written_names; [p, "PREFIXED"] = split_name(n)}

# Declared topics by pattern; restricted ones separately.
declared_bases := {split_name(name)[0] | some name, _ in input.topics}

declared_prefixes := {p | some name, _ in input.topics; [p, "PREFIXED"] = split_name(name)}

restricted_literals[name] := t if {
	some name, t in input.topics
	t.classification == "restricted"
	split_name(name)[1] == "LITERAL"
}

restricted_prefixes[name] := t if {
	some name, t in input.topics
	t.classification == "restricted"
	split_name(name)[1] == "PREFIXED"
}

# restricted_topics_covered(n) are the restricted topics (as declared) that a
# grant's topic name n reaches. Literal names are looked up; only prefixed
# names and restricted prefixes are scanned.
restricted_topics_covered(n) := ((({name |
	some name, _ in restricted_literals
	n == "*"
} | {name |
	some name, _ in restricted_prefixes
	n == "*"
}) | {n | restricted_literals[n]}) | {name |
	split_name(n)[1] == "LITERAL"
	some name, _ in restricted_prefixes
	startswith(n, split_name(name)[0])
}) | {name |
	[p, "PREFIXED"] = split_name(n)
	some name, _ in object.union(restricted_literals, restricted_prefixes)
	overlaps_prefix(p, split_name(name))
}

overlaps_prefix(p, [base, _]) if startswith(base, p)

overlaps_prefix(p, [base, "PREFIXED"]) if startswith(p, base)

# --- deny -------------------------------------------------------------------

# An ALLOW to User:* opens the resource to every authenticated client.
deny contains f if {
	some g in input.grants
	g.principal == "*"
	g.permission == "ALLOW"
	f := finding(
		"KG201", "allow-everyone", g.source, "User:*",
		sprintf("grant %s allows everyone (User:*)", [g.source]),
		"grant the access to named principals instead, or make it permission: DENY",
	)
}

# A literal "*" topic or group gives every present and future resource.
deny contains f if {
	some g in input.grants
	g.permission == "ALLOW"
	not is_superuser(g.principal)
	some [kind, name] in wildcard_resources(g)
	f := finding(
		"KG202", "wildcard-resource", g.source, kafka_principal(g.principal),
		sprintf("grant %s gives User:%s every %s (%s \"*\"), but it is not a superuser", [g.source, g.principal, kind, kind]),
		sprintf("list the %ss it needs, or a prefix such as \"%s.*\"", [kind, object.get(input.principals, [g.principal, "team"], "team")]),
	)
	name == "*"
}

wildcard_resources(g) := ({["topic", t] | some t in g.topics} | {["group", t] | some t in g.groups}) | {[lower(g.resource.type), g.resource.name] |
	g.resource.type in {"TOPIC", "GROUP"}
}

# Reading another team's restricted topic needs a recorded approval.
deny contains f if {
	some g in input.grants
	g.permission == "ALLOW"
	g.approved_by == ""
	some n in topic_names_read(g)
	some name in restricted_topics_covered(n)
	t := input.topics[name]
	object.get(t, "team", "") != team_of(g.principal)
	f := finding(
		"KG203", "restricted-cross-team-read", g.source, kafka_principal(g.principal),
		sprintf(
			"grant %s lets User:%s (team %q) READ restricted topic %s of team %q without approval",
			[g.source, g.principal, team_of(g.principal), name, object.get(t, "team", "")],
		),
		sprintf("add approved_by: <who approved> to the grant once team %q agrees, or remove the grant", [object.get(t, "team", "")]),
	)
}

# A superuser bypasses every ACL: it must use strong authentication.
deny contains f if {
	some name, p in input.principals
	p.superuser == true
	not p.auth in {"scram-sha-256", "scram-sha-512", "mtls"}
	f := finding(
		"KG204", "superuser-weak-auth", p.source, kafka_principal(name),
		sprintf("superuser User:%s (%s) authenticates with %s", [name, p.source, p.auth]),
		"use auth: scram-sha-512 or mtls for superusers, or drop superuser: true",
	)
}

# --- warn -------------------------------------------------------------------

warn contains f if {
	some name, p in input.principals
	not p.superuser
	not granted_principals[name]
	f := finding(
		"KG251", "principal-without-grants", p.source, kafka_principal(name),
		sprintf("principal User:%s (%s) has no grants", [name, p.source]),
		"add a grant for it, or remove it from the inventory",
	)
}

warn contains f if {
	some name, t in input.topics
	not topic_is_written(split_name(name))
	f := finding(
		"KG252", "topic-without-writer", t.source, concat("", ["Topic:", name]),
		sprintf("no principal may write topic %s (%s)", [name, t.source]),
		"grant a producer role on it, or remove the topic if it is unused",
	)
}

topic_is_written([n, "LITERAL"]) if written_literals[n]

topic_is_written([_, "LITERAL"]) if "*" in written_literals

topic_is_written([n, "LITERAL"]) if strings.any_prefix_match(n, written_prefixes)

topic_is_written([p, "PREFIXED"]) if strings.any_prefix_match(written_literals, p)

topic_is_written([p, "PREFIXED"]) if strings.any_prefix_match(written_prefixes, p)

topic_is_written([p, "PREFIXED"]) if strings.any_prefix_match(p, written_prefixes)

warn contains f if {
	some g in input.grants
	some name in explicit_topic_names_or_topics(g)
	[p, "PREFIXED"] = split_name(name)
	not prefix_matches_declared(p)
	f := finding(
		"KG253", "prefix-matches-nothing", g.source, concat("", ["Topic:", name]),
		sprintf("grant %s: prefix %s matches no declared topic", [g.source, name]),
		"declare the topics under it, or fix the prefix",
	)
}

explicit_topic_names_or_topics(g) := explicit_topic_names(g) if g.role == ""

else := g.topics

prefix_matches_declared(p) if declared_bases[p]

prefix_matches_declared(p) if strings.any_prefix_match(p, declared_prefixes)

prefix_matches_declared(p) if strings.any_prefix_match(declared_bases, p)
