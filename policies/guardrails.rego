# Guardrails: deny (the inventory must not be applied) and warn (worth a
# look). Each result names the grant or declaration (file:line) and what to do.
package kafkaguard

# --- indexes, built once per evaluation -------------------------------------

# Grants with an explicit resource, found in one pass for the rules about
# explicit resources (rare), which then skip the other grants.
resource_grants := [g | some g in input.grants; g.resource]

# Principals that have at least one grant.
granted_principals := {g.principal | some g in input.grants}

# Grants to every principal (User:*), and the principals declared
# superusers, each found in one pass.
everyone_grants := [g | some g in input.grants; g.principal == "*"]

superusers := {name: p | some name, p in input.principals; p.superuser == true}

# role_read_selectors[role] are the grant lists (topics, inputs) that role's
# entries READ (or ALL); role_write_selectors[role] likewise the lists it
# WRITEs, and role_other_write_entries[role] its entries with other
# selectors that WRITE (internal topics, a DLQ, ...). Only roles that have
# any are keys, so a grant's role is looked up, not scanned.
role_read_selectors[name] := sels if {
	some name, entries in role_entries
	sels := {e.resource | some e in entries; e.resource in topic_list_selectors; entry_has_op(e, "READ")}
	count(sels) > 0
}

role_write_selectors[name] := sels if {
	some name, entries in role_entries
	sels := {e.resource | some e in entries; e.resource in topic_list_selectors; entry_has_op(e, "WRITE")}
	count(sels) > 0
}

role_other_write_entries[name] := es if {
	some name, entries in role_entries
	es := [e | some e in entries; e.type == "TOPIC"; not e.resource in topic_list_selectors; entry_has_op(e, "WRITE")]
	count(es) > 0
}

topic_list_selectors := {"topics", "inputs", "outputs"}

entry_has_op(e, op) if {
	some o in e.operations
	o in {op, "ALL"}
}

# topic_names_read(g) are the topic names (as written) an operations grant
# with READ (or ALL) reads.
topic_names_read(g) := explicit_topic_names(g) if {
	some op in g.operations
	op in {"READ", "ALL"}
}

explicit_topic_names(g) := [g.resource.name] if {
	g.resource.type == "TOPIC"
} else := g.topics if not g.resource

# Topic names (as written) some ALLOW grant may write, split by pattern.
written_names := ({name |
	by_role := role_write_selectors # bound once: a lookup of a role it lacks is not cached
	some g in input.grants
	sels := by_role[g.role]
	g.permission == "ALLOW"
	some sel in sels
	some name in g[sel]
} | {name |
	by_role := role_other_write_entries
	some g in input.grants
	es := by_role[g.role]
	g.permission == "ALLOW"
	some e in es
	object.get(g, e.condition, true) == true
	some name in entry_names(g, e.resource)
}) | {name |
	some g in input.grants
	g.role == ""
	g.permission == "ALLOW"
	some op in g.operations
	op in {"WRITE", "ALL"}
	some name in explicit_topic_names(g)
}

written_literals := {n | some n in written_names; not endswith(n, "*")} | {"*" | "*" in written_names}

written_prefixes := {trim_suffix(n, "*") | some n in written_names; endswith(n, "*"); n != "*"}

# Declared topic names as written (a Go builtin, no Rego loop) and the bases
# of the declared prefixes. Used only when a grant's prefix is not itself
# declared.
declared_names := object.keys(input.topics)

# declared_by_segment groups the declared names (as written) by their first
# segment (up to the first "."), declared_segments are those segments: a name
# starts with a prefix p exactly when its segment starts with p (p without a
# "."), or it is among the names of p's own first segment and starts with p
# (p with one). OPA indexes the inner comprehension by seg: one pass.
declared_segment := {name: split(name, ".")[0] | some name in declared_names}

declared_segments := {s | some _, s in declared_segment}

declared_by_segment[seg] := names if {
	some seg in declared_segments
	names := [name | some name, s in declared_segment; s == seg]
}

