package inventory

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/kafkaguard/kafkaguard/acl"
)

// Load reads and validates the inventory from files and directories (every
// *.yaml and *.yml file directly in a directory, in name order). Keys that
// the format does not define are errors; every error names file:line.
//
// Roles are not checked here: user policies may add roles, so the policy
// compiler (package policies) checks grant roles against the roles the Rego
// library and the user's policies define.
func Load(paths ...string) (*Inventory, error) {
	return LoadWith(Limits{}, paths...)
}

// LoadWith is Load with limits other than the defaults (zero fields keep
// theirs): an inventory over one is an error naming the limit and its flag,
// found before the work it would cause.
func LoadWith(limits Limits, paths ...string) (*Inventory, error) {
	limits = limits.WithDefaults()
	if len(paths) == 0 {
		return nil, errors.New("no inventory given (use -f FILE or -f DIR)")
	}
	var files []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("read inventory: %w", err)
		}
		if !fi.IsDir() {
			files = append(files, p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, fmt.Errorf("read inventory directory %s: %w", p, err)
		}
		n := 0
		for _, e := range entries {
			ext := filepath.Ext(e.Name())
			if e.Type().IsRegular() && (ext == ".yaml" || ext == ".yml") {
				files = append(files, filepath.Join(p, e.Name()))
				n++
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("read inventory directory %s: no *.yaml or *.yml files", p)
		}
	}
	var size int64
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil {
			if size += fi.Size(); size > limits.MaxBytes {
				return nil, &LimitError{Where: f, What: fmt.Sprintf("the inventory files are %s bytes or more", group(size)), Limit: limits.MaxBytes, Flag: FlagMaxBytes}
			}
		}
	}
	l := newLoader(limits)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("read inventory: %w", err)
			}
			return nil, fmt.Errorf("read inventory %s: %w", f, err)
		}
		if err := l.parse(f, data); err != nil {
			return nil, err
		}
		l.inv.Files = append(l.inv.Files, f)
	}
	if err := l.finish(); err != nil {
		return nil, err
	}
	return l.inv, nil
}

// Parse reads one inventory document held in memory; name is used in errors.
func Parse(name string, data []byte) (*Inventory, error) {
	limits := Limits{}.WithDefaults()
	if int64(len(data)) > limits.MaxBytes {
		return nil, &LimitError{Where: name, What: fmt.Sprintf("the inventory is %s bytes", group(int64(len(data)))), Limit: limits.MaxBytes, Flag: FlagMaxBytes}
	}
	l := newLoader(limits)
	if err := l.parse(name, data); err != nil {
		return nil, err
	}
	l.inv.Files = []string{name}
	if err := l.finish(); err != nil {
		return nil, err
	}
	return l.inv, nil
}

type loader struct {
	inv        *Inventory
	principals map[string]Principal
	topics     map[string]Topic
	bindings   int64 // the grants' bindings so far (at least)
}

func newLoader(limits Limits) *loader {
	return &loader{inv: &Inventory{Limits: limits}, principals: map[string]Principal{}, topics: map[string]Topic{}}
}

// posError is an error about a place in a file.
type posError struct {
	file string
	line int
	msg  string
}

func (e *posError) Error() string { return fmt.Sprintf("%s:%d: %s", e.file, e.line, e.msg) }

func (l *loader) errf(file string, n *yaml.Node, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &posError{file: file, line: line, msg: fmt.Sprintf(format, args...)}
}

