package importer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/inventory"
)

// Strimzi's User Operator (strimzi/strimzi-kafka-operator, user-operator/)
// turns each KafkaUser into credentials and ACLs. Followed here:
//
//   - KafkaUserModel.getUserName: authentication tls and tls-external use
//     the principal User:CN=<metadata.name>, scram-sha-512 and none
//     User:<metadata.name>; a tls user's name is at most 64 characters
//     (validateTlsUsername).
//   - spec.authorization.type simple: each rule of acls gives one binding per
//     operation (SimpleAclRule.fromCrd); type defaults to allow, host to "*"
//     (AclRule), patternType to literal (AclRuleTopicResource, ...); the
//     cluster resource is LITERAL kafka-cluster (SimpleAclRuleResource).
//   - the enum values are case-sensitive as the CRD's: allow|deny,
//     literal|prefix, topic|group|cluster|transactionalId, Read, Write,
//     Create, Delete, Alter, Describe, ClusterAction, AlterConfigs,
//     DescribeConfigs, IdempotentWrite, All.
//   - a rule with both operations and the deprecated operation, or with
//     neither, is rejected, as the User Operator of the v1beta2 API did (the
//     v1 API has operations only).
//
// Authorization types other than simple give no ACLs; every kind but
// KafkaUser (of apiVersion kafka.strimzi.io/*) is ignored.

var strimziOperations = map[string]acl.Operation{
	"Read": acl.OpRead, "Write": acl.OpWrite, "Create": acl.OpCreate, "Delete": acl.OpDelete,
	"Alter": acl.OpAlter, "Describe": acl.OpDescribe, "ClusterAction": acl.OpClusterAction,
	"AlterConfigs": acl.OpAlterConfigs, "DescribeConfigs": acl.OpDescribeConfigs,
	"IdempotentWrite": acl.OpIdempotentWrite, "All": acl.OpAll,
}

var strimziResourceTypes = map[string]acl.ResourceType{
	"topic": acl.ResourceTopic, "group": acl.ResourceGroup, "cluster": acl.ResourceCluster, "transactionalId": acl.ResourceTransactionalID,
}

// strimziMaxCNLength is OpenSslCertIssuer.MAXIMUM_CN_LENGTH.
const strimziMaxCNLength = 64

// ParseStrimzi reads a file of Kubernetes YAML documents and imports its
// KafkaUsers.
func ParseStrimzi(file string, data []byte) (Input, error) {
	var out Input
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return Input{}, yamlError(file, err)
		}
		if len(doc.Content) == 0 || isNull(doc.Content[0]) {
			continue
		}
		root := doc.Content[0]
		if root.Kind != yaml.MappingNode {
			continue // not a Kubernetes object: not ours to judge
		}
		kind, api := scalarAt(root, "kind"), scalarAt(root, "apiVersion")
		if kind != "KafkaUser" || !strings.HasPrefix(api, "kafka.strimzi.io/") {
			continue
		}
		p, bs, err := strimziUser(file, root)
		if err != nil {
			return Input{}, err
		}
		out.Principals = append(out.Principals, p)
		out.Bindings = append(out.Bindings, bs...)
	}
}

func strimziUser(file string, root *yaml.Node) (Principal, []acl.Binding, error) {
	errf := func(n *yaml.Node, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", file, n.Line, fmt.Sprintf(format, args...))
	}
	meta := mapValue(root, "metadata")
	if meta == nil || scalarAt(meta, "name") == "" {
		return Principal{}, nil, errf(root, "KafkaUser without metadata.name")
	}
	name := scalarAt(meta, "name")
	spec := mapValue(root, "spec")
	if spec == nil || spec.Kind != yaml.MappingNode {
		return Principal{}, nil, errf(root, "KafkaUser %s: no spec", name)
	}
	p := Principal{Name: name, Auth: inventory.AuthExternal}
	if authn := mapValue(spec, "authentication"); authn != nil && !isNull(authn) {
		switch t := scalarAt(authn, "type"); t {
		case "tls":
			if len(name) > strimziMaxCNLength {
				return Principal{}, nil, errf(authn, "KafkaUser %s: users with TLS client authentication can have a name only up to %d characters long", name, strimziMaxCNLength)
			}
			p = Principal{Name: "CN=" + name, Auth: inventory.AuthMTLS, DN: "CN=" + name, Note: "KafkaUser " + name + " (tls): its certificate's subject is CN=" + name}
		case "tls-external":
			p = Principal{Name: "CN=" + name, Auth: inventory.AuthExternal, Note: "KafkaUser " + name + " (tls-external): its certificate is issued outside Strimzi"}
		case "scram-sha-512":
			p = Principal{Name: name, Auth: inventory.AuthSCRAMSHA512, Note: "KafkaUser " + name + " (scram-sha-512): kafkaguard generates a new password unless its secrets store has the current one"}
		default:
			return Principal{}, nil, errf(authn, "KafkaUser %s: unknown authentication type %q (want tls, tls-external or scram-sha-512)", name, t)
		}
	}
	principal := "User:" + p.Name
	authz := mapValue(spec, "authorization")
	if authz == nil || isNull(authz) || scalarAt(authz, "type") != "simple" {
		return p, nil, nil
	}
	acls := mapValue(authz, "acls")
	if acls == nil || isNull(acls) {
		return p, nil, nil
	}
	if acls.Kind != yaml.SequenceNode {
		return Principal{}, nil, errf(acls, "KafkaUser %s: authorization.acls must be a list", name)
	}
	var out []acl.Binding
	for _, rule := range acls.Content {
		bs, err := strimziRule(principal, rule)
		if err != nil {
			return Principal{}, nil, errf(rule, "KafkaUser %s: %v", name, err)
		}
		out = append(out, bs...)
	}
	return p, out, nil
}