declared_prefix_bases := {trim_suffix(name, "*") |
	strings.any_suffix_match(declared_names, "*") # one Go call: most inventories declare no prefix
	some name in declared_names
	endswith(name, "*")
}

# Restricted topics: one pass over the topics, then split by pattern.
restricted_topics := {name: t | some name, t in input.topics; t.classification == "restricted"}

restricted_literals := {name: t | some name, t in restricted_topics; not endswith(name, "*")}

restricted_prefixes := {name: t | some name, t in restricted_topics; endswith(name, "*")}

# restricted_topics_covered(n) are the restricted topics (as declared) that a
# grant's topic name n reaches. Literal names are looked up; a prefix that
# has a "." only scans the restricted topics that share its first segment
# (and those without a "."); only "*" and prefixes without a "." scan all.
restricted_topics_covered(n) := object.keys(restricted_topics) if {
	n == "*"
} else := {n | restricted_literals[n]} | {name |
	some name in object.keys(restricted_prefixes)
	startswith(n, trim_suffix(name, "*"))
} if {
	not endswith(n, "*")
} else := {name |
	p := trim_suffix(n, "*")
	some name in restricted_candidates(p)
	overlaps_prefix(p, split_name(name))
}

restricted_candidates(p) := object.get(restricted_by_segment, split(p, ".")[0], set()) | restricted_without_segment if {
	contains(p, ".")
} else := object.keys(restricted_topics)

# restricted_by_segment groups the restricted topics by the first segment of
# their name. OPA indexes the inner comprehension by seg (comprehension
# indexing), so this is one pass, not one per segment.
restricted_by_segment[seg] := names if {
	some seg in {s | some _, s in restricted_segment}
	names := {name | some name, s in restricted_segment; s == seg}
}

# restricted_segment maps restricted topics whose name has a "." to its
# first segment; restricted_without_segment are the others.
restricted_segment := {name: split(name, ".")[0] |
	some name, _ in restricted_topics
	contains(trim_suffix(name, "*"), ".")
}

restricted_without_segment := {name | some name, _ in restricted_topics; not contains(trim_suffix(name, "*"), ".")}

overlaps_prefix(p, [base, _]) if startswith(base, p)

overlaps_prefix(p, [base, "PREFIXED"]) if startswith(p, base)

# --- deny -------------------------------------------------------------------

# An ALLOW to User:* opens the resource to every authenticated client.
# METADATA
# title: No ALLOW binding for every principal (User:*)
# description: An ALLOW to User:* opens the resource to every authenticated client.
# custom:
#   id: KG601
#   check: allow-everyone
deny contains f if {
	some g in everyone_grants
	g.permission == "ALLOW"
	f := finding(
		"KG601", "allow-everyone", g.source, "User:*",
		sprintf("grant %s allows everyone (User:*)", [g.source]),
		"grant the access to named principals instead, or make it permission: DENY",
	)
}

# Grants that only DESCRIBE (and DESCRIBE_CONFIGS) read no data and are
# allowed: the auditor role, or operations [DESCRIBE, DESCRIBE_CONFIGS].
# METADATA
# title: No literal "*" topic or group for principals that are not superusers
# description: A literal "*" topic or group gives every present and future resource.
# custom:
#   id: KG602
#   check: wildcard-resource
deny contains wildcard_finding(g, kind) if {
	some [g, sel, kind] in prefixed_lists
	"*" in g[sel]
	not superuser_or_deny(g)
	not metadata_only(g, sel)
}

# prefixed_lists are the [grant, selector, kind] of the grant lists that
# name something ending with "*" ("*" itself, or a prefix), of the lists
# KG602, KG603 and KG605 share: where the grant's role gives more than
# metadata (role_data_lists); an operations grant's (role "") or an unknown
# role's, all of them.
prefixed_lists := [[g, sel, kind] |
	lists := role_data_lists
	some role, suffixed in suffixed_lists
	data_lists := object.get(lists, role, wildcard_lists)
	some [g, sel] in suffixed
	some [data_sel, kind] in data_lists
	data_sel == sel
]