func src(file string, n *yaml.Node) string { return file + ":" + strconv.Itoa(n.Line) }

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (l *loader) parse(file string, data []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := err.Error()
		if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
			return fmt.Errorf("%s:%s: invalid YAML: %s", file, m[1], m[2])
		}
		return fmt.Errorf("%s: invalid YAML: %s", file, strings.TrimPrefix(msg, "yaml: "))
	}
	if len(doc.Content) == 0 {
		return nil // an empty file declares nothing
	}
	if _, ok := expandedNodes(&doc, l.inv.Limits.MaxNodes); !ok {
		return &LimitError{Where: file, What: "the YAML, with its aliases expanded, has too many nodes", Limit: int64(l.inv.Limits.MaxNodes), Flag: FlagMaxNodes}
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil
	}
	return l.mapping(file, root, "the inventory", map[string]func(k, v *yaml.Node) error{
		"cluster":    func(_, v *yaml.Node) error { return l.cluster(file, v) },
		"principals": func(_, v *yaml.Node) error { return l.principalsBlock(file, v) },
		"topics":     func(_, v *yaml.Node) error { return l.topicsBlock(file, v) },
		"grants":     func(_, v *yaml.Node) error { return l.grantsBlock(file, v) },
		"managed":    func(_, v *yaml.Node) error { return l.managed(file, v) },
		"waivers":    func(_, v *yaml.Node) error { return l.waiversBlock(file, v) },
	})
}

// mapping walks a YAML mapping, calling the handler of each key; unknown and
// duplicate keys are errors.
func (l *loader) mapping(file string, n *yaml.Node, what string, handlers map[string]func(k, v *yaml.Node) error) error {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		return l.errf(file, n, "%s must be a mapping, found %s", what, kindName(n))
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return l.errf(file, k, "%s: keys must be strings", what)
		}
		if k.Value == "<<" {
			return l.errf(file, k, "%s: YAML merge keys (<<) are not supported", what)
		}
		h, ok := handlers[k.Value]
		if !ok {
			return l.errf(file, k, "%s: unknown key %q (valid: %s)", what, k.Value, keyList(handlers))
		}
		if seen[k.Value] {
			return l.errf(file, k, "%s: key %q given twice", what, k.Value)
		}
		seen[k.Value] = true
		if err := h(k, deref(v)); err != nil {
			return err
		}
	}
	return nil
}

func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func keyList[V any](m map[string]V) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "null"
		case "!!bool":
			return "a boolean (" + n.Value + ")"
		case "!!int", "!!float":
			return "a number (" + n.Value + ")"
		}
		return fmt.Sprintf("the string %q", n.Value)
	}
	return "something else"
}

func (l *loader) str(file string, n *yaml.Node, what string, dst *string) error {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		return l.errf(file, n, "%s must be a string, found %s", what, kindName(n))
	}
	*dst = n.Value
	return nil
}

func (l *loader) boolean(file string, n *yaml.Node, what string, dst *bool) error {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		return l.errf(file, n, "%s must be true or false, found %s", what, kindName(n))
	}
	return n.Decode(dst)
}

func (l *loader) integer(file string, n *yaml.Node, what string, dst *int) error {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		return l.errf(file, n, "%s must be an integer, found %s", what, kindName(n))
	}
	if err := n.Decode(dst); err != nil {
		return l.errf(file, n, "%s: %v", what, err)
	}
	return nil
}

// strList accepts a list of strings, or a single string as a one-item list.
func (l *loader) strList(file string, n *yaml.Node, what string, dst *[]string) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		*dst = []string{n.Value}
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return l.errf(file, n, "%s must be a list of strings, found %s", what, kindName(n))
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		c = deref(c)
		if c.Kind != yaml.ScalarNode || c.Tag != "!!str" {
			return l.errf(file, c, "%s must be a list of strings, found %s in it", what, kindName(c))
		}
		out = append(out, c.Value)
	}
	*dst = out
	return nil
}

func (l *loader) cluster(file string, n *yaml.Node) error {
	var c Cluster
	err := l.mapping(file, n, "cluster", map[string]func(k, v *yaml.Node) error{
		"name": func(_, v *yaml.Node) error { return l.str(file, v, "cluster.name", &c.Name) },
		"ssl_principal_mapping_rules": func(_, v *yaml.Node) error {
			return l.str(file, v, "cluster.ssl_principal_mapping_rules", &c.SSLPrincipalMappingRules)
		},
	})
	if err != nil {
		return err
	}
	if prev := l.inv.Cluster; prev.Source != "" {
		if c.Name != "" && prev.Name != "" && c.Name != prev.Name {
			return l.errf(file, n, "cluster.name %q differs from %q declared at %s", c.Name, prev.Name, prev.Source)
		}
		if c.SSLPrincipalMappingRules != "" && prev.SSLPrincipalMappingRules != "" && c.SSLPrincipalMappingRules != prev.SSLPrincipalMappingRules {
			return l.errf(file, n, "cluster.ssl_principal_mapping_rules differs from the rules declared at %s", prev.Source)
		}
		if c.Name == "" {
			c.Name = prev.Name
		}
		if c.SSLPrincipalMappingRules == "" {
			c.SSLPrincipalMappingRules = prev.SSLPrincipalMappingRules
		}
		c.Source = prev.Source
	} else {
		c.Source = src(file, n)
	}
	l.inv.Cluster = c
	return nil
}

