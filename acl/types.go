// Package acl is kafkaguard's pure model of Kafka ACLs: bindings with Kafka's
// own names, sorted sets, diffs and an authorizer that decides requests the way
// Kafka's StandardAuthorizer does. It does no I/O and imports nothing of ours.
package acl

import (
	"fmt"
	"strings"
)

// The enum values are Kafka's wire codes (org.apache.kafka.common.resource and
// .acl), so converting to and from the protocol is a plain cast.

// ResourceType is the type of the resource a binding applies to.
type ResourceType int8

const (
	ResourceTopic           ResourceType = 2
	ResourceGroup           ResourceType = 3
	ResourceCluster         ResourceType = 4
	ResourceTransactionalID ResourceType = 5
	ResourceDelegationToken ResourceType = 6
	ResourceUser            ResourceType = 7
)

// PatternType says how a binding's resource name matches resource names.
type PatternType int8

const (
	PatternLiteral  PatternType = 3
	PatternPrefixed PatternType = 4
)

// Operation is what a principal does to a resource.
type Operation int8

const (
	OpAll             Operation = 2
	OpRead            Operation = 3
	OpWrite           Operation = 4
	OpCreate          Operation = 5
	OpDelete          Operation = 6
	OpAlter           Operation = 7
	OpDescribe        Operation = 8
	OpClusterAction   Operation = 9
	OpDescribeConfigs Operation = 10
	OpAlterConfigs    Operation = 11
	OpIdempotentWrite Operation = 12
	OpCreateTokens    Operation = 13
	OpDescribeTokens  Operation = 14
)

// Permission is ALLOW or DENY.
type Permission int8

const (
	PermDeny  Permission = 2
	PermAllow Permission = 3
)

// ClusterName is the only resource name of the CLUSTER resource type.
const ClusterName = "kafka-cluster"

// Wildcard is Kafka's literal wildcard: as a LITERAL resource name it matches
// every resource of the type, as a principal (User:*) every principal, as a
// host every host.
const Wildcard = "*"

var resourceTypeNames = map[ResourceType]string{
	ResourceTopic: "TOPIC", ResourceGroup: "GROUP", ResourceCluster: "CLUSTER",
	ResourceTransactionalID: "TRANSACTIONAL_ID", ResourceDelegationToken: "DELEGATION_TOKEN", ResourceUser: "USER",
}

var patternTypeNames = map[PatternType]string{PatternLiteral: "LITERAL", PatternPrefixed: "PREFIXED"}

var operationNames = map[Operation]string{
	OpAll: "ALL", OpRead: "READ", OpWrite: "WRITE", OpCreate: "CREATE", OpDelete: "DELETE",
	OpAlter: "ALTER", OpDescribe: "DESCRIBE", OpClusterAction: "CLUSTER_ACTION",
	OpDescribeConfigs: "DESCRIBE_CONFIGS", OpAlterConfigs: "ALTER_CONFIGS",
	OpIdempotentWrite: "IDEMPOTENT_WRITE", OpCreateTokens: "CREATE_TOKENS", OpDescribeTokens: "DESCRIBE_TOKENS",
}

var permissionNames = map[Permission]string{PermAllow: "ALLOW", PermDeny: "DENY"}

// operationsByResource lists the operations Kafka defines for each resource
// type (ALL is valid everywhere and handled separately).
var operationsByResource = map[ResourceType][]Operation{
	ResourceTopic:           {OpRead, OpWrite, OpCreate, OpDelete, OpAlter, OpDescribe, OpDescribeConfigs, OpAlterConfigs},
	ResourceGroup:           {OpRead, OpDescribe, OpDelete},
	ResourceCluster:         {OpCreate, OpAlter, OpDescribe, OpClusterAction, OpDescribeConfigs, OpAlterConfigs, OpIdempotentWrite},
	ResourceTransactionalID: {OpWrite, OpDescribe},
	ResourceDelegationToken: {OpDescribe},
	ResourceUser:            {OpCreateTokens, OpDescribeTokens},
}