# suffixed_lists[role] are the [grant, selector] of that role's grants whose
# list (wildcard_list_selectors) names something ending with "*", in
# the grants' order: one Go call per list, whatever the role (Compile's
# deny query takes the same value built in Go, policies/denyindex.go).
suffixed_lists := {role: suffixed |
	some role, grants in grants_by_role
	suffixed := [[g, sel] |
		some g in grants
		some sel in wildcard_list_selectors
		strings.any_suffix_match(g[sel], "*")
	]
	count(suffixed) > 0
}

# The grant lists a "*" is looked for in, and the kind of resource each
# names.
wildcard_lists := {["topics", "topic"], ["inputs", "topic"], ["outputs", "topic"], ["groups", "group"]}

wildcard_list_selectors := {sel | some [sel, _] in wildcard_lists}

# role_data_lists[role] are the wildcard_lists on which some entry of the
# role gives more than metadata (a "*" in the others is allowed).
role_data_lists[name] := {[sel, kind] |
	some [sel, kind] in wildcard_lists
	some e in entries
	e.resource == sel
	some op in e.operations
	not op in metadata_operations
} if {
	some name, entries in role_entries
}

deny contains wildcard_finding(g, lower(g.resource.type)) if {
	some g in resource_grants
	g.resource.name == "*"
	g.resource.type in {"TOPIC", "GROUP"}
	not superuser_or_deny(g)
	not metadata_only(g, "")
}

# A role (a user's, say) whose wildcard selectors (all_topics, all_groups)
# give more than metadata.
deny contains wildcard_finding(g, kind) if {
	by_role := role_wildcard_data_kinds # bound once: a lookup of a role it lacks is not cached
	count(by_role) > 0
	some g in input.grants
	kinds := by_role[g.role]
	not superuser_or_deny(g)
	some kind in kinds
}

role_wildcard_data_kinds[name] := kinds if {
	some name, entries in role_entries
	kinds := {lower(e.type) |
		some e in entries
		e.resource in wildcard_selectors
		some op in e.operations
		not op in metadata_operations
	}
	count(kinds) > 0
}

metadata_operations := {"DESCRIBE", "DESCRIBE_CONFIGS"}

# metadata_only(g, sel) holds when what grant g gives on the names of its
# list sel (an operations grant: on all it names) is only metadata.
metadata_only(g, _) if {
	g.role == ""
	every op in g.operations {
		op in metadata_operations
	}
}

metadata_only(g, sel) if {
	g.role != ""
	every e in role_entries[g.role] {
		entry_metadata_only(e, sel)
	}
}

entry_metadata_only(e, sel) if e.resource != sel

entry_metadata_only(e, sel) if {
	e.resource == sel
	every op in e.operations {
		op in metadata_operations
	}
}

superuser_or_deny(g) if g.permission == "DENY"

superuser_or_deny(g) if is_superuser(g.principal)

wildcard_finding(g, kind) := finding(
	"KG602", "wildcard-resource", g.source, kafka_principal(g.principal),
	sprintf("grant %s gives User:%s every %s (%s \"*\"), but it is not a superuser", [g.source, g.principal, kind, kind]),
	sprintf("list the %ss it needs, or a prefix such as \"%s.*\"", [kind, object.get(input.principals, [g.principal, "team"], "team")]),
)

# Reading another team's restricted topic needs a recorded approval.
# METADATA
# title: Reading another team's restricted topic needs approved_by
# description: Reading another team's restricted topic needs a recorded approval.
# custom:
#   id: KG603
#   check: restricted-cross-team-read
deny contains f if {
	by_role := grants_by_role
	some role, sels in role_read_selectors
	some g in by_role[role]
	g.approved_by == ""
	g.permission == "ALLOW"
	some sel in sels
	some name in g[sel]
	t := input.topics[name]
	t.classification == "restricted"
	f := restricted_read(g, name, t)
}