var validAuth = []string{AuthSCRAMSHA256, AuthSCRAMSHA512, AuthMTLS, AuthPlain, AuthOAuthBearer}

func (l *loader) principalsBlock(file string, n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return l.errf(file, n, "principals must be a mapping of name to settings, found %s", kindName(n))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			return l.errf(file, k, "principal names must be strings")
		}
		name := k.Value
		if err := validPrincipalName(name); err != nil {
			return l.errf(file, k, "principal %q: %v", name, err)
		}
		if prev, ok := l.principals[name]; ok {
			return l.errf(file, k, "principal %q declared twice (first at %s)", name, prev.Source)
		}
		p := Principal{Name: name, Source: src(file, k)}
		what := "principal " + strconv.Quote(name)
		var hasIter bool
		err := l.mapping(file, v, what, map[string]func(k, v *yaml.Node) error{
			"auth":      func(_, v *yaml.Node) error { return l.str(file, v, what+": auth", &p.Auth) },
			"team":      func(_, v *yaml.Node) error { return l.str(file, v, what+": team", &p.Team) },
			"dn":        func(_, v *yaml.Node) error { return l.str(file, v, what+": dn", &p.DN) },
			"superuser": func(_, v *yaml.Node) error { return l.boolean(file, v, what+": superuser", &p.Superuser) },
			"iterations": func(_, v *yaml.Node) error {
				hasIter = true
				return l.integer(file, v, what+": iterations", &p.Iterations)
			},
			"description": func(_, v *yaml.Node) error { var s string; return l.str(file, v, what+": description", &s) },
			"labels":      func(_, v *yaml.Node) error { return l.labels(file, v, what+": labels", &p.Labels) },
		})
		if err != nil {
			return err
		}
		switch {
		case p.Auth == "":
			return l.errf(file, k, "%s: auth is required (one of %s)", what, strings.Join(validAuth, ", "))
		case !slices.Contains(validAuth, p.Auth):
			return l.errf(file, k, "%s: unknown auth %q (want one of %s)", what, p.Auth, strings.Join(validAuth, ", "))
		case p.IsSCRAM() && p.DN != "":
			return l.errf(file, k, "%s: dn is an mtls setting, but auth is %s (remove dn or use auth: mtls)", what, p.Auth)
		case !p.IsSCRAM() && hasIter:
			return l.errf(file, k, "%s: iterations is a SCRAM setting, but auth is %s (remove iterations or use a scram-sha-* auth)", what, p.Auth)
		case hasIter && (p.Iterations < 4096 || p.Iterations > 16384):
			return l.errf(file, k, "%s: iterations %d out of range (Kafka accepts 4096 to 16384)", what, p.Iterations)
		case p.DN != "" && p.Auth != AuthMTLS:
			return l.errf(file, k, "%s: dn is an mtls setting, but auth is %s", what, p.Auth)
		}
		l.principals[name] = p
	}
	return nil
}

func validPrincipalName(name string) error {
	switch {
	case name == "":
		return errors.New("empty name")
	case name == "*":
		return errors.New("\"*\" is not a principal (a grant to everyone uses principal: \"*\")")
	case strings.TrimSpace(name) != name:
		return errors.New("leading or trailing spaces")
	case strings.ContainsAny(name, "\n\r\t"):
		return errors.New("control characters in the name")
	case strings.HasPrefix(name, "User:"):
		return errors.New("write the name without the \"User:\" prefix")
	}
	return nil
}

