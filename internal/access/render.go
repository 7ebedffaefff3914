package access

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/acl/analysis"
)

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func bindingsOrEmpty(bs []acl.Binding) []acl.Binding {
	if bs == nil {
		return []acl.Binding{}
	}
	return bs
}

type jsonDecision struct {
	Principal string        `json:"principal"`
	Allowed   bool          `json:"allowed"`
	Reason    string        `json:"reason"`
	Deciding  []acl.Binding `json:"deciding"`
}

type jsonWhoCan struct {
	Operation    string         `json:"operation"`
	ResourceType string         `json:"resource_type"`
	ResourceName string         `json:"resource_name"`
	Host         string         `json:"host"`
	Principals   []string       `json:"principals"`
	Anyone       bool           `json:"anyone"`
	Decisions    []jsonDecision `json:"decisions,omitempty"`
}

// WriteWhoCanJSON writes the documented who-can document; explain adds the
// decisions and their deciding bindings.
func WriteWhoCanJSON(w io.Writer, r analysis.WhoCanResult, explain bool) error {
	out := jsonWhoCan{Operation: r.Operation.String(), ResourceType: r.ResourceType.String(), ResourceName: r.ResourceName,
		Host: r.Host, Principals: r.Principals, Anyone: r.Anyone}
	if out.Principals == nil {
		out.Principals = []string{}
	}
	if explain {
		for _, d := range r.Decisions {
			out.Decisions = append(out.Decisions, jsonDecision{d.Principal, d.Allowed, d.Reason, bindingsOrEmpty(d.Deciding)})
		}
	}
	return writeJSON(w, out)
}

// WriteWhoCanText lists the allowed principals, one a line, then whether
// anyone may; explain adds every decision with its deciding bindings.
func WriteWhoCanText(w io.Writer, r analysis.WhoCanResult, explain bool) error {
	fmt.Fprintf(w, "%s on %s %s from host %s:\n", r.Operation, r.ResourceType, safe(strconv.Quote(r.ResourceName)), safe(r.Host))
	for _, p := range r.Principals {
		fmt.Fprintf(w, "  %s\n", safe(p))
	}
	if len(r.Principals) == 0 {
		fmt.Fprintf(w, "  (no known principal)\n")
	}
	verdict := "no"
	if r.Anyone {
		verdict = "yes: every principal without its own DENY, named or not"
	}
	fmt.Fprintf(w, "anyone (User:*): %s\n", verdict)
	if explain {
		fmt.Fprintf(w, "\ndecisions:\n")
		for _, d := range r.Decisions {
			word := "DENIED"
			if d.Allowed {
				word = "ALLOWED"
			}
			fmt.Fprintf(w, "  %s %s: %s\n", safe(who(d.Principal)), word, d.Reason)
			for _, b := range d.Deciding {
				fmt.Fprintf(w, "    %s\n", safe(b.String()))
			}
		}
		fmt.Fprintf(w, "  every other principal: as User:*\n")
	}
	return nil
}

type jsonOp struct {
	Operation string        `json:"operation"`
	By        []acl.Binding `json:"by"`
}

// jsonPattern is a resource pattern in the documented JSON documents, its
// three fields inline in the object that holds it.
type jsonPattern struct {
	ResourceType string `json:"resource_type"`
	ResourceName string `json:"resource_name"`
	PatternType  string `json:"pattern_type"`
}

func patternOf(typ acl.ResourceType, name string, pt acl.PatternType) jsonPattern {
	return jsonPattern{typ.String(), name, pt.String()}
}

type jsonPermission struct {
	jsonPattern
	Host    string   `json:"host"`
	Allowed []jsonOp `json:"allowed"`
	Denied  []jsonOp `json:"denied"`
}

type jsonListing struct {
	Principal   string           `json:"principal"`
	SuperUser   bool             `json:"super_user"`
	Permissions []jsonPermission `json:"permissions"`
}

func jsonOps(ds []analysis.OpDecision) []jsonOp {
	out := []jsonOp{}
	for _, d := range ds {
		out = append(out, jsonOp{d.Operation.String(), bindingsOrEmpty(d.Deciding)})
	}
	return out
}

// WriteListJSON writes the documented listing document.
func WriteListJSON(w io.Writer, l analysis.Listing) error {
	out := jsonListing{Principal: l.Principal, SuperUser: l.SuperUser, Permissions: []jsonPermission{}}
	for _, p := range l.Permissions {
		out.Permissions = append(out.Permissions, jsonPermission{patternOf(p.ResourceType, p.ResourceName, p.PatternType), p.Host, jsonOps(p.Allowed), jsonOps(p.Denied)})
	}
	return writeJSON(w, out)
}

