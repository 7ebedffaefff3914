package importer

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kafkaguard/kafkaguard/acl"
)

// Kafka Security Manager (conduktor/kafka-security-manager, last release
// 2022, built on Kafka 2.8's kafka.security.auth classes) reads ACLs from a
// CSV file or, for .yml/.yaml files, a YAML file: its parsers are
// src/main/scala/io/conduktor/ksm/parser/csv/CsvAclParser.scala and
// .../parser/yaml/YamlAclParser.scala, followed here.

// KSM's CSV columns (CsvAclParser.EXPECTED_COLS).
const (
	ksmPrincipal  = "KafkaPrincipal"
	ksmType       = "ResourceType"
	ksmPattern    = "PatternType"
	ksmName       = "ResourceName"
	ksmOperation  = "Operation"
	ksmPermission = "PermissionType"
	ksmHost       = "Host"
)

// KSM names its enums with the Scala names of kafka.security.auth, matched
// case-insensitively (ResourceType/Operation/PermissionType.fromString):
// "TransactionalId", "DescribeConfigs"; Kafka's upper-case names with an
// underscore are not among them, and KSM rejects them.
var (
	ksmResourceTypes = map[string]acl.ResourceType{
		"topic": acl.ResourceTopic, "group": acl.ResourceGroup, "cluster": acl.ResourceCluster,
		"transactionalid": acl.ResourceTransactionalID, "delegationtoken": acl.ResourceDelegationToken,
	}
	ksmOperations = map[string]acl.Operation{
		"read": acl.OpRead, "write": acl.OpWrite, "create": acl.OpCreate, "delete": acl.OpDelete,
		"alter": acl.OpAlter, "describe": acl.OpDescribe, "clusteraction": acl.OpClusterAction,
		"alterconfigs": acl.OpAlterConfigs, "describeconfigs": acl.OpDescribeConfigs,
		"idempotentwrite": acl.OpIdempotentWrite, "all": acl.OpAll,
	}
	ksmPermissions = map[string]acl.Permission{"allow": acl.PermAllow, "deny": acl.PermDeny}
)

func ksmLookup[V any](m map[string]V, kind, s, valid string) (V, error) {
	v, ok := m[strings.ToLower(s)]
	if !ok {
		return v, fmt.Errorf("%q is not a valid %s name (KSM accepts %s)", s, kind, valid)
	}
	return v, nil
}

const (
	ksmValidTypes       = "Topic, Group, Cluster, TransactionalId, DelegationToken"
	ksmValidOperations  = "Read, Write, Create, Delete, Alter, Describe, ClusterAction, AlterConfigs, DescribeConfigs, IdempotentWrite, All"
	ksmValidPermissions = "Allow, Deny"
)

// KSM parses Kafka Security Manager files: .yml and .yaml with the YAML
// parser, anything else with the CSV parser (KSM's default and fallback).
type KSM struct {
	// Delimiter is the CSV delimiter (KSM's parser.csv.delimiter,
	// ACL_PARSER_CSV_DELIMITER); 0 means ',' as KSM's default.
	Delimiter rune
}

// Parse reads one KSM file.
func (k KSM) Parse(file string, data []byte) (Input, error) {
	var bs []acl.Binding
	var err error
	switch strings.ToLower(filepath.Ext(file)) {
	case ".yml", ".yaml":
		bs, err = parseKSMYAML(file, data)
	default:
		bs, err = k.parseCSV(file, data)
	}
	return Input{Bindings: bs}, err
}

// parseCSV follows CsvAclParser: a header row names the columns (by exact
// name, in any order; other columns are ignored); empty lines are skipped;
// values are taken as they are (no trimming). A missing PatternType column
// (or a row too short to reach it) means LITERAL, as KSM's backwards
// compatible default; a PatternType that is not LITERAL or PREFIXED (any
// case) is an error, as kafka.security.auth.Resource refuses it.
func (k KSM) parseCSV(file string, data []byte) ([]acl.Binding, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = ','
	if k.Delimiter != 0 {
		r.Comma = k.Delimiter
	}
	r.FieldsPerRecord = -1
	r.ReuseRecord = false
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil // KSM reads no ACLs from an empty file
	}
	if err != nil {
		return nil, csvError(file, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i // a repeated column: the last wins, as in KSM's row map
	}
	var out []acl.Binding
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, csvError(file, err)
		}
		line, _ := r.FieldPos(0)
		field := func(name string) (string, bool) {
			i, ok := col[name]
			if !ok || i >= len(rec) {
				return "", false
			}
			return rec[i], true
		}
		b, err := ksmRow(field)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", file, line, err)
		}
		out = append(out, b)
	}
}

