package acl

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Binding is one Kafka ACL binding: a principal on a host may (ALLOW) or may
// not (DENY) perform an operation on the resources a pattern matches.
type Binding struct {
	Principal    string // "User:alice"; User:* for everyone
	Host         string // "*" for every host
	ResourceType ResourceType
	ResourceName string
	PatternType  PatternType
	Operation    Operation
	Permission   Permission
}

// String renders a binding on one line, in Kafka's words.
func (b Binding) String() string {
	return fmt.Sprintf("%s %s %s on %s %s %q from host %s",
		printable(b.Principal), b.Permission, b.Operation, b.PatternType, b.ResourceType, b.ResourceName, printable(b.Host))
}

// printable is s, or s quoted when it holds a character that is not
// printable (a newline, ESC, a bidi control...): a live binding's principal
// can be any string, and a plan line must stay one honest line.
func printable(s string) string {
	for _, r := range s {
		if !strconv.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

// Validate checks a binding the way a Kafka broker would before accepting it,
// and that its operation is one its resource type defines (as kafka-acls.sh
// checks before sending it).
func (b Binding) Validate() error {
	if err := b.ValidateStored(); err != nil {
		return err
	}
	if !b.ResourceType.Allows(b.Operation) {
		return fmt.Errorf("operation %s is not valid on resource type %s (valid: %s)",
			b.Operation, b.ResourceType, opList(b.ResourceType.Operations()))
	}
	if b.ResourceType == ResourceCluster && b.ResourceName != ClusterName {
		return fmt.Errorf("CLUSTER bindings must be LITERAL %q, not %s %q", ClusterName, b.PatternType, b.ResourceName)
	}
	return nil
}

// ValidateStored checks what every binding a cluster can hold satisfies. It
// is Validate without the checks kafka-acls.sh makes but a cluster's ACL
// store does not: an operation its resource type does not define (Kafka
// stores it; it never matches a request) and the literal wildcard "*" as
// the CLUSTER resource's name (ZooKeeper-era authorizers stored it, and it
// matches the cluster). Imported bindings are checked with it.
func (b Binding) ValidateStored() error {
	if err := ValidatePrincipal(b.Principal); err != nil {
		return err
	}
	if b.Host == "" {
		return errors.New("empty host (use \"*\" for every host)")
	}
	if !b.ResourceType.Valid() {
		return fmt.Errorf("unknown resource type %s", b.ResourceType)
	}
	if !b.PatternType.Valid() {
		return fmt.Errorf("unknown pattern type %s", b.PatternType)
	}
	if !b.Operation.Valid() {
		return fmt.Errorf("unknown operation %s", b.Operation)
	}
	if !b.Permission.Valid() {
		return fmt.Errorf("unknown permission %s", b.Permission)
	}
	if b.ResourceName == "" {
		return fmt.Errorf("empty resource name for %s", b.ResourceType)
	}
	if b.ResourceType == ResourceCluster && (b.ResourceName != ClusterName && b.ResourceName != Wildcard || b.PatternType != PatternLiteral) {
		return fmt.Errorf("CLUSTER bindings must be LITERAL %q, not %s %q", ClusterName, b.PatternType, b.ResourceName)
	}
	if b.PatternType == PatternPrefixed && b.ResourceName == Wildcard {
		return errors.New("PREFIXED \"*\" is not a valid pattern (use LITERAL \"*\" for every resource)")
	}
	return nil
}

func opList(ops []Operation) string {
	names := make([]string, 0, len(ops)+1)
	names = append(names, "ALL")
	for _, o := range ops {
		names = append(names, o.String())
	}
	return strings.Join(names, ", ")
}

// ValidatePrincipal checks that p has Kafka's "Type:name" form.
func ValidatePrincipal(p string) error {
	if p == "" {
		return errors.New("empty principal")
	}
	typ, name, ok := strings.Cut(p, ":")
	if !ok || typ == "" {
		return fmt.Errorf("principal %q has no type prefix (want e.g. \"User:%s\")", p, p)
	}
	if name == "" {
		return fmt.Errorf("principal %q has an empty name", p)
	}
	return nil
}

// Compare orders bindings by principal, resource type, resource name, pattern
// type, operation, permission and host (enums by Kafka's wire code).
func Compare(a, b Binding) int {
	if c := strings.Compare(a.Principal, b.Principal); c != 0 {
		return c
	}
	if a.ResourceType != b.ResourceType {
		return cmpInt(a.ResourceType, b.ResourceType)
	}
	if c := strings.Compare(a.ResourceName, b.ResourceName); c != 0 {
		return c
	}
	if a.PatternType != b.PatternType {
		return cmpInt(a.PatternType, b.PatternType)
	}
	if a.Operation != b.Operation {
		return cmpInt(a.Operation, b.Operation)
	}
	if a.Permission != b.Permission {
		return cmpInt(a.Permission, b.Permission)
	}
	return strings.Compare(a.Host, b.Host)
}

func cmpInt[T ~int8](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// jsonBinding is the documented JSON form (docs/design.md). MarshalJSON
// leaves Provenance empty, so it is never written; UnmarshalJSON reads the
// provenance that compile --explain adds and drops it.
type jsonBinding struct {
	Principal    string   `json:"principal"`
	Host         string   `json:"host"`
	ResourceType string   `json:"resource_type"`
	ResourceName string   `json:"resource_name"`
	PatternType  string   `json:"pattern_type"`
	Operation    string   `json:"operation"`
	Permission   string   `json:"permission"`
	Provenance   []string `json:"provenance,omitempty"`
}

// MarshalJSON writes the documented form:
// {"principal":"User:a","host":"*","resource_type":"TOPIC",...}.
func (b Binding) MarshalJSON() ([]byte, error) {
	return json.Marshal(jsonBinding{
		Principal: b.Principal, Host: b.Host,
		ResourceType: b.ResourceType.String(), ResourceName: b.ResourceName,
		PatternType: b.PatternType.String(), Operation: b.Operation.String(), Permission: b.Permission.String(),
	})
}

// UnmarshalJSON reads the documented form, rejecting unknown names, unknown
// fields, missing fields and invalid combinations. A missing host means "*",
// a missing pattern type LITERAL.
//
// "provenance" (compile -o json --explain: where each binding comes from) is
// read and dropped, so explained output is readable wherever bindings are.
func (b *Binding) UnmarshalJSON(data []byte) error {
	var j jsonBinding
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return describeFieldError(err)
	}
	for _, f := range []struct{ name, value string }{
		{"principal", j.Principal}, {"resource_type", j.ResourceType}, {"resource_name", j.ResourceName},
		{"operation", j.Operation}, {"permission", j.Permission},
	} {
		if f.value == "" {
			return fmt.Errorf("missing or empty field %q", f.name)
		}
	}
	nb, err := FromStrings(j.Principal, j.Host, j.ResourceType, j.ResourceName, j.PatternType, j.Operation, j.Permission)
	if err != nil {
		return err
	}
	*b = nb
	return nil
}

const jsonFields = "principal, host, resource_type, resource_name, pattern_type, operation, permission, provenance"

// describeFieldError turns encoding/json's errors about one binding object
// into messages in the documented format's words (no Go type names).
func describeFieldError(err error) error {
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te) && te.Field != "":
		return fmt.Errorf("field %q: want a string, found %s", te.Field, te.Value)
	case errors.As(err, &te):
		return fmt.Errorf("want a binding object, found %s", te.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return fmt.Errorf("unknown field %s (want %s)", strings.TrimPrefix(err.Error(), "json: unknown field "), jsonFields)
	}
	return err
}

// FromStrings builds and validates a binding from Kafka names. An empty host
// means "*", an empty pattern type LITERAL.
func FromStrings(principal, host, resourceType, resourceName, patternType, operation, permission string) (Binding, error) {
	if host == "" {
		host = Wildcard
	}
	if patternType == "" {
		patternType = "LITERAL"
	}
	return fromNames(Binding.Validate, principal, host, resourceType, resourceName, patternType, operation, permission)
}

// FromStoredStrings builds a binding from Kafka's names as a cluster
// stores and lists them (kafka-acls --list): no defaults, an empty field is
// an error, and it is checked with ValidateStored.
func FromStoredStrings(principal, host, resourceType, resourceName, patternType, operation, permission string) (Binding, error) {
	return fromNames(Binding.ValidateStored, principal, host, resourceType, resourceName, patternType, operation, permission)
}

// fromNames parses the names of a binding's fields and checks the binding
// with check. A name that does not parse is the first error, in field order.
func fromNames(check func(Binding) error, principal, host, resourceType, resourceName, patternType, operation, permission string) (Binding, error) {
	rt, rtErr := ParseResourceType(resourceType)
	pt, ptErr := ParsePatternType(patternType)
	op, opErr := ParseOperation(operation)
	perm, permErr := ParsePermission(permission)
	if err := cmp.Or(rtErr, ptErr, opErr, permErr); err != nil {
		return Binding{}, err
	}
	b := Binding{Principal: principal, Host: host, ResourceType: rt, ResourceName: resourceName, PatternType: pt, Operation: op, Permission: perm}
	if err := check(b); err != nil {
		return Binding{}, err
	}
	return b, nil
}

// ParseJSON reads a JSON array of bindings (the `compile -o json` format).
// Errors name the source and the line and column (1-based) of the problem,
// and for an invalid binding its position in the array (1-based).
//
// A valid file is read in one pass (parseJSONFast); anything else is read
// again with encoding/json, element by element, which says what is wrong
// and where.
func ParseJSON(source string, data []byte) ([]Binding, error) {
	if bs, ok := parseJSONFast(data); ok {
		return bs, nil
	}
	return parseJSONCareful(source, data)
}

// parseJSONCareful is ParseJSON with encoding/json: the reference the fast
// path follows, and the reader of every file it gives up on.
func parseJSONCareful(source string, data []byte) ([]Binding, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("%s: %s", source, describeJSONError(data, err))
	}
	if raw == nil {
		l, c := lineCol(data, int64(len(data)-len(bytes.TrimLeft(data, " \t\r\n"))))
		return nil, fmt.Errorf("%s: line %d, column %d: want a JSON array of bindings, found null", source, l, c)
	}
	out := make([]Binding, 0, len(raw))
	for i, r := range raw {
		var b Binding
		if err := b.UnmarshalJSON(r); err != nil {
			l, c := lineCol(data, elementOffset(data, i))
			return nil, fmt.Errorf("%s: line %d, column %d: binding %d: %w", source, l, c, i+1, err)
		}
		out = append(out, b)
	}
	return out, nil
}