// WriteListText writes one line per resource pattern with the allowed
// operations, then each denied operation with the DENY bindings behind it.
func WriteListText(w io.Writer, l analysis.Listing, explain bool) error {
	if l.SuperUser {
		_, err := fmt.Fprintf(w, "%s is a super user: every operation on every resource, ACLs are not consulted.\n", safe(l.Principal))
		return err
	}
	if len(l.Permissions) == 0 {
		_, err := fmt.Fprintf(w, "%s may do nothing: no ALLOW binding applies to it.\n", safe(l.Principal))
		return err
	}
	fmt.Fprintf(w, "%s may:\n", safe(l.Principal))
	for _, p := range l.Permissions {
		where := safe(pattern(p.ResourceType, p.ResourceName, p.PatternType))
		if p.Host != acl.Wildcard {
			where += " from host " + safe(p.Host)
		}
		ops := make([]acl.Operation, 0, len(p.Allowed))
		via := true
		for _, o := range p.Allowed {
			ops = append(ops, o.Operation)
			for _, b := range o.Deciding {
				via = via && b.Principal == analysis.Anyone
			}
		}
		allowed := opNames(ops)
		if len(ops) == 0 {
			allowed = "nothing"
		} else if via && l.Principal != analysis.Anyone {
			allowed += " (through User:*)"
		}
		fmt.Fprintf(w, "  %s: %s\n", where, allowed)
		if explain {
			for _, o := range p.Allowed {
				for _, b := range o.Deciding {
					fmt.Fprintf(w, "      %s by %s\n", o.Operation, safe(b.String()))
				}
			}
		}
		for _, o := range p.Denied {
			fmt.Fprintf(w, "    denied %s by", o.Operation)
			for i, b := range o.Deciding {
				if i > 0 {
					fmt.Fprint(w, ";")
				}
				fmt.Fprintf(w, " %s", safe(b.String()))
			}
			fmt.Fprintln(w)
		}
	}
	_, err := fmt.Fprintf(w, "Every other operation is denied (no ALLOW binding matches).\n")
	return err
}

// nodeIDs gives graph nodes short stable identifiers: p1, p2, ... for
// principals and r1, r2, ... for resources, in the graph's order.
type nodeIDs struct {
	principals map[string]string
	resources  map[analysis.GraphResource]string
}

func newNodeIDs(g analysis.Graph) nodeIDs {
	ids := nodeIDs{principals: map[string]string{}, resources: map[analysis.GraphResource]string{}}
	for i, p := range g.Principals {
		ids.principals[p.Principal] = "p" + strconv.Itoa(i+1)
	}
	for i, r := range g.Resources {
		ids.resources[r] = "r" + strconv.Itoa(i+1)
	}
	return ids
}

func resourceLabel(r analysis.GraphResource) string {
	switch {
	case r.PatternType == acl.PatternPrefixed:
		return r.ResourceType.String() + " " + r.ResourceName + "*"
	case r.ResourceType == acl.ResourceCluster:
		return "CLUSTER"
	case r.ResourceName == acl.Wildcard:
		return r.ResourceType.String() + " * (all)"
	}
	return r.ResourceType.String() + " " + r.ResourceName
}

func edgeLabel(e analysis.GraphEdge) string {
	l := opNames(e.Operations)
	if e.Host != acl.Wildcard {
		l += " @" + e.Host
	}
	return l
}

func principalLabel(p analysis.GraphPrincipal) string {
	switch {
	case p.Principal == analysis.Anyone:
		return "User:* (anyone)"
	case p.SuperUser:
		return p.Principal + " (super user: everything)"
	}
	return p.Principal
}

// graphSyntax is how one graph language (DOT, mermaid) writes the access
// graph's parts; writeGraph lays them out.
type graphSyntax struct {
	header, footer string
	// group opens a team's group (the i-th team) and returns what closes it.
	group func(i int, team string) (open, closing string)
	node  func(indent, id, label string, principal bool) string
	edge  func(from, to, label string, writes bool) string
}