// ValidTopicName reports why Kafka would reject a topic name, or nil.
func ValidTopicName(name string) error {
	switch {
	case name == "":
		return errors.New("empty topic name")
	case name == "." || name == "..":
		return fmt.Errorf("topic name %q is not allowed", name)
	case len(name) > 249:
		return fmt.Errorf("topic name is %d characters long (Kafka allows 249)", len(name))
	}
	if r, bad := badTopicRune(name); bad {
		return fmt.Errorf("topic name %q has %q (Kafka allows only a-z, A-Z, 0-9, '.', '_' and '-')", name, r)
	}
	return nil
}

// badTopicRune returns the first character of s that Kafka does not allow
// in a topic name.
func badTopicRune(s string) (rune, bool) {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return r, true
		}
	}
	return 0, false
}

// ValidTopicPattern checks a topic name as written: a name, a prefix with a
// trailing "*", or "*" alone.
func ValidTopicPattern(s string) error {
	name, pt := SplitName(s)
	if s == acl.Wildcard {
		return nil
	}
	if pt == acl.PatternPrefixed {
		if name == "" {
			return errors.New("empty prefix before \"*\"")
		}
		if strings.Contains(name, "*") {
			return fmt.Errorf("%q: only a single trailing \"*\" is allowed", s)
		}
		if len(name) > 249 {
			return fmt.Errorf("prefix is %d characters long (Kafka allows 249)", len(name))
		}
		if r, bad := badTopicRune(name); bad {
			return fmt.Errorf("topic prefix %q has %q (Kafka allows only a-z, A-Z, 0-9, '.', '_' and '-')", name, r)
		}
		return nil
	}
	return ValidTopicName(name)
}

// ValidIDPattern checks a group or transactional id as written. Kafka accepts
// any non-empty id; kafkaguard also rejects spaces and control characters at
// either end, which are always a mistake in YAML.
func ValidIDPattern(kind, s string) error {
	name, pt := SplitName(s)
	switch {
	case s == "":
		return fmt.Errorf("empty %s", kind)
	case s == acl.Wildcard:
		return nil
	case pt == acl.PatternPrefixed && name == "":
		return errors.New("empty prefix before \"*\"")
	case strings.Contains(name, "*"):
		return fmt.Errorf("%s %q: only a single trailing \"*\" is allowed", kind, s)
	case strings.TrimSpace(s) != s:
		return fmt.Errorf("%s %q has leading or trailing spaces", kind, s)
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return fmt.Errorf("%s %q has control characters", kind, s)
	case len(name) > 32767:
		return fmt.Errorf("%s is longer than Kafka allows", kind)
	}
	return nil
}

func (l *loader) topicsBlock(file string, n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return l.errf(file, n, "topics must be a mapping of topic name to settings, found %s", kindName(n))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			return l.errf(file, k, "topic names must be strings")
		}
		name := k.Value
		if name == acl.Wildcard {
			return l.errf(file, k, "topic \"*\": declare topics by name or prefix (\"orders.*\"), not all at once")
		}
		if err := ValidTopicPattern(name); err != nil {
			return l.errf(file, k, "topic %q: %v", name, err)
		}
		if prev, ok := l.topics[name]; ok {
			return l.errf(file, k, "topic %q declared twice (first at %s)", name, prev.Source)
		}
		t := Topic{Name: name, Source: src(file, k)}
		what := "topic " + strconv.Quote(name)
		if !(v.Kind == yaml.ScalarNode && v.Tag == "!!null") {
			err := l.mapping(file, v, what, map[string]func(k, v *yaml.Node) error{
				"team":           func(_, v *yaml.Node) error { return l.str(file, v, what+": team", &t.Team) },
				"classification": func(_, v *yaml.Node) error { return l.str(file, v, what+": classification", &t.Classification) },
				"description":    func(_, v *yaml.Node) error { return l.str(file, v, what+": description", &t.Description) },
				"labels":         func(_, v *yaml.Node) error { return l.labels(file, v, what+": labels", &t.Labels) },
			})
			if err != nil {
				return err
			}
		}
		if t.Classification != "" && !slices.Contains(Classifications, t.Classification) {
			return l.errf(file, k, "%s: unknown classification %q (want one of %s)", what, t.Classification, strings.Join(Classifications, ", "))
		}
		l.topics[name] = t
	}
	return nil
}