func ksmRow(field func(string) (string, bool)) (acl.Binding, error) {
	var v [6]string
	for i, name := range []string{ksmPrincipal, ksmType, ksmName, ksmOperation, ksmPermission, ksmHost} {
		s, ok := field(name)
		if !ok {
			return acl.Binding{}, fmt.Errorf("no %s value (the header must name the columns %s)", name,
				strings.Join([]string{ksmPrincipal, ksmType, ksmPattern, ksmName, ksmOperation, ksmPermission, ksmHost}, ","))
		}
		v[i] = s
	}
	principal, err := ksmPrincipalOf(v[0])
	if err != nil {
		return acl.Binding{}, err
	}
	rt, err := ksmLookup(ksmResourceTypes, "resourceType", v[1], ksmValidTypes)
	if err != nil {
		return acl.Binding{}, err
	}
	op, err := ksmLookup(ksmOperations, "operation", v[3], ksmValidOperations)
	if err != nil {
		return acl.Binding{}, err
	}
	perm, err := ksmLookup(ksmPermissions, "permissionType", v[4], ksmValidPermissions)
	if err != nil {
		return acl.Binding{}, err
	}
	pt := acl.PatternLiteral
	if s, ok := field(ksmPattern); ok {
		switch strings.ToUpper(s) {
		case "LITERAL":
		case "PREFIXED":
			pt = acl.PatternPrefixed
		default:
			return acl.Binding{}, fmt.Errorf("PatternType %q: want LITERAL or PREFIXED", s)
		}
	}
	b := acl.Binding{Principal: principal, Host: v[5], ResourceType: rt, ResourceName: v[2], PatternType: pt, Operation: op, Permission: perm}
	if err := b.ValidateStored(); err != nil {
		return acl.Binding{}, err
	}
	return b, nil
}

// ksmPrincipalOf follows SecurityUtils.parseKafkaPrincipal: "Type:name",
// split at the first colon.
func ksmPrincipalOf(s string) (string, error) {
	typ, name, ok := strings.Cut(s, ":")
	if s == "" || !ok {
		return "", fmt.Errorf("expected a string in format principalType:principalName but got %q", s)
	}
	return typ + ":" + name, nil
}

func csvError(file string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s:%d: invalid CSV: %v", file, pe.Line, pe.Err)
	}
	return fmt.Errorf("%s: invalid CSV: %v", file, err)
}

// parseKSMYAML follows YamlAclParser:
//
//	users:
//	  alice:                         # principal User:alice
//	    topics:                      # also groups, transactional_ids, clusters
//	      foo: [Read]                # Operation (Allow from every host)
//	      "baz*": ["Write,Deny,12.34.56.78"]   # Operation,PermissionType,Host
//	      orders: [produce]          # topics only: consume | produce
//
// A resource name is trimmed; a trailing "*" (not "*" alone) makes it
// PREFIXED. "consume" gives DESCRIBE and READ; "produce" gives DESCRIBE,
// CREATE and WRITE on the topic and CREATE on the CLUSTER resource named
// "*" (as KSM writes it). Keys KSM does not know are ignored, as its
// decoder does; entries of another shape are errors.
func parseKSMYAML(file string, data []byte) ([]acl.Binding, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(file, err)
	}
	errf := func(n *yaml.Node, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", file, n.Line, fmt.Sprintf(format, args...))
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s:1: no \"users\" mapping (KSM requires one)", file)
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, errf(root, "want a mapping with \"users\"")
	}
	users := mapValue(root, "users")
	if users == nil {
		return nil, errf(root, "no \"users\" mapping (KSM requires one)")
	}
	if users.Kind != yaml.MappingNode {
		return nil, errf(users, "users must be a mapping of user name to resources")
	}
	types := []struct {
		key string
		typ acl.ResourceType
	}{{"topics", acl.ResourceTopic}, {"groups", acl.ResourceGroup}, {"transactional_ids", acl.ResourceTransactionalID}, {"clusters", acl.ResourceCluster}}
	var out []acl.Binding
	for i := 0; i+1 < len(users.Content); i += 2 {
		user, res := users.Content[i], users.Content[i+1]
		if res.Kind != yaml.MappingNode {
			return nil, errf(res, "user %q: want a mapping of topics, groups, transactional_ids, clusters", user.Value)
		}
		principal := "User:" + user.Value
		for _, t := range types {
			m := mapValue(res, t.key)
			if m == nil || isNull(m) {
				continue
			}
			if m.Kind != yaml.MappingNode {
				return nil, errf(m, "user %q: %s must be a mapping of resource name to ACLs", user.Value, t.key)
			}
			for j := 0; j+1 < len(m.Content); j += 2 {
				nameNode, list := m.Content[j], m.Content[j+1]
				name := strings.TrimSpace(nameNode.Value)
				pt := acl.PatternLiteral
				if name != acl.Wildcard && strings.HasSuffix(name, "*") {
					name, pt = strings.TrimSuffix(name, "*"), acl.PatternPrefixed
				}
				if list.Kind != yaml.SequenceNode {
					return nil, errf(list, "user %q: %s %q: want a list of ACLs", user.Value, t.key, nameNode.Value)
				}
				for _, e := range list.Content {
					if e.Kind != yaml.ScalarNode || e.Tag != "!!str" {
						return nil, errf(e, "user %q: %s %q: an ACL must be a string", user.Value, t.key, nameNode.Value)
					}
					bs, err := ksmYAMLACL(principal, t.typ, name, pt, e.Value)
					if err != nil {
						return nil, errf(e, "could not parse ACL %q for principal %q and resource %s %q: %v", e.Value, principal, t.typ, nameNode.Value, err)
					}
					out = append(out, bs...)
				}
			}
		}
	}
	return out, nil
}

