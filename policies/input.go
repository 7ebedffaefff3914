package policies

import (
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/kafkaguard/kafkaguard/internal/inventory"
)

// InputValue builds the Rego input for inv directly as an ast.Value (no JSON
// round trip). The shape is the inventory as written, keyed like the YAML,
// with every grant normalised: all keys present, permission upper case, hosts
// defaulted to ["*"], role "" for an operations grant, and "source":
// "file:line".
func InputValue(inv *inventory.Inventory) ast.Value {
	str := ast.StringTerm
	strs := func(ss []string) *ast.Term {
		ts := make([]*ast.Term, len(ss))
		for i, s := range ss {
			ts[i] = ast.StringTerm(s)
		}
		return ast.ArrayTerm(ts...)
	}
	cluster := ast.NewObject(
		ast.Item(str("name"), str(inv.Cluster.Name)),
		ast.Item(str("ssl_principal_mapping_rules"), str(inv.Cluster.SSLPrincipalMappingRules)),
	)
	principals := ast.NewObjectWithCapacity(len(inv.Principals))
	for _, p := range inv.Principals {
		o := ast.NewObject(
			ast.Item(str("auth"), str(p.Auth)),
			ast.Item(str("team"), str(p.Team)),
			ast.Item(str("superuser"), ast.BooleanTerm(p.Superuser)),
			ast.Item(str("source"), str(p.Source)),
		)
		if p.DN != "" {
			o.Insert(str("dn"), str(p.DN))
		}
		if p.IsSCRAM() {
			o.Insert(str("iterations"), ast.IntNumberTerm(p.EffectiveIterations()))
		}
		principals.Insert(str(p.Name), ast.NewTerm(o))
	}
	topics := ast.NewObjectWithCapacity(len(inv.Topics))
	for _, t := range inv.Topics {
		topics.Insert(str(t.Name), ast.ObjectTerm(
			ast.Item(str("team"), str(t.Team)),
			ast.Item(str("classification"), str(t.Classification)),
			ast.Item(str("source"), str(t.Source)),
		))
	}
	grants := make([]*ast.Term, len(inv.Grants))
	for i, g := range inv.Grants {
		o := ast.NewObjectWithCapacity(16)
		o.Insert(str("principal"), str(g.Principal))
		o.Insert(str("role"), str(g.Role))
		o.Insert(str("permission"), str(g.Permission))
		o.Insert(str("topics"), strs(g.Topics))
		o.Insert(str("groups"), strs(g.Groups))
		o.Insert(str("transactional_ids"), strs(g.TransactionalIDs))
		o.Insert(str("operations"), strs(g.Operations))
		o.Insert(str("hosts"), strs(g.Hosts))
		o.Insert(str("create"), ast.BooleanTerm(g.Create))
		o.Insert(str("application_id"), str(g.ApplicationID))
		o.Insert(str("exactly_once"), ast.BooleanTerm(g.ExactlyOnce))
		o.Insert(str("approved_by"), str(g.ApprovedBy))
		o.Insert(str("reason"), str(g.Reason))
		o.Insert(str("source"), str(g.Source))
		if g.Resource != nil {
			o.Insert(str("resource"), ast.ObjectTerm(
				ast.Item(str("type"), str(g.Resource.Type)),
				ast.Item(str("name"), str(g.Resource.Name)),
			))
		}
		grants[i] = ast.NewTerm(o)
	}
	return ast.NewObject(
		ast.Item(str("cluster"), ast.NewTerm(cluster)),
		ast.Item(str("principals"), ast.NewTerm(principals)),
		ast.Item(str("topics"), ast.NewTerm(topics)),
		ast.Item(str("grants"), ast.ArrayTerm(grants...)),
		ast.Item(str("managed"), ast.ObjectTerm(ast.Item(str("principals"), strs(inv.ManagedPrincipals())))),
	)
}