func (l *loader) grantsBlock(file string, n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return l.errf(file, n, "grants must be a list, found %s", kindName(n))
	}
	for _, gn := range n.Content {
		gn = deref(gn)
		g := Grant{Source: src(file, gn)}
		what := "grant"
		var perm string
		err := l.mapping(file, gn, what, map[string]func(k, v *yaml.Node) error{
			"principal":  func(_, v *yaml.Node) error { return l.str(file, v, "grant: principal", &g.Principal) },
			"role":       func(_, v *yaml.Node) error { return l.str(file, v, "grant: role", &g.Role) },
			"permission": func(_, v *yaml.Node) error { return l.str(file, v, "grant: permission", &perm) },
			"topics":     func(_, v *yaml.Node) error { return l.strList(file, v, "grant: topics", &g.Topics) },
			"groups":     func(_, v *yaml.Node) error { return l.strList(file, v, "grant: groups", &g.Groups) },
			"transactional_ids": func(_, v *yaml.Node) error {
				return l.strList(file, v, "grant: transactional_ids", &g.TransactionalIDs)
			},
			"operations":     func(_, v *yaml.Node) error { return l.strList(file, v, "grant: operations", &g.Operations) },
			"hosts":          func(_, v *yaml.Node) error { return l.strList(file, v, "grant: hosts", &g.Hosts) },
			"create":         func(_, v *yaml.Node) error { return l.boolean(file, v, "grant: create", &g.Create) },
			"application_id": func(_, v *yaml.Node) error { return l.str(file, v, "grant: application_id", &g.ApplicationID) },
			"exactly_once":   func(_, v *yaml.Node) error { return l.boolean(file, v, "grant: exactly_once", &g.ExactlyOnce) },
			"approved_by":    func(_, v *yaml.Node) error { return l.str(file, v, "grant: approved_by", &g.ApprovedBy) },
			"inputs":         func(_, v *yaml.Node) error { return l.strList(file, v, "grant: inputs", &g.Inputs) },
			"outputs":        func(_, v *yaml.Node) error { return l.strList(file, v, "grant: outputs", &g.Outputs) },
			"connector":      func(_, v *yaml.Node) error { return l.str(file, v, "grant: connector", &g.Connector) },
			"worker_group":   func(_, v *yaml.Node) error { return l.str(file, v, "grant: worker_group", &g.WorkerGroup) },
			"dlq":            func(_, v *yaml.Node) error { return l.str(file, v, "grant: dlq", &g.DLQ) },
			"offsets_topic":  func(_, v *yaml.Node) error { return l.str(file, v, "grant: offsets_topic", &g.OffsetsTopic) },
			"service_id":     func(_, v *yaml.Node) error { return l.str(file, v, "grant: service_id", &g.ServiceID) },
			"expires":        func(_, v *yaml.Node) error { return l.date(file, v, "grant: expires", &g.Expires) },
			"reason":         func(_, v *yaml.Node) error { return l.str(file, v, "grant: reason", &g.Reason) },
			"resource": func(_, v *yaml.Node) error {
				r := &Resource{}
				g.Resource = r
				return l.mapping(file, v, "grant: resource", map[string]func(k, v *yaml.Node) error{
					"type": func(_, v *yaml.Node) error { return l.str(file, v, "grant: resource.type", &r.Type) },
					"name": func(_, v *yaml.Node) error { return l.str(file, v, "grant: resource.name", &r.Name) },
				})
			},
		})
		if err != nil {
			return err
		}
		if err := l.checkGrant(&g, perm); err != nil {
			return l.errf(file, gn, "grant: %v", err)
		}
		if err := l.countBindings(&g); err != nil {
			return err
		}
		g.Index = len(l.inv.Grants)
		l.inv.Grants = append(l.inv.Grants, g)
	}
	return nil
}