# The rule above looks each name a grant's lists read up as a declared
# topic: the usual case, one lookup per name. This one adds the restricted
# topics a name reaches beyond itself (under a prefix, or a declared prefix
# over it) and those of operations grants, for the [grant, name read] pairs
# of restricted_reads_reaching.
deny contains restricted_read(g, name, input.topics[name]) if {
	some [g, n] in restricted_reads_reaching
	some name in restricted_of_other_teams(n, team_of(g.principal))
}

restricted_read(g, name, t) := object.union(
	finding(
		"KG603", "restricted-cross-team-read", g.source, kafka_principal(g.principal),
		sprintf(
			"grant %s lets User:%s (team %q) READ restricted topic %s of team %q without approval",
			[g.source, g.principal, team_of(g.principal), name, object.get(t, "team", "")],
		),
		sprintf("add approved_by: <who approved> to the grant once team %q agrees, or remove the grant", [object.get(t, "team", "")]),
	),
	{"topic": name},
) if {
	object.get(t, "team", "") != team_of(g.principal)
}

# restricted_reads_reaching are the [grant, name read] of the unapproved
# ALLOW grants whose read names may reach more than themselves: an
# operations grant with READ (or ALL), a list with a prefix
# (prefixed_lists), or (when the inventory declares prefixes) any list. The
# many plain lists cost no call per name.
restricted_reads_reaching := array.concat(
	array.concat(
		[[g, n] |
			read_sels := role_read_selectors
			some [g, sel, _] in prefixed_lists
			read_sels[g.role][sel]
			g.approved_by == ""
			g.permission == "ALLOW"
			some n in g[sel]
		],
		[[g, n] |
			count(declared_prefix_bases) > 0
			by_role := grants_by_role
			some role, sels in role_read_selectors
			some g in by_role[role]
			g.approved_by == ""
			g.permission == "ALLOW"
			some sel in sels
			some n in g[sel]
		],
	),
	[[g, n] |
		not role_read_selectors[""]
		some g in object.get(grants_by_role, "", [])
		g.approved_by == ""
		g.permission == "ALLOW"
		some n in topic_names_read(g)
	],
)

# restricted_of_other_teams(n, team) are the restricted topics name n reaches
# that belong to another team (cached per name and team, not per grant).
restricted_of_other_teams(n, team) := {name |
	some name in restricted_topics_covered(n)
	object.get(restricted_topics[name], "team", "") != team
}

# A superuser bypasses every ACL: it must use strong authentication.
# METADATA
# title: Superusers authenticate with SCRAM or mTLS
# description: 'A superuser bypasses every ACL: it must use strong authentication.'
# custom:
#   id: KG604
#   check: superuser-weak-auth
deny contains f if {
	some name, p in superusers
	not p.auth in {"scram-sha-256", "scram-sha-512", "mtls"}
	f := finding(
		"KG604", "superuser-weak-auth", p.source, kafka_principal(name),
		sprintf("superuser User:%s (%s) authenticates with %s", [name, p.source, p.auth]),
		"use auth: scram-sha-512 or mtls for superusers, or drop superuser: true",
	)
}

# --- warn -------------------------------------------------------------------

# (Set differences run in Go: only the principals and topics they leave are
# looked at in Rego.)
# METADATA
# title: Every principal has a grant
# custom:
#   id: KG651
#   check: principal-without-grants
warn contains f if {
	some name in (object.keys(input.principals) - granted_principals)
	p := input.principals[name]
	not p.superuser
	f := finding(
		"KG651", "principal-without-grants", p.source, kafka_principal(name),
		sprintf("principal User:%s (%s) has no grants", [name, p.source]),
		"add a grant for it, or remove it from the inventory",
	)
}

# METADATA
# title: Every declared topic has a writer
# custom:
#   id: KG652
#   check: topic-without-writer
warn contains f if {
	some name in (declared_names - written_names)
	not topic_is_written(name)
	t := input.topics[name]
	f := finding(
		"KG652", "topic-without-writer", t.source, concat("", ["Topic:", name]),
		sprintf("no principal may write topic %s (%s)", [name, t.source]),
		"grant a producer role on it, or remove the topic if it is unused",
	)
}

