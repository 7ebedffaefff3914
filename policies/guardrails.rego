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
	g.role in topic_writing_roles
	g.permission == "ALLOW"
	some name in g.topics
}

written_names contains concat("", [g.application_id, "*"]) if {
	some g in input.grants
	g.application_id != ""
	g.role in topic_writing_roles
	g.permission == "ALLOW"
}

written_names contains name if {
	some g in input.grants
	g.permission == "ALLOW"
	g.role == ""
	some op in g.operations
	op in {"WRITE", "ALL"}
	some name in explicit_topic_names(g)
}

written_literals := {n | some n in written_names; not endswith(n, "*")} | {"*" | "*" in written_names}

written_prefixes := {trim_suffix(n, "*") | some n in written_names; endswith(n, "*"); n != "*"}

# Declared topics by pattern ("*" alone is never declared); restricted ones
# separately.
declared_bases := {trim_suffix(name, "*") | some name, _ in input.topics}

declared_prefixes := {trim_suffix(name, "*") | some name, _ in input.topics; endswith(name, "*")}

restricted_literals := {name: t |
	some name, t in input.topics
	t.classification == "restricted"
	split_name(name)[1] == "LITERAL"
}

restricted_prefixes := {name: t |
	some name, t in input.topics
	t.classification == "restricted"
	split_name(name)[1] == "PREFIXED"
}

# restricted_topics_covered(n) are the restricted topics (as declared) that a
# grant's topic name n reaches. Literal names are looked up; only restricted
# prefixes (and, for a prefixed or "*" name, restricted topics) are scanned.
restricted_topics_covered(n) := {name | n == "*"; some name, _ in restricted_topics} if {
	n == "*"
} else := {n | restricted_literals[n]} | {name |
	some name, _ in restricted_prefixes
	startswith(n, trim_suffix(name, "*"))
} if {
	split_name(n)[1] == "LITERAL"
} else := {name |
	p := trim_suffix(n, "*")
	some name, _ in restricted_topics
	overlaps_prefix(p, split_name(name))
}

restricted_topics := object.union(restricted_literals, restricted_prefixes)

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
	some kind in wildcard_kinds(g)
	g.permission == "ALLOW"
	not is_superuser(g.principal)
	f := finding(
		"KG202", "wildcard-resource", g.source, kafka_principal(g.principal),
		sprintf("grant %s gives User:%s every %s (%s \"*\"), but it is not a superuser", [g.source, g.principal, kind, kind]),
		sprintf("list the %ss it needs, or a prefix such as \"%s.*\"", [kind, object.get(input.principals, [g.principal, "team"], "team")]),
	)
}

# wildcard_kinds(g) is the set of resource kinds ("topic", "group") grant g
# names with a literal "*".
wildcard_kinds(g) := {kind |
	some kind, names in {"topic": g.topics, "group": g.groups}
	"*" in names
} | {lower(g.resource.type) |
	g.resource.name == "*"
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
	not written_literals[name]
	not topic_is_written(name)
	f := finding(
		"KG252", "topic-without-writer", t.source, concat("", ["Topic:", name]),
		sprintf("no principal may write topic %s (%s)", [name, t.source]),
		"grant a producer role on it, or remove the topic if it is unused",
	)
}

# topic_is_written(name) holds when an ALLOW grant writes the declared topic
# name (as written) or, for a prefix, some topic under it.
topic_is_written(_) if "*" in written_literals

topic_is_written(name) if {
	not endswith(name, "*")
	strings.any_prefix_match(name, written_prefixes)
}

topic_is_written(name) if {
	endswith(name, "*")
	p := trim_suffix(name, "*")
	some written in [written_literals, written_prefixes]
	strings.any_prefix_match(written, p)
}

topic_is_written(name) if {
	endswith(name, "*")
	strings.any_prefix_match(trim_suffix(name, "*"), written_prefixes)
}

warn contains f if {
	some g in input.grants
	some name in g.topics
	endswith(name, "*")
	name != "*"
	not prefix_matches_declared(trim_suffix(name, "*"))
	f := prefix_matches_nothing(g, name)
}

warn contains f if {
	some g in input.grants
	g.resource.type == "TOPIC"
	name := g.resource.name
	endswith(name, "*")
	name != "*"
	not prefix_matches_declared(trim_suffix(name, "*"))
	f := prefix_matches_nothing(g, name)
}

prefix_matches_nothing(g, name) := finding(
	"KG253", "prefix-matches-nothing", g.source, concat("", ["Topic:", name]),
	sprintf("grant %s: prefix %s matches no declared topic", [g.source, name]),
	"declare the topics under it, or fix the prefix",
)

prefix_matches_declared(p) if declared_bases[p]

prefix_matches_declared(p) if strings.any_prefix_match(p, declared_prefixes)

prefix_matches_declared(p) if strings.any_prefix_match(declared_bases, p)
