package importer

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"

	"github.com/kafkaguard/kafkaguard/acl"
)

// ParseKafkaACLs reads the output of `kafka-acls.sh --list` (with or without
// --principal), as Apache Kafka's AclCommand prints it:
//
//	Current ACLs for resource `ResourcePattern(resourceType=TOPIC, name=orders, patternType=LITERAL)`:
//		(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)
//
// Both dialects are read: Kafka 4's Java tool (tools/.../AclCommand.java)
// prints the lines as above; Kafka 2.x and 3.x's Scala tool
// (core/.../kafka/admin/AclCommand.scala) adds stray spaces (s"...`: $Newline
// ${...} $Newline": a space after the colon, before the first tab and after
// the last entry). `ACLs for principal `User:x“ headers of --list
// --principal are skipped. Every binding is checked as a cluster stores it;
// anything else is an error naming the file and line.
func ParseKafkaACLs(file string, data []byte) ([]acl.Binding, error) {
	var out []acl.Binding
	var cur *resourceHeader
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimRight(strings.TrimLeft(sc.Text(), " \t"), " \t\r")
		errf := func(format string, args ...any) error {
			return fmt.Errorf("%s:%d: %s", file, line, fmt.Sprintf(format, args...))
		}
		switch {
		case text == "":
			cur = nil // a blank line ends a resource's block
		case strings.HasPrefix(text, "Current ACLs for resource `"):
			h, err := parseResourceHeader(text)
			if err != nil {
				return nil, errf("%v", err)
			}
			cur = &h
		case strings.HasPrefix(text, "ACLs for principal `") && strings.HasSuffix(text, "`"):
			cur = nil
		case strings.HasPrefix(text, "(principal="):
			if cur == nil {
				return nil, errf("an ACL entry outside a \"Current ACLs for resource\" block")
			}
			b, err := parseEntry(*cur, text)
			if err != nil {
				return nil, errf("%v", err)
			}
			out = append(out, b)
		default:
			return nil, errf("not kafka-acls.sh --list output: %.60q", text)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", file, line+1, err)
	}
	if len(out) == 0 && len(bytes.TrimSpace(data)) > 0 {
		return nil, fmt.Errorf("%s:1: no ACL entries found", file)
	}
	return out, nil
}

type resourceHeader struct{ typ, name, pattern string }

// parseResourceHeader reads "Current ACLs for resource `ResourcePattern(
// resourceType=T, name=N, patternType=P)`:". The name may hold anything,
// commas and backticks included: the fields are found from both ends.
func parseResourceHeader(text string) (resourceHeader, error) {
	rest := strings.TrimPrefix(text, "Current ACLs for resource `")
	rest, ok := strings.CutSuffix(rest, "`:")
	if !ok {
		return resourceHeader{}, fmt.Errorf("resource header does not end in \"`:\"")
	}
	rest, ok1 := strings.CutPrefix(rest, "ResourcePattern(resourceType=")
	rest, ok2 := strings.CutSuffix(rest, ")")
	if !ok1 || !ok2 {
		return resourceHeader{}, fmt.Errorf("want `ResourcePattern(resourceType=..., name=..., patternType=...)`, found %.60q", rest)
	}
	typ, rest, ok1 := strings.Cut(rest, ", name=")
	i := strings.LastIndex(rest, ", patternType=")
	if !ok1 || i < 0 {
		return resourceHeader{}, fmt.Errorf("resource pattern without name or patternType")
	}
	return resourceHeader{typ: typ, name: rest[:i], pattern: rest[i+len(", patternType="):]}, nil
}

// parseEntry reads "(principal=P, host=H, operation=O, permissionType=T)",
// AccessControlEntry.toString(). The principal may hold commas: the other
// fields are found from the end.
func parseEntry(h resourceHeader, text string) (acl.Binding, error) {
	rest, ok := strings.CutSuffix(strings.TrimPrefix(text, "(principal="), ")")
	if !ok {
		return acl.Binding{}, fmt.Errorf("ACL entry does not end in \")\"")
	}
	fields := [3]string{", permissionType=", ", operation=", ", host="}
	var vals [3]string
	for i, f := range fields {
		j := strings.LastIndex(rest, f)
		if j < 0 {
			return acl.Binding{}, fmt.Errorf("ACL entry without %q", strings.TrimPrefix(f, ", "))
		}
		vals[i] = rest[j+len(f):]
		rest = rest[:j]
	}
	return storedBinding(rest, vals[2], h.typ, h.name, h.pattern, vals[1], vals[0])
}

// storedBinding builds a binding from Kafka's names and checks it as a
// cluster stores it (acl.Binding.ValidateStored). Empty fields are errors.
func storedBinding(principal, host, resourceType, name, pattern, operation, permission string) (acl.Binding, error) {
	return acl.FromStoredStrings(principal, host, resourceType, name, pattern, operation, permission)
}