# topic_is_written(name) holds when an ALLOW grant writes the declared topic
# name (as written) or, for a prefix, some topic under it.
topic_is_written(_) if written_names["*"]

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

# METADATA
# title: Every granted topic prefix matches a declared topic
# custom:
#   id: KG653
#   check: prefix-matches-nothing
warn contains f if {
	some g in input.grants
	some sel in topic_list_selectors
	strings.any_suffix_match(g[sel], "*") # one Go call per list; most list no prefix
	some name in g[sel]
	endswith(name, "*")
	not input.topics[name]
	name != "*"
	not prefix_matches_declared(trim_suffix(name, "*"))
	f := prefix_matches_nothing(g, name)
}

warn contains f if {
	some g in resource_grants
	g.resource.type == "TOPIC"
	name := g.resource.name
	endswith(name, "*")
	not input.topics[name]
	name != "*"
	not prefix_matches_declared(trim_suffix(name, "*"))
	f := prefix_matches_nothing(g, name)
}

prefix_matches_nothing(g, name) := finding(
	"KG653", "prefix-matches-nothing", g.source, concat("", ["Topic:", name]),
	sprintf("grant %s: prefix %s matches no declared topic", [g.source, name]),
	"declare the topics under it, or fix the prefix",
)

# prefix_matches_declared(p) holds when a declared topic or prefix overlaps
# prefix p: a declared name starts with p, or p starts with a declared prefix.
# (Cached per p; strings.any_prefix_match runs in Go over the names of one
# segment, not all. The last else keeps the pass over the declared names for
# declared_prefix_bases to inventories that have a prefix no declared name
# starts with.)
prefix_matches_declared(p) if {
	not contains(p, ".")
	strings.any_prefix_match(declared_segments, p)
} else if {
	contains(p, ".")
	strings.any_prefix_match(object.get(declared_by_segment, split(p, ".")[0], []), p)
} else if {
	strings.any_prefix_match(p, declared_prefix_bases)
}

# Kafka Streams names internal topics and transactional ids
# "<application.id>-...": when one app's id followed by "-" starts another's,
# the first app's PREFIXED ACLs also cover the second app's internal topics.
application_ids := {g.application_id | some g in input.grants; g.application_id != ""}

application_id_prefixes := {concat("", [id, "-"]) | some id in application_ids}

# METADATA
# title: No Kafka Streams application_id followed by "-" begins another
# description: 'Kafka Streams names internal topics and transactional ids "<application.id>-...": when one id followed by "-" begins another, the first app''s PREFIXED ACLs also cover the second''s.'
# custom:
#   id: KG654
#   check: application-id-overlap
warn contains f if {
	some g in input.grants
	g.application_id != ""
	strings.any_prefix_match(g.application_id, application_id_prefixes)
	some other in application_ids
	startswith(g.application_id, concat("", [other, "-"]))
	f := finding(
		"KG654", "application-id-overlap", g.source, kafka_principal(g.principal),
		sprintf(
			"grant %s: application_id %q starts with %q, so the internal topics and transactional ids of application %q (PREFIXED %q) also cover this application's",
			[g.source, g.application_id, concat("", [other, "-"]), other, concat("", [other, "-"])],
		),
		"rename one application so that no application_id followed by \"-\" begins another (until then compile fences them apart with DENY bindings when their principals differ)",
	)
}

# Writing another team's topic needs a recorded approval, as reading its
# restricted topics does (KG603).
# METADATA
# title: Writing another team's topic needs approved_by
# description: Writing another team's topic needs a recorded approval, as reading its restricted topics does (KG603).
# custom:
#   id: KG605
#   check: cross-team-write
deny contains f if {
	by_role := grants_by_role
	some role, sels in role_write_selectors
	some g in by_role[role]
	g.approved_by == ""
	g.permission == "ALLOW"
	team := input.principals[g.principal].team
	team != ""
	some sel in sels
	some name in g[sel]
	owner := input.topics[name].team
	owner != team
	owner != ""
	name != "*"
	f := cross_team_write(g, team, name, owner)
}