// countBindings holds a grant, and the inventory so far, to the binding
// limits before anything is expanded.
func (l *loader) countBindings(g *Grant) error {
	n, hosts, names, ops := grantBindings(g)
	lim := l.inv.Limits
	if n > int64(lim.MaxGrantBindings) {
		return &LimitError{Where: g.Source, What: fmt.Sprintf("grant would produce at least %s bindings (%d hosts x %d resource names x %d operations)",
			group(n), hosts, names, ops), Limit: int64(lim.MaxGrantBindings), Flag: FlagMaxGrantBindings}
	}
	if l.bindings += n; l.bindings > int64(lim.MaxBindings) {
		return &LimitError{Where: g.Source, What: fmt.Sprintf("the grants up to this one would produce at least %s bindings", group(l.bindings)), Limit: int64(lim.MaxBindings), Flag: FlagMaxBindings}
	}
	return nil
}

func (l *loader) checkGrant(g *Grant, perm string) error {
	if g.Principal == "" {
		return errors.New("principal is required")
	}
	switch strings.ToUpper(perm) {
	case "", "ALLOW":
		g.Permission = "ALLOW"
	case "DENY":
		g.Permission = "DENY"
	default:
		return fmt.Errorf("unknown permission %q (want ALLOW or DENY)", perm)
	}
	hasNames := len(g.Topics)+len(g.Groups)+len(g.TransactionalIDs)+len(g.Inputs)+len(g.Outputs) > 0
	if g.Role == "streams-app" && len(g.Topics) > 0 {
		return fmt.Errorf("principal %q: a streams-app takes inputs (READ) and outputs (WRITE), not topics (which would let it write what it only reads): move the topics it consumes to inputs: and those it produces to outputs:", g.Principal)
	}
	if (len(g.Inputs) > 0 || len(g.Outputs) > 0) && len(g.Operations) > 0 {
		return fmt.Errorf("principal %q: inputs and outputs belong to roles (streams-app, connector, ksqldb), not to operations grants (use topics)", g.Principal)
	}
	switch {
	case g.Role == "" && len(g.Operations) == 0:
		return fmt.Errorf("principal %q: give a role (producer, consumer, transactional-producer, streams-app, or one your policy adds) or operations", g.Principal)
	case g.Role != "" && len(g.Operations) > 0:
		return fmt.Errorf("principal %q: role %q and operations are exclusive (use one)", g.Principal, g.Role)
	case g.Resource != nil && hasNames:
		return fmt.Errorf("principal %q: resource and topics/groups/transactional_ids are exclusive (use one)", g.Principal)
	case len(g.Operations) > 0 && g.Resource == nil && !hasNames:
		return fmt.Errorf("principal %q: operations need a resource or topics/groups/transactional_ids", g.Principal)
	case g.Role != "" && !selfNamingRoles[g.Role] && !hasNames && g.Resource == nil:
		return fmt.Errorf("principal %q: role %q needs topics, groups or transactional_ids", g.Principal, g.Role)
	}
	for i, op := range g.Operations {
		o, err := acl.ParseOperation(op)
		if err != nil {
			return fmt.Errorf("principal %q: %v", g.Principal, err)
		}
		g.Operations[i] = o.String()
	}
	if r := g.Resource; r != nil {
		if r.Type == "" {
			return fmt.Errorf("principal %q: resource.type is required", g.Principal)
		}
		rt, err := acl.ParseResourceType(r.Type)
		if err != nil {
			return fmt.Errorf("principal %q: resource: %v", g.Principal, err)
		}
		r.Type = rt.String()
		switch rt {
		case acl.ResourceCluster:
			if r.Name == "" {
				r.Name = acl.ClusterName
			}
			if r.Name != acl.ClusterName {
				return fmt.Errorf("principal %q: the CLUSTER resource is named %q, not %q", g.Principal, acl.ClusterName, r.Name)
			}
		case acl.ResourceTopic:
			if err := ValidTopicPattern(r.Name); err != nil {
				return fmt.Errorf("principal %q: resource: %v", g.Principal, err)
			}
		default:
			if err := ValidIDPattern("resource name", r.Name); err != nil {
				return fmt.Errorf("principal %q: resource: %v", g.Principal, err)
			}
		}
	}
	for _, list := range [][]string{g.Topics, g.Inputs, g.Outputs} {
		for _, t := range list {
			if err := ValidTopicPattern(t); err != nil {
				return fmt.Errorf("principal %q: %v", g.Principal, err)
			}
		}
	}
	for _, t := range []struct{ key, name string }{{"dlq", g.DLQ}, {"offsets_topic", g.OffsetsTopic}} {
		if t.name != "" {
			if err := ValidTopicName(t.name); err != nil {
				return fmt.Errorf("principal %q: %s: %v", g.Principal, t.key, err)
			}
		}
	}
	for _, id := range []struct{ key, name string }{{"connector", g.Connector}, {"worker_group", g.WorkerGroup}, {"service_id", g.ServiceID}} {
		if id.name != "" {
			if err := ValidIDPattern(id.key, id.name); err != nil || strings.Contains(id.name, "*") {
				return fmt.Errorf("principal %q: %s %q must be a plain name (no \"*\", spaces or control characters)", g.Principal, id.key, id.name)
			}
		}
	}
	for _, s := range g.Groups {
		if err := ValidIDPattern("group", s); err != nil {
			return fmt.Errorf("principal %q: %v", g.Principal, err)
		}
	}
	for _, s := range g.TransactionalIDs {
		if err := ValidIDPattern("transactional id", s); err != nil {
			return fmt.Errorf("principal %q: %v", g.Principal, err)
		}
	}
	if g.ApplicationID != "" {
		if err := ValidTopicName(g.ApplicationID); err != nil {
			return fmt.Errorf("principal %q: application_id %q must be usable as a topic prefix: %v", g.Principal, g.ApplicationID, err)
		}
	}
	if len(g.Hosts) == 0 {
		g.Hosts = []string{acl.Wildcard}
	}
	for _, h := range g.Hosts {
		if h != acl.Wildcard && net.ParseIP(h) == nil {
			return fmt.Errorf("principal %q: host %q is not an IP address or \"*\" (Kafka ACLs match client IP addresses, not names or CIDRs)", g.Principal, h)
		}
	}
	return nil
}