// ksmYAMLACL follows YamlAclParser.parseAcl: the ACL string split at commas
// (Java's split: trailing empty parts dropped, nothing trimmed).
func ksmYAMLACL(principal string, rt acl.ResourceType, name string, pt acl.PatternType, s string) ([]acl.Binding, error) {
	parts := strings.Split(s, ",")
	for len(parts) > 1 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	mk := func(rt acl.ResourceType, name string, pt acl.PatternType, op acl.Operation, perm acl.Permission, host string) (acl.Binding, error) {
		b := acl.Binding{Principal: principal, Host: host, ResourceType: rt, ResourceName: name, PatternType: pt, Operation: op, Permission: perm}
		return b, b.ValidateStored()
	}
	switch len(parts) {
	case 3:
		op, err := ksmLookup(ksmOperations, "operation", parts[0], ksmValidOperations)
		if err != nil {
			return nil, err
		}
		perm, err := ksmLookup(ksmPermissions, "permissionType", parts[1], ksmValidPermissions)
		if err != nil {
			return nil, err
		}
		b, err := mk(rt, name, pt, op, perm, parts[2])
		return []acl.Binding{b}, err
	case 1:
		var ops []acl.Operation
		abbrev := strings.ToLower(parts[0])
		switch {
		case rt == acl.ResourceTopic && abbrev == "consume":
			ops = []acl.Operation{acl.OpDescribe, acl.OpRead}
		case rt == acl.ResourceTopic && abbrev == "produce":
			ops = []acl.Operation{acl.OpDescribe, acl.OpCreate, acl.OpWrite}
		default:
			op, err := ksmLookup(ksmOperations, "operation", parts[0], ksmValidOperations)
			if err != nil {
				return nil, err
			}
			ops = []acl.Operation{op}
		}
		var out []acl.Binding
		for _, op := range ops {
			b, err := mk(rt, name, pt, op, acl.PermAllow, acl.Wildcard)
			if err != nil {
				return nil, err
			}
			out = append(out, b)
		}
		if abbrev == "produce" && rt == acl.ResourceTopic {
			b, err := mk(acl.ResourceCluster, acl.Wildcard, acl.PatternLiteral, acl.OpCreate, acl.PermAllow, acl.Wildcard)
			if err != nil {
				return nil, err
			}
			out = append(out, b)
		}
		return out, nil
	}
	return nil, errors.New("pattern not supported (want Operation or Operation,PermissionType,Host)")
}

// mapValue returns the value of key in mapping m, nil when absent.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// yamlError words a YAML syntax error with file:line.
func yamlError(file string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, tail, ok := strings.Cut(rest, ": "); ok {
			return fmt.Errorf("%s:%s: invalid YAML: %s", file, n, tail)
		}
	}
	return fmt.Errorf("%s:1: invalid YAML: %s", file, msg)
}