# The rule above looks each name a grant's lists write up as a declared
# topic: the usual case, one lookup per name. These two add what a name
# reaches beyond itself (the declared prefixes over a name, the declared
# names under a prefix) and the topics of the grants that
# cross_team_writes_reaching lists. The prefixes are compared with the
# declarations only when one of them reaches a declared topic at all.
deny contains cross_team_write(g, team, name, owner) if {
	some [g, team, n] in cross_team_writes_reaching
	not endswith(n, "*")
	some name in declared_topics_covered(n)
	owner := input.topics[name].team
	owner != team
	owner != ""
}

deny contains cross_team_write(g, team, name, owner) if {
	cross_team_prefixes_reach
	some [g, team, n] in cross_team_writes_reaching
	endswith(n, "*")
	n != "*" # reaches no declared topic here: KG602 reports it
	some name in declared_topics_covered(n)
	owner := input.topics[name].team
	owner != team
	owner != ""
}

cross_team_write(g, team, name, owner) := object.union(
	finding(
		"KG605", "cross-team-write", g.source, kafka_principal(g.principal),
		sprintf("grant %s lets User:%s (team %q) WRITE topic %s of team %q without approval", [g.source, g.principal, team, name, owner]),
		sprintf("add approved_by: <who approved> to the grant once team %q agrees, or remove the grant", [owner]),
	),
	{"topic": name},
)

# cross_team_writes_reaching are the [grant, team, name written] of the
# unapproved ALLOW grants of principals with a team whose written names may
# reach more than themselves: a role with other writing entries than the
# grant's lists (internal topics, a DLQ, ...), an operations grant, a list
# with a prefix (prefixed_lists), or (when the inventory declares prefixes)
# a list with a name under a declared prefix (one Go call per list). The
# many plain lists cost no call per name.
cross_team_writes_reaching := array.concat(
	array.concat(
		[[g, team, n] |
			by_role := grants_by_role
			write_sels := role_write_selectors
			other_writes := role_other_write_entries
			some role in roles_writing_beyond_lists
			some g in by_role[role]
			g.approved_by == ""
			g.permission == "ALLOW"
			team := team_of(g.principal)
			team != ""
			some n in topic_names_written(g, write_sels, other_writes)
		],
		[[g, team, n] |
			write_sels := role_write_selectors
			some [g, sel, _] in prefixed_lists
			write_sels[g.role][sel]
			g.approved_by == ""
			g.permission == "ALLOW"
			team := team_of(g.principal)
			team != ""
			some n in g[sel]
		],
	),
	[[g, team, n] |
		bases := declared_prefix_bases
		count(bases) > 0
		by_role := grants_by_role
		some role, sels in role_write_selectors
		some g in by_role[role]
		g.approved_by == ""
		g.permission == "ALLOW"
		some sel in sels
		names := g[sel]
		strings.any_prefix_match(names, bases)
		team := team_of(g.principal)
		team != ""
		some n in names
	],
)

# Roles whose grants may write more than their lists name: those with other
# writing entries, and "" (an operations grant, whose operations decide).
roles_writing_beyond_lists := object.keys(role_other_write_entries) | {""}

# cross_team_prefixes_reach holds when a prefix in cross_team_writes_reaching
# reaches a declared topic: a declared name starts with it, or it starts
# with a declared prefix (each one sorted search in Go over all of them).
cross_team_prefixes_reach if {
	prefixes := {trim_suffix(n, "*") | some [_, _, n] in cross_team_writes_reaching; endswith(n, "*"); n != "*"}
	some [names, bases] in [[declared_names, prefixes], [prefixes, declared_prefix_bases]]
	strings.any_prefix_match(names, bases)
}

