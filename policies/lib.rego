# Helpers shared by the ACL expansion and the guardrails.
package kafkaguard

# split_name turns a name as written into [name, pattern type]: "orders.*" is
# PREFIXED "orders.", "*" alone is Kafka's LITERAL wildcard.
split_name(s) := [trim_suffix(s, "*"), "PREFIXED"] if {
	s != "*"
	endswith(s, "*")
} else := [s, "LITERAL"]

# selected_names(g) maps each role selector to the names (as written, so
# "x*" is PREFIXED) it picks from grant g.
selected_names(g) := {sel: entry_names(g, sel) | some sel, _ in selectors}

# explicit_names(g) are the [resource_type, name as written] pairs of a
# grant with operations: its resource, or the names it lists.
explicit_names(g) := [[g.resource.type, g.resource.name]] if g.resource

else := array.concat(
	array.concat([["TOPIC", n] | some n in g.topics], [["GROUP", n] | some n in g.groups]),
	[["TRANSACTIONAL_ID", n] | some n in g.transactional_ids],
)

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