func (t ResourceType) String() string { return nameOr(resourceTypeNames, t) }
func (p PatternType) String() string  { return nameOr(patternTypeNames, p) }
func (o Operation) String() string    { return nameOr(operationNames, o) }
func (p Permission) String() string   { return nameOr(permissionNames, p) }

func nameOr[K ~int8](names map[K]string, k K) string {
	if n, ok := names[k]; ok {
		return n
	}
	return fmt.Sprintf("UNKNOWN(%d)", int8(k))
}

// byName inverts a names table, for parseName's direct lookup.
func byName[K ~int8](names map[K]string) map[string]K {
	m := make(map[string]K, len(names))
	for k, n := range names {
		m[n] = k
	}
	return m
}

var (
	resourceTypesByName = byName(resourceTypeNames)
	patternTypesByName  = byName(patternTypeNames)
	operationsByName    = byName(operationNames)
	permissionsByName   = byName(permissionNames)
)

// parseName looks s up in byName (Kafka's spelling, as compile writes it:
// the common case, one map lookup per field of a binding file), then with
// surrounding space trimmed and case ignored.
func parseName[K ~int8](names map[K]string, byName map[string]K, kind, s string) (K, error) {
	if k, ok := byName[s]; ok {
		return k, nil
	}
	if k, ok := byName[strings.ToUpper(strings.TrimSpace(s))]; ok {
		return k, nil
	}
	valid := make([]string, 0, len(names))
	for _, n := range names {
		valid = append(valid, n)
	}
	sortStrings(valid)
	return 0, fmt.Errorf("unknown %s %q (want one of %s)", kind, s, strings.Join(valid, ", "))
}

// ParseResourceType parses a Kafka resource type name such as TOPIC. Case is
// ignored.
func ParseResourceType(s string) (ResourceType, error) {
	return parseName(resourceTypeNames, resourceTypesByName, "resource type", s)
}

// ParsePatternType parses LITERAL or PREFIXED.
func ParsePatternType(s string) (PatternType, error) {
	return parseName(patternTypeNames, patternTypesByName, "pattern type", s)
}

// ParseOperation parses a Kafka operation name such as DESCRIBE_CONFIGS.
func ParseOperation(s string) (Operation, error) {
	return parseName(operationNames, operationsByName, "operation", s)
}

// ParsePermission parses ALLOW or DENY.
func ParsePermission(s string) (Permission, error) {
	return parseName(permissionNames, permissionsByName, "permission", s)
}

// Valid reports whether t is a resource type kafkaguard knows.
func (t ResourceType) Valid() bool { _, ok := resourceTypeNames[t]; return ok }

// Valid reports whether p is LITERAL or PREFIXED.
func (p PatternType) Valid() bool { _, ok := patternTypeNames[p]; return ok }

// Valid reports whether o is a known operation.
func (o Operation) Valid() bool { _, ok := operationNames[o]; return ok }

// Valid reports whether p is ALLOW or DENY.
func (p Permission) Valid() bool { _, ok := permissionNames[p]; return ok }

// Operations returns the operations Kafka defines for resource type t, ALL
// excluded.
func (t ResourceType) Operations() []Operation {
	return append([]Operation(nil), operationsByResource[t]...)
}

// Allows reports whether op is an operation of resource type t (ALL always is).
func (t ResourceType) Allows(op Operation) bool {
	if op == OpAll {
		return t.Valid()
	}
	for _, o := range operationsByResource[t] {
		if o == op {
			return true
		}
	}
	return false
}

// ResourceTypes returns every resource type in wire-code order.
func ResourceTypes() []ResourceType {
	return []ResourceType{ResourceTopic, ResourceGroup, ResourceCluster, ResourceTransactionalID, ResourceDelegationToken, ResourceUser}
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