# topic_names_written(g, write_sels, other_writes) are the topic names (as
# written) grant g writes: its role's writing lists (write_sels:
# role_write_selectors) and other writing entries (other_writes:
# role_other_write_entries), or for an operations grant with WRITE (or ALL)
# the topics it names. The role tables are passed in, bound once by the
# caller (a per-grant lookup of a role they lack is not cached).
topic_names_written(g, write_sels, other_writes) := [n | some sel in write_sels[g.role]; some n in g[sel]] if {
	write_sels[g.role]
	not other_writes[g.role]
} else := array.concat(
	[n | some sel in object.get(write_sels, g.role, set()); some n in g[sel]],
	[n |
		some e in other_writes[g.role]
		object.get(g, e.condition, true) == true
		some n in entry_names(g, e.resource)
	],
) if {
	other_writes[g.role]
} else := explicit_topic_names(g) if {
	g.role == ""
	some op in g.operations
	op in {"WRITE", "ALL"}
}

# declared_topics_covered(n) are the declared topics (as declared) that
# topic name n (as written) reaches: the same name, a declared prefix over a
# literal name, and for a prefix the declared names under it and the declared
# prefixes it is under. "*" reaches none here: KG602 reports it. (contains
# and strings.any_prefix_match run in Go; only a name that reaches some
# declared topic scans the declarations.)
declared_topics_covered("*") := set()

declared_topics_covered(n) := {name |
	p := trim_suffix(n, "*")
	prefix_matches_declared(p)
	some name in declared_names
	overlaps_prefix(p, split_name(name))
} if {
	n != "*"
	endswith(n, "*")
} else := {name |
	some name in declared_names
	endswith(name, "*")
	startswith(n, trim_suffix(name, "*"))
} | {n | input.topics[n]} if {
	n != "*"
	strings.any_prefix_match(n, declared_prefix_bases)
} else := {n} if {
	input.topics[n]
} else := set()

# --- lifecycle: expiring grants and waivers ----------------------------------
# input.today and input.expiry_warning_until (today + 14 days) are dates
# (YYYY-MM-DD, UTC) set by kafkaguard; input.expired_grants are the grants it
# left out because their expires date has passed.

# METADATA
# title: Grants that expire soon are announced
# description: A grant with an expires date within 14 days; after that date compile leaves it out and apply removes its ACLs.
# custom:
#   id: KG655
#   check: grant-expires-soon
warn contains f if {
	some g in input.grants
	g.expires != ""
	g.expires <= input.expiry_warning_until
	f := finding(
		"KG655", "grant-expires-soon", g.source, kafka_principal(g.principal),
		sprintf("grant %s of User:%s expires on %s: after that day compile leaves it out and apply removes its ACLs", [g.source, g.principal, g.expires]),
		"extend expires if the access is still needed, or let it lapse and remove the grant",
	)
}

# METADATA
# title: Expired grants are left out
# description: A grant whose expires date has passed gives nothing; remove it from the inventory.
# custom:
#   id: KG656
#   check: grant-expired
warn contains f if {
	some g in input.expired_grants
	f := finding(
		"KG656", "grant-expired", g.source, kafka_principal(g.principal),
		sprintf("grant %s of User:%s expired on %s: compile leaves it out, so apply removes its ACLs", [g.source, g.principal, g.expires]),
		"remove the grant from the inventory, or give it a new expires date",
	)
}

# METADATA
# title: Waivers that expire soon are announced
# description: An effective waiver that expires within 14 days; after that the finding it waives is reported again.
# custom:
#   id: KG657
#   check: waiver-expires-soon
warn contains f if {
	some w in input.waivers
	w.approved_by != ""
	w.expires >= input.today
	w.expires <= input.expiry_warning_until
	f := finding(
		"KG657", "waiver-expires-soon", w.source, waiver_subject(w),
		sprintf("waiver %s of %s for %s expires on %s: after that day %s is reported again", [w.source, w.rule, waiver_subject(w), w.expires, w.rule]),
		"fix what the rule reports, or renew the waiver (a new expires date, approved again)",
	)
}

# METADATA
# title: Waivers that do not waive are reported
# description: A waiver without approved_by, or past its expires date, waives nothing.
# custom:
#   id: KG658
#   check: waiver-not-effective
warn contains f if {
	some w in input.waivers
	why := waiver_not_effective(w)
	f := finding(
		"KG658", "waiver-not-effective", w.source, waiver_subject(w),
		sprintf("waiver %s of %s for %s does not waive: %s", [w.source, w.rule, waiver_subject(w), why]),
		"get the waiver approved (approved_by) and give it a date in the future, or remove it",
	)
}

