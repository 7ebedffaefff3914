# Acme's own guardrails: every package's deny and warn rules count.
package acme.rules

# Confidential and restricted topics need an owning team.
deny contains {
	"id": "ACME001",
	"check": "topic-owner",
	"msg": sprintf("topic %s (%s) is %s but has no team", [name, t.source, t.classification]),
	"fix": "add team: <owning team> to the topic",
	"location": t.source,
	"resource": concat("", ["Topic:", name]),
} if {
	some name, t in input.topics
	t.classification in {"confidential", "restricted"}
	t.team == ""
}

# Grants should say why they exist.
warn contains sprintf("grant %s for %s gives explicit operations without a reason", [g.source, g.principal]) if {
	some g in input.grants
	g.role == ""
	g.reason == ""
	g.permission == "ALLOW"
}