// writeGraph writes the graph in syn: the header, the nodes team by team
// (teams sorted; nodes of no team first and outside any group), the edges,
// the footer.
func writeGraph(w io.Writer, g analysis.Graph, syn graphSyntax) error {
	ids := newNodeIDs(g)
	type member struct {
		id, label string
		principal bool
	}
	var order []string
	members := map[string][]member{}
	add := func(team string, m member) {
		if _, ok := members[team]; !ok {
			order = append(order, team)
		}
		members[team] = append(members[team], m)
	}
	for _, p := range g.Principals {
		add(p.Team, member{ids.principals[p.Principal], principalLabel(p), true})
	}
	for _, r := range g.Resources {
		add(r.Team, member{ids.resources[r], resourceLabel(r), false})
	}
	slices.Sort(order)
	var b strings.Builder
	b.WriteString(syn.header)
	for i, team := range order {
		indent, closing := "  ", ""
		if team != "" {
			var open string
			open, closing = syn.group(i, team)
			indent = "    "
			b.WriteString(open)
		}
		for _, m := range members[team] {
			b.WriteString(syn.node(indent, m.id, m.label, m.principal))
		}
		b.WriteString(closing)
	}
	for _, e := range g.Edges {
		b.WriteString(syn.edge(ids.principals[e.Principal], ids.resources[e.Resource], edgeLabel(e), e.Writes))
	}
	b.WriteString(syn.footer)
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteDOT writes the graph in graphviz's DOT language: principals (boxes)
// on the left, resource patterns (ellipses) on the right, one cluster per
// team, writes as bold red edges, reads as blue edges.
func WriteDOT(w io.Writer, g analysis.Graph) error { return writeGraph(w, g, dotSyntax) }

var dotSyntax = graphSyntax{
	header: "digraph access {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=11];\n  edge [fontname=\"Helvetica\", fontsize=9];\n",
	footer: "}\n",
	group: func(i int, team string) (string, string) {
		return fmt.Sprintf("  subgraph cluster_%d {\n    label=%s;\n    style=rounded;\n", i, dotQuote("team "+team)), "  }\n"
	},
	node: func(indent, id, label string, principal bool) string {
		shape := "ellipse"
		if principal {
			shape = "box"
		}
		return fmt.Sprintf("%s%s [label=%s, shape=%s];\n", indent, id, dotQuote(label), shape)
	},
	edge: func(from, to, label string, writes bool) string {
		style := `color="#2471a3"`
		if writes {
			style = `color="#c0392b", style=bold`
		}
		return fmt.Sprintf("  %s -> %s [label=%s, %s];\n", from, to, dotQuote(label), style)
	},
}

// dotQuote quotes s as a DOT string: backslashes and quotes escaped, control
// characters shown escaped (never a raw newline).
func dotQuote(s string) string {
	s = safe(s)
	s = strings.ReplaceAll(s, `\`, `\\`)
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}

// WriteMermaid writes the graph as a mermaid flowchart (it renders in
// GitHub comments and docs): one subgraph per team, writes as thick arrows
// (==>), reads as plain ones (-->).
func WriteMermaid(w io.Writer, g analysis.Graph) error { return writeGraph(w, g, mermaidSyntax) }

var mermaidSyntax = graphSyntax{
	header: "flowchart LR\n  %% ==> writes or changes, --> reads or describes only\n",
	group: func(i int, team string) (string, string) {
		return fmt.Sprintf("  subgraph team%d[%s]\n", i, mermaidQuote("team "+team)), "  end\n"
	},
	node: func(indent, id, label string, principal bool) string {
		if principal {
			return fmt.Sprintf("%s%s[%s]\n", indent, id, mermaidQuote(label))
		}
		return fmt.Sprintf("%s%s[(%s)]\n", indent, id, mermaidQuote(label))
	},
	edge: func(from, to, label string, writes bool) string {
		arrow := "-->"
		if writes {
			arrow = "==>"
		}
		return fmt.Sprintf("  %s %s|%s| %s\n", from, arrow, mermaidQuote(label), to)
	},
}

// mermaidQuote quotes s as a mermaid label: every character that mermaid's
// grammar or its HTML labels could act on becomes an entity code (#35; for
// '#'), so a hostile name cannot break out of its label.
func mermaidQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(" .:_-*/@,()", r)) {
			b.WriteRune(r)
			continue
		}
		fmt.Fprintf(&b, "#%d;", r)
	}
	b.WriteByte('"')
	return b.String()
}

type jsonGraph struct {
	Principals []jsonGraphPrincipal `json:"principals"`
	Resources  []jsonGraphResource  `json:"resources"`
	Edges      []jsonGraphEdge      `json:"edges"`
}

type jsonGraphPrincipal struct {
	ID        string `json:"id"`
	Principal string `json:"principal"`
	Team      string `json:"team"`
	SuperUser bool   `json:"super_user"`
}

type jsonGraphResource struct {
	ID string `json:"id"`
	jsonPattern
	Team string `json:"team"`
}

type jsonGraphEdge struct {
	From       string   `json:"from"`
	To         string   `json:"to"`
	Host       string   `json:"host"`
	Operations []string `json:"operations"`
	Writes     bool     `json:"writes"`
}

// WriteGraphJSON writes the graph's nodes and edges as JSON.
func WriteGraphJSON(w io.Writer, g analysis.Graph) error {
	ids := newNodeIDs(g)
	out := jsonGraph{Principals: []jsonGraphPrincipal{}, Resources: []jsonGraphResource{}, Edges: []jsonGraphEdge{}}
	for _, p := range g.Principals {
		out.Principals = append(out.Principals, jsonGraphPrincipal{ids.principals[p.Principal], p.Principal, p.Team, p.SuperUser})
	}
	for _, r := range g.Resources {
		out.Resources = append(out.Resources, jsonGraphResource{ids.resources[r], patternOf(r.ResourceType, r.ResourceName, r.PatternType), r.Team})
	}
	for _, e := range g.Edges {
		ops := make([]string, len(e.Operations))
		for i, o := range e.Operations {
			ops[i] = o.String()
		}
		out.Edges = append(out.Edges, jsonGraphEdge{ids.principals[e.Principal], ids.resources[e.Resource], e.Host, ops, e.Writes})
	}
	return writeJSON(w, out)
}
