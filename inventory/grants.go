package inventory

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kafkaguard/kafkaguard/acl"
)

func (l *loader) grantsBlock(file string, n *yaml.Node) error {
	var (
		g    Grant // the entry the handlers fill in
		perm string
	)
	handlers := map[string]func(k, v *yaml.Node) error{
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
	}
	// Room for the block's grants at once: growing a slice of 400-byte
	// grants by doubling allocated twice what it kept.
	l.inv.Grants = slices.Grow(l.inv.Grants, len(n.Content))
	return l.listEntries(file, n, "grants", func(gn *yaml.Node) error {
		g, perm = Grant{Source: src(file, gn)}, ""
		if err := l.mapping(file, gn, "grant", handlers); err != nil {
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
		return nil
	})
}

// countBindings holds a grant, and the inventory so far, to the binding
// limits before anything is expanded.
func (l *loader) countBindings(g *Grant) error {
	n, hosts, names, ops := grantBindings(g)
	lim := l.inv.Limits
	if n > int64(lim.MaxGrantBindings) {
		return &LimitError{Where: g.Source, What: fmt.Sprintf("grant would produce at least %s bindings (%d hosts x %d resource names x %d operations)",
			group(n), hosts, names, ops), Limit: int64(lim.MaxGrantBindings), Kind: LimitGrantBindings}
	}
	if l.bindings += n; l.bindings > int64(lim.MaxBindings) {
		return &LimitError{Where: g.Source, What: fmt.Sprintf("the grants up to this one would produce at least %s bindings", group(l.bindings)), Limit: int64(lim.MaxBindings), Kind: LimitBindings}
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
			// "*" is Kafka's literal wildcard, which ZooKeeper-era
			// authorizers stored for the cluster too (import keeps it).
			if r.Name != acl.ClusterName && r.Name != acl.Wildcard {
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
	// A host that is not an IP address is Kafka's to store (it never
	// matches a client): the policy library warns (KG659), the loader keeps
	// it. An address is written as the broker compares it (Java's
	// getHostAddress(): "::1" is "0:0:0:0:0:0:0:1"), or it never matches.
	for i, h := range g.Hosts {
		if h == "" || strings.ContainsFunc(h, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return fmt.Errorf("principal %q: host %q is empty or has control characters (give an IP address or \"*\")", g.Principal, h)
		}
		if n, err := acl.NormalizeHost(h); err == nil {
			g.Hosts[i] = n
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