// elementOffset returns the byte offset where element i of the JSON array in
// data (already known to be valid) begins, or 0 if it cannot tell. Only an
// error message needs it, so a valid file is not tokenized a second time.
func elementOffset(data []byte, i int) int64 {
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil { // [
		return 0
	}
	for n := 0; dec.More(); n++ {
		off := dec.InputOffset()
		for off < int64(len(data)) && strings.IndexByte(" \t\r\n,", data[off]) >= 0 {
			off++
		}
		if n == i {
			return off
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return 0
		}
	}
	return 0
}

func describeJSONError(data []byte, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		l, c := lineCol(data, se.Offset-1)
		return fmt.Sprintf("line %d, column %d: malformed JSON: %v", l, c, se)
	case errors.As(err, &te):
		l, c := lineCol(data, te.Offset-1)
		return fmt.Sprintf("line %d, column %d: want a JSON array of bindings, found %s", l, c, te.Value)
	}
	return "malformed JSON: " + err.Error()
}

// lineCol turns a byte offset into a 1-based line and column (in bytes).
func lineCol(data []byte, offset int64) (line, col int) {
	offset = max(0, min(offset, int64(len(data))))
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// FormatJSON writes bindings as an indented JSON array, one binding per line.
func FormatJSON(bs []Binding) ([]byte, error) {
	return FormatJSONFunc(bs, Binding.MarshalJSON)
}

// FormatJSONFunc writes bindings in FormatJSON's layout, each encoded by
// encode (one JSON object, no newlines), e.g. to add fields to each binding.
func FormatJSONFunc(bs []Binding, encode func(Binding) ([]byte, error)) ([]byte, error) {
	var buf bytes.Buffer
	err := WriteJSONFunc(&buf, bs, func(dst []byte, b Binding) ([]byte, error) {
		j, err := encode(b)
		return append(dst, j...), err
	})
	return buf.Bytes(), err
}
