# Helpers shared by the ACL expansion and the guardrails.
package kafkaguard

# split_name turns a name as written into [name, pattern type]: "orders.*" is
# PREFIXED "orders.", "*" alone is Kafka's LITERAL wildcard.
split_name(s) := [trim_suffix(s, "*"), "PREFIXED"] if {
	s != "*"
	endswith(s, "*")
} else := [s, "LITERAL"]

# resources_of(g, selector) is the set of [resource_type, name, pattern_type]
# a role entry's selector picks from grant g.
resources_of(g, "topics") := {["TOPIC", n[0], n[1]] | some t in g.topics; n := split_name(t)}

resources_of(g, "groups") := {["GROUP", n[0], n[1]] | some t in g.groups; n := split_name(t)}

resources_of(g, "transactional_ids") := {["TRANSACTIONAL_ID", n[0], n[1]] |
	some t in g.transactional_ids
	n := split_name(t)
}

resources_of(_, "cluster") := {["CLUSTER", "kafka-cluster", "LITERAL"]}

resources_of(g, "application_id_topics") := {["TOPIC", g.application_id, "PREFIXED"]} if g.application_id != ""

resources_of(g, "application_id_groups") := {["GROUP", g.application_id, "PREFIXED"]} if g.application_id != ""

resources_of(g, "application_id_transactional_ids") := {["TRANSACTIONAL_ID", g.application_id, "PREFIXED"]} if {
	g.application_id != ""
}

# explicit_resources(g) are the resources of a grant with operations: its
# resource, or the names it lists.
explicit_resources(g) := {[g.resource.type, n[0], n[1]] | n := split_name(g.resource.name)} if g.resource

else := (resources_of(g, "topics") | resources_of(g, "groups")) | resources_of(g, "transactional_ids")

# entry_applies holds when a role entry has no condition or the grant sets it.
entry_applies(_, e) if not e["if"]

entry_applies(g, e) if g[e["if"]] == true

# kafka_principal is the Kafka principal of a grant's principal name.
kafka_principal(name) := concat("", ["User:", name])

# is_superuser holds for principals declared with superuser: true.
is_superuser(name) if input.principals[name].superuser == true

# team_of is a principal's team, "" when it has none.
team_of(name) := object.get(input.principals, [name, "team"], "")

# finding builds a conftest-style result object with kafkaguard's fields.
finding(id, check, location, resource, msg, fix) := {
	"id": id,
	"check": check,
	"location": location,
	"resource": resource,
	"msg": msg,
	"fix": fix,
}
