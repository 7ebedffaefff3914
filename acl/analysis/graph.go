package analysis

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/kafkaguard/kafkaguard/acl"
)

// Graph is the access picture: principals, the resource patterns they may
// use, and one edge per principal, pattern and host with the operations.
type Graph struct {
	Principals []GraphPrincipal // sorted; User:* (anyone) when it has access
	Resources  []GraphResource  // sorted by type, name, pattern
	Edges      []GraphEdge      // sorted by principal, then resource
}

// GraphPrincipal is a principal node.
type GraphPrincipal struct {
	Principal string
	Team      string // "" when unknown
	SuperUser bool   // may do everything; it has no edges
}

// GraphResource is a resource pattern node.
type GraphResource struct {
	ResourceType acl.ResourceType
	ResourceName string
	PatternType  acl.PatternType
	Team         string // the owning team of a declared topic, "" when unknown
}

// GraphEdge is what a principal may do on a resource pattern.
type GraphEdge struct {
	Principal string
	Resource  GraphResource
	Host      string
	// Operations are collapsed: ALL when every operation of the type is
	// allowed, and DESCRIBE (DESCRIBE_CONFIGS) left out when an operation
	// that implies it is there.
	Operations []acl.Operation
	Writes     bool // some operation changes data or configuration (not only READ/DESCRIBE*)
}

// GraphFilter keeps part of the picture. Empty fields keep everything.
type GraphFilter struct {
	// Principals are principals, or with a trailing * principal prefixes.
	Principals []string
	// Topics are topic names, or with a trailing * topic families: only
	// TOPIC patterns that share a name with one are kept.
	Topics []string
}

func (f GraphFilter) keepPrincipal(p string) bool {
	if len(f.Principals) == 0 {
		return true
	}
	for _, w := range f.Principals {
		if w == p || (strings.HasSuffix(w, "*") && w != Anyone && strings.HasPrefix(p, strings.TrimSuffix(w, "*"))) {
			return true
		}
	}
	return false
}

func (f GraphFilter) keepResource(r GraphResource) bool {
	if len(f.Topics) == 0 {
		return true
	}
	if r.ResourceType != acl.ResourceTopic {
		return false
	}
	for _, t := range f.Topics {
		name, family := strings.CutSuffix(t, "*")
		switch {
		case r.PatternType == acl.PatternLiteral && r.ResourceName == acl.Wildcard:
			return true
		case r.PatternType == acl.PatternLiteral && (r.ResourceName == t || family && strings.HasPrefix(r.ResourceName, name)):
			return true
		case r.PatternType == acl.PatternPrefixed && (strings.HasPrefix(name, r.ResourceName) || family && strings.HasPrefix(r.ResourceName, name)):
			return true
		}
	}
	return false
}

// writeOps are the operations drawn as writes.
var writeOps = maskOf(acl.OpWrite, acl.OpCreate, acl.OpDelete, acl.OpAlter, acl.OpAlterConfigs,
	acl.OpClusterAction, acl.OpIdempotentWrite, acl.OpCreateTokens)

// Graph builds the access picture from every known principal's (and
// anyone's) effective permissions, as List computes them.
func (x *Index) Graph(meta Metadata, f GraphFilter) Graph {
	var g Graph
	resources := map[GraphResource]bool{}
	type reach struct {
		r    GraphResource
		host string
	}
	anyone := map[reach]string{} // anyone's operations, to leave out the same edge of each principal
	for _, p := range append([]string{Anyone}, x.principals...) {
		if !f.keepPrincipal(p) {
			continue
		}
		l := x.List(p)
		var edges []GraphEdge
		for _, row := range l.Permissions {
			if len(row.Allowed) == 0 {
				continue
			}
			r := GraphResource{ResourceType: row.ResourceType, ResourceName: row.ResourceName, PatternType: row.PatternType}
			if !f.keepResource(r) {
				continue
			}
			r.Team = topicTeam(meta, r)
			ops := make([]acl.Operation, 0, len(row.Allowed))
			for _, o := range row.Allowed {
				ops = append(ops, o.Operation)
			}
			key := reach{r, row.Host}
			if p == Anyone {
				anyone[key] = fmt.Sprint(ops)
			} else if anyone[key] == fmt.Sprint(ops) {
				continue // what everyone may: anyone's edge says it
			}
			edges = append(edges, GraphEdge{Principal: p, Resource: r, Host: row.Host, Operations: collapse(row.ResourceType, ops), Writes: maskOf(ops...)&writeOps != 0})
			resources[r] = true
		}
		if len(edges) == 0 && (p == Anyone || len(f.Topics) > 0) {
			continue // anyone without access, or a principal the topic filter leaves out
		}
		g.Principals = append(g.Principals, GraphPrincipal{Principal: p, Team: meta.Teams[p], SuperUser: l.SuperUser})
		g.Edges = append(g.Edges, edges...)
	}
	for r := range resources {
		g.Resources = append(g.Resources, r)
	}
	slices.SortFunc(g.Resources, func(a, b GraphResource) int {
		return cmp.Or(cmp.Compare(a.ResourceType, b.ResourceType), strings.Compare(a.ResourceName, b.ResourceName), cmp.Compare(a.PatternType, b.PatternType))
	})
	slices.SortFunc(g.Principals, func(a, b GraphPrincipal) int { return strings.Compare(a.Principal, b.Principal) })
	return g
}

// collapse shortens an allowed operation list for a picture.
func collapse(typ acl.ResourceType, ops []acl.Operation) []acl.Operation {
	if len(ops) == len(typ.Operations()) {
		return []acl.Operation{acl.OpAll}
	}
	m := maskOf(ops...)
	implied := opMask(0)
	if m&maskOf(acl.OpRead, acl.OpWrite, acl.OpDelete, acl.OpAlter) != 0 {
		implied |= maskOf(acl.OpDescribe)
	}
	if m&maskOf(acl.OpAlterConfigs) != 0 {
		implied |= maskOf(acl.OpDescribeConfigs)
	}
	return slices.DeleteFunc(slices.Clone(ops), func(o acl.Operation) bool { return implied&maskOf(o) != 0 })
}

// topicTeam returns the team of the declared topic r is (or falls under).
func topicTeam(meta Metadata, r GraphResource) string {
	if r.ResourceType != acl.ResourceTopic {
		return ""
	}
	best, team := -1, ""
	for _, t := range meta.Topics {
		switch {
		case t.PatternType == r.PatternType && t.Name == r.ResourceName:
			return t.Team
		case t.PatternType == acl.PatternPrefixed && r.ResourceName != acl.Wildcard && strings.HasPrefix(r.ResourceName, t.Name) && len(t.Name) > best:
			best, team = len(t.Name), t.Team
		}
	}
	return team
}