waiver_not_effective(w) := "it has no approved_by" if {
	w.approved_by == ""
} else := sprintf("it expired on %s", [w.expires]) if {
	w.expires < input.today
}

# waiver_subject(w) is the principal or topic a waiver is for, as findings
# name them.
waiver_subject(w) := kafka_principal(w.principal) if w.principal != ""

else := concat("", ["Topic:", w.topic])

# METADATA
# title: Grant hosts are IP addresses
# description: Kafka stores any host string, but matches it against the client's IP address only, so a host name or a CIDR range never matches a client.
# custom:
#   id: KG659
#   check: host-not-ip
warn contains f if {
	some g in input.grants
	some h in g.hosts
	h != "*"
	not net.cidr_is_valid(concat("", [h, "/32"]))
	f := finding(
		"KG659", "host-not-ip", g.source, kafka_principal(g.principal),
		sprintf("grant %s: host %q is not an IP address: Kafka stores it, but no client ever matches it", [g.source, h]),
		"use the client's IP address, or \"*\"",
	)
}

# METADATA
# title: Granted operations exist on their resource type
# description: Kafka stores a binding whose operation its resource type does not define (kafka-acls.sh refuses it), but no request ever matches it.
# custom:
#   id: KG660
#   check: operation-never-matches
warn contains f if {
	some g in input.grants
	g.role == ""
	some r in explicit_names(g)
	some op in g.operations
	op != "ALL"
	not op in resource_type_operations[r[0]]
	f := finding(
		"KG660", "operation-never-matches", g.source, kafka_principal(g.principal),
		sprintf("grant %s: %s is not an operation of %s %s: Kafka stores the binding, but no request matches it", [g.source, op, r[0], r[1]]),
		"remove the operation, or grant it on a resource type that has it",
	)
}

# The operations Kafka defines for each resource type (ALL aside).
resource_type_operations := {
	"TOPIC": {"READ", "WRITE", "CREATE", "DELETE", "ALTER", "DESCRIBE", "DESCRIBE_CONFIGS", "ALTER_CONFIGS"},
	"GROUP": {"READ", "DESCRIBE", "DELETE"},
	"CLUSTER": {"CREATE", "ALTER", "DESCRIBE", "CLUSTER_ACTION", "DESCRIBE_CONFIGS", "ALTER_CONFIGS", "IDEMPOTENT_WRITE"},
	"TRANSACTIONAL_ID": {"WRITE", "DESCRIBE"},
	"DELEGATION_TOKEN": {"DESCRIBE"},
	"USER": {"CREATE_TOKENS", "DESCRIBE_TOKENS"},
}

# --- quotas ------------------------------------------------------------------

# METADATA
# title: Principals that touch the classifications in quotas.require_for have a quota
# description: 'quotas.require_for: [confidential, restricted] requires a quota (their own, or quotas.default) for every principal with an ALLOW grant on a topic of those classifications.'
# custom:
#   id: KG606
#   check: quota-required
deny contains f if {
	count(input.quotas.require_for) > 0
	not input.quotas["default"]
	some g in input.grants
	g.permission == "ALLOW"
	g.principal != "*"
	not input.principals[g.principal].quotas
	some sel in topic_list_selectors
	some n in g[sel]
	some name in declared_topics_covered(n)
	c := input.topics[name].classification
	c in input.quotas.require_for
	f := finding(
		"KG606", "quota-required", g.source, kafka_principal(g.principal),
		sprintf("grant %s gives User:%s access to %s topic %s, but User:%s has no quota (quotas.require_for: %s)", [g.source, g.principal, c, name, g.principal, concat(", ", input.quotas.require_for)]),
		sprintf("declare principals.%s.quotas (e.g. {producer_byte_rate: 1048576, consumer_byte_rate: 1048576}) or quotas.default", [g.principal]),
	)
}