// selfNamingRoles are the library roles that name their resources from
// other settings (application_id, connector, service_id, or fixed names), so
// a grant of them needs no topics, groups or transactional_ids.
var selfNamingRoles = map[string]bool{
	"streams-app": true, "connector": true,
	"schema-registry": true, "ksqldb": true, "auditor": true,
}

// date accepts a YAML date (2027-03-31, plain or quoted) and stores it as
// YYYY-MM-DD.
func (l *loader) date(file string, n *yaml.Node, what string, dst *string) error {
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!str" && n.Tag != "!!timestamp") {
		return l.errf(file, n, "%s must be a date (YYYY-MM-DD), found %s", what, kindName(n))
	}
	t, err := time.Parse(DateLayout, n.Value)
	if err != nil {
		return l.errf(file, n, "%s: %q is not a date (want YYYY-MM-DD, e.g. 2027-03-31)", what, n.Value)
	}
	*dst = t.Format(DateLayout)
	return nil
}

// labels accepts a mapping of label names to strings (numbers and booleans
// are taken as written).
func (l *loader) labels(file string, n *yaml.Node, what string, dst *map[string]string) error {
	if n.Kind != yaml.MappingNode {
		return l.errf(file, n, "%s must be a mapping of names to values, found %s", what, kindName(n))
	}
	out := make(map[string]string, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		if k.Kind != yaml.ScalarNode || k.Value == "" || strings.ContainsFunc(k.Value, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return l.errf(file, k, "%s: label names must be non-empty strings without control characters", what)
		}
		if _, dup := out[k.Value]; dup {
			return l.errf(file, k, "%s: label %q given twice", what, k.Value)
		}
		if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
			return l.errf(file, v, "%s: label %q must be a string, found %s", what, k.Value, kindName(v))
		}
		out[k.Value] = v.Value
	}
	*dst = out
	return nil
}

var ruleRE = regexp.MustCompile(`^(KG[0-9]{3}|[A-Za-z][A-Za-z0-9_.-]*)$`)

