# A user policy that adds bindings directly: every principal of team
# platform may describe the cluster.
package acme.extra

acls contains {
	"principal": concat("", ["User:", name]),
	"host": "*",
	"resource_type": "CLUSTER",
	"resource_name": "kafka-cluster",
	"pattern_type": "LITERAL",
	"operation": "DESCRIBE",
	"permission": "ALLOW",
} if {
	some name, p in input.principals
	p.team == "platform"
}