func strimziRule(principal string, rule *yaml.Node) ([]acl.Binding, error) {
	if rule.Kind != yaml.MappingNode {
		return nil, errors.New("an ACL rule must be a mapping")
	}
	perm, err := strimziChoice(rule, "type", acl.PermAllow, map[string]acl.Permission{"allow": acl.PermAllow, "deny": acl.PermDeny},
		"ACL rule type %q: want allow or deny")
	if err != nil {
		return nil, err
	}
	host := acl.Wildcard
	if n := mapValue(rule, "host"); n != nil && !isNull(n) {
		host = n.Value
	}
	res := mapValue(rule, "resource")
	if res == nil || res.Kind != yaml.MappingNode {
		return nil, errors.New("ACL rule without resource")
	}
	rt, ok := strimziResourceTypes[scalarAt(res, "type")]
	if !ok {
		return nil, fmt.Errorf("ACL resource type %q: want topic, group, cluster or transactionalId", scalarAt(res, "type"))
	}
	name, pt := acl.ClusterName, acl.PatternLiteral
	if rt != acl.ResourceCluster {
		name = scalarAt(res, "name")
		if name == "" {
			return nil, fmt.Errorf("ACL %s resource without name", strings.ToLower(rt.String()))
		}
		pt, err = strimziChoice(res, "patternType", acl.PatternLiteral, map[string]acl.PatternType{"literal": acl.PatternLiteral, "prefix": acl.PatternPrefixed},
			"ACL resource patternType %q: want literal or prefix")
		if err != nil {
			return nil, err
		}
	}
	ops, one := mapValue(rule, "operations"), mapValue(rule, "operation")
	var names []*yaml.Node
	switch {
	case ops != nil && one != nil:
		return nil, errors.New("both fields `operations` and `operation` cannot be filled in at the same time")
	case ops == nil && one == nil:
		return nil, errors.New("both fields `operations` and `operation` are null: at least one of them must be specified")
	case ops != nil:
		if ops.Kind != yaml.SequenceNode {
			return nil, errors.New("operations must be a list")
		}
		names = ops.Content
	default:
		names = []*yaml.Node{one}
	}
	var out []acl.Binding
	for _, n := range names {
		op, ok := strimziOperations[n.Value]
		if !ok || n.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("ACL operation %q: want one of Read, Write, Create, Delete, Alter, Describe, ClusterAction, AlterConfigs, DescribeConfigs, IdempotentWrite, All", n.Value)
		}
		b := acl.Binding{Principal: principal, Host: host, ResourceType: rt, ResourceName: name, PatternType: pt, Operation: op, Permission: perm}
		if err := b.ValidateStored(); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// scalarAt is the scalar value of key in mapping m, "" when absent.
// strimziChoice is the value of m's optional field key, one of choices (by
// its name in Strimzi's CRD), or def when the field is absent; wrong words
// the error for any other name.
func strimziChoice[T any](m *yaml.Node, key string, def T, choices map[string]T, wrong string) (T, error) {
	n := mapValue(m, key)
	if n == nil {
		return def, nil
	}
	v, ok := choices[n.Value]
	if !ok {
		return def, fmt.Errorf(wrong, n.Value)
	}
	return v, nil
}

func scalarAt(m *yaml.Node, key string) string {
	if m.Kind != yaml.MappingNode {
		return ""
	}
	if v := mapValue(m, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}