func (l *loader) waiversBlock(file string, n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return l.errf(file, n, "waivers must be a list, found %s", kindName(n))
	}
	for _, wn := range n.Content {
		wn = deref(wn)
		w := Waiver{Source: src(file, wn)}
		err := l.mapping(file, wn, "waiver", map[string]func(k, v *yaml.Node) error{
			"rule":        func(_, v *yaml.Node) error { return l.str(file, v, "waiver: rule", &w.Rule) },
			"principal":   func(_, v *yaml.Node) error { return l.str(file, v, "waiver: principal", &w.Principal) },
			"topic":       func(_, v *yaml.Node) error { return l.str(file, v, "waiver: topic", &w.Topic) },
			"reason":      func(_, v *yaml.Node) error { return l.str(file, v, "waiver: reason", &w.Reason) },
			"approved_by": func(_, v *yaml.Node) error { return l.str(file, v, "waiver: approved_by", &w.ApprovedBy) },
			"expires":     func(_, v *yaml.Node) error { return l.date(file, v, "waiver: expires", &w.Expires) },
		})
		if err != nil {
			return err
		}
		switch {
		case w.Rule == "":
			return l.errf(file, wn, "waiver: rule is required (the guardrail's ID, e.g. KG602, or its check name)")
		case !ruleRE.MatchString(w.Rule):
			return l.errf(file, wn, "waiver: rule %q is not a rule ID (KG602) or check name", w.Rule)
		case w.Principal == "" && w.Topic == "":
			return l.errf(file, wn, "waiver: give the principal (or topic) it is for")
		case w.Principal != "" && w.Topic != "":
			return l.errf(file, wn, "waiver: principal and topic are exclusive (one waiver per subject)")
		case strings.TrimSpace(w.Reason) == "":
			return l.errf(file, wn, "waiver: reason is required")
		case w.Expires == "":
			return l.errf(file, wn, "waiver: expires is required (YYYY-MM-DD): a waiver is temporary")
		}
		if w.Topic != "" {
			if err := ValidTopicPattern(w.Topic); err != nil {
				return l.errf(file, wn, "waiver: topic: %v", err)
			}
		}
		l.inv.Waivers = append(l.inv.Waivers, w)
	}
	return nil
}

func (l *loader) managed(file string, n *yaml.Node) error {
	var ps []string
	err := l.mapping(file, n, "managed", map[string]func(k, v *yaml.Node) error{
		"principals": func(_, v *yaml.Node) error { return l.strList(file, v, "managed.principals", &ps) },
	})
	if err != nil {
		return err
	}
	if _, err := acl.NewScope(ps...); err != nil {
		return l.errf(file, n, "managed.principals: %v", err)
	}
	if l.inv.Managed.Source == "" {
		l.inv.Managed.Source = src(file, n)
	}
	l.inv.Managed.Principals = append(l.inv.Managed.Principals, ps...)
	return nil
}

// finish checks what needs every file: grants and waivers naming declared
// principals.
func (l *loader) finish() error {
	for _, w := range l.inv.Waivers {
		if _, ok := l.principals[w.Principal]; w.Principal != "" && w.Principal != acl.Wildcard && !ok {
			return fmt.Errorf("%s: waiver: principal %q is not declared (declare it under principals:)", w.Source, w.Principal)
		}
	}
	for _, g := range l.inv.Grants {
		if g.Principal == acl.Wildcard {
			continue // User:*: the guardrails decide
		}
		if _, ok := l.principals[g.Principal]; !ok {
			return fmt.Errorf("%s: grant: principal %q is not declared (declare it under principals:)", g.Source, g.Principal)
		}
	}
	l.inv.Principals = make([]Principal, 0, len(l.principals))
	for _, p := range l.principals {
		l.inv.Principals = append(l.inv.Principals, p)
	}
	slices.SortFunc(l.inv.Principals, func(a, b Principal) int { return strings.Compare(a.Name, b.Name) })
	l.inv.Topics = make([]Topic, 0, len(l.topics))
	for _, t := range l.topics {
		l.inv.Topics = append(l.inv.Topics, t)
	}
	slices.SortFunc(l.inv.Topics, func(a, b Topic) int { return strings.Compare(a.Name, b.Name) })
	l.inv.Managed.Principals = slices.Compact(l.inv.Managed.Principals)
	return nil
}
