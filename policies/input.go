package policies

import (
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/kafkaguard/kafkaguard/inventory"
)

// Key terms shared by every object of the input: building 300k objects for a
// large inventory, fresh key terms would be a good part of the work.
var (
	kAuth, kTeam, kSuperuser, kSource, kDN, kIterations = ast.StringTerm("auth"), ast.StringTerm("team"), ast.StringTerm("superuser"), ast.StringTerm("source"), ast.StringTerm("dn"), ast.StringTerm("iterations")
	kClassification                                     = ast.StringTerm("classification")
	kPrincipal, kRole, kPermission, kTopics             = ast.StringTerm("principal"), ast.StringTerm("role"), ast.StringTerm("permission"), ast.StringTerm("topics")
	kGroups, kTransactionalIDs, kOperations, kHosts     = ast.StringTerm("groups"), ast.StringTerm("transactional_ids"), ast.StringTerm("operations"), ast.StringTerm("hosts")
	kCreate, kApplicationID, kExactlyOnce               = ast.StringTerm("create"), ast.StringTerm("application_id"), ast.StringTerm("exactly_once")
	kApprovedBy, kReason, kResource, kType, kName       = ast.StringTerm("approved_by"), ast.StringTerm("reason"), ast.StringTerm("resource"), ast.StringTerm("type"), ast.StringTerm("name")
	kInputs, kOutputs, kConnector, kWorkerGroup         = ast.StringTerm("inputs"), ast.StringTerm("outputs"), ast.StringTerm("connector"), ast.StringTerm("worker_group")
	kQuotas                                             = ast.StringTerm("quotas")
	kDLQ, kOffsetsTopic, kServiceID, kExpires, kLabels  = ast.StringTerm("dlq"), ast.StringTerm("offsets_topic"), ast.StringTerm("service_id"), ast.StringTerm("expires"), ast.StringTerm("labels")
)

// splitGrants is the number of grants (each half) from which the input's
// grants are built in two halves at the same time (a variable for tests).
var splitGrants = 2048

// quotaTerm is a quota's values as an object, with its source.
func quotaTerm(q inventory.Quota) *ast.Term {
	o := ast.NewObjectWithCapacity(len(q.Values) + 1)
	for k, v := range q.Values {
		o.Insert(ast.StringTerm(k), ast.FloatNumberTerm(v))
	}
	o.Insert(kSource, ast.StringTerm(q.Source))
	return ast.NewTerm(o)
}

// labelsTerm is a label mapping as an object; none is the empty object
// shared by every principal and topic without labels (most of them).
func labelsTerm(labels map[string]string, none *ast.Term) *ast.Term {
	if len(labels) == 0 {
		return none
	}
	o := ast.NewObjectWithCapacity(len(labels))
	for k, v := range labels {
		o.Insert(ast.StringTerm(k), ast.StringTerm(v))
	}
	return ast.NewTerm(o)
}

// InputValue builds the Rego input for inv directly as an ast.Value (no JSON
// round trip). The shape is the inventory as written, keyed like the YAML,
// with every grant normalised: all keys present, permission upper case, hosts
// defaulted to ["*"], role "" for an operations grant, resource only when
// given, and "source": "file:line".
//
// The principals, the topics and the grants are built at the same time (most
// of the cost is allocation, which spreads over the cores).
func InputValue(inv *inventory.Inventory) ast.Value { return inputValueAt(inv, time.Time{}, nil) }

// inputValueAt is InputValue with the dates of now: "today" (YYYY-MM-DD,
// UTC), "expiry_warning_until" (today + ExpiryWarningDays) and
// "expired_grants", the grants left out because they expired (each
// {principal, role, expires, source}). With a zero now those keys are absent.
func inputValueAt(inv *inventory.Inventory, now time.Time, expired []inventory.Grant) ast.Value {
	// str shares the empty string's term: most of a grant's settings are
	// empty, and 23 keys a grant of 225k grants is most of the input.
	str := func(s string) *ast.Term {
		if s == "" {
			return ast.InternedEmptyString
		}
		return ast.StringTerm(s)
	}
	// istr interns repeated values (teams, roles, hosts, ...); each part
	// has its own table.
	interner := func() func(string) *ast.Term {
		interned := map[string]*ast.Term{}
		return func(s string) *ast.Term {
			if t, ok := interned[s]; ok {
				return t
			}
			t := ast.StringTerm(s)
			interned[s] = t
			return t
		}
	}
	empty, noLabels := ast.ArrayTerm(), ast.ObjectTerm()
	strs := func(ss []string) *ast.Term {
		if len(ss) == 0 {
			return empty
		}
		ts := make([]*ast.Term, len(ss))
		for i, s := range ss {
			ts[i] = ast.StringTerm(s)
		}
		return ast.ArrayTerm(ts...)
	}
	boolean := func(b bool) *ast.Term { return ast.InternedTerm(b) }
	cluster := ast.NewObject(
		ast.Item(str("name"), str(inv.Cluster.Name)),
		ast.Item(str("ssl_principal_mapping_rules"), str(inv.Cluster.SSLPrincipalMappingRules)),
	)
	// The principals' own quotas, by name; the defaults and client ids go
	// under input.quotas.
	quotas := map[string]inventory.Quota{}
	inputQuotas := ast.NewObject()
	clientQuotas := ast.NewObject()
	for _, q := range inv.Quotas {
		switch {
		case q.Entity.Type == inventory.QuotaUser && !q.Entity.Default:
			quotas[q.Entity.Name] = q
		case q.Entity.Type == inventory.QuotaUser:
			inputQuotas.Insert(str("default"), quotaTerm(q))
		case q.Entity.Default:
			clientQuotas.Insert(str("<default>"), quotaTerm(q))
		default:
			clientQuotas.Insert(str(q.Entity.Name), quotaTerm(q))
		}
	}
	inputQuotas.Insert(str("clients"), ast.NewTerm(clientQuotas))
	inputQuotas.Insert(str("require_for"), strs(inv.QuotaRequiredFor))
	var wg sync.WaitGroup
	var principals, topics ast.Object
	wg.Go(func() {
		istr := interner()
		principals = ast.NewObjectWithCapacity(len(inv.Principals))
		for _, p := range inv.Principals {
			o := ast.NewObjectWithCapacity(8)
			o.Insert(kLabels, labelsTerm(p.Labels, noLabels))
			if q, ok := quotas[p.Name]; ok {
				o.Insert(kQuotas, quotaTerm(q))
			}
			o.Insert(kAuth, istr(p.Auth))
			o.Insert(kTeam, istr(p.Team))
			o.Insert(kSuperuser, boolean(p.Superuser))
			o.Insert(kSource, str(p.Source))
			if p.DN != "" {
				o.Insert(kDN, str(p.DN))
			}
			if p.IsSCRAM() {
				o.Insert(kIterations, ast.IntNumberTerm(p.EffectiveIterations()))
			}
			principals.Insert(str(p.Name), ast.NewTerm(o))
		}
	})
	wg.Go(func() {
		istr := interner()
		topics = ast.NewObjectWithCapacity(len(inv.Topics))
		for _, t := range inv.Topics {
			o := ast.NewObjectWithCapacity(4)
			o.Insert(kLabels, labelsTerm(t.Labels, noLabels))
			o.Insert(kTeam, istr(t.Team))
			o.Insert(kClassification, istr(t.Classification))
			o.Insert(kSource, str(t.Source))
			topics.Insert(str(t.Name), ast.NewTerm(o))
		}
	})
	grants := make([]*ast.Term, len(inv.Grants))
	// grantTerms builds the terms of the grants from lo to hi, with tables
	// of its own.
	grantTerms := func(lo, hi int) {
		istr := interner()
		// A grant's hosts are nearly always ["*"]: one array per host.
		oneHost := map[string]*ast.Term{}
		for i := lo; i < hi; i++ {
			g := &inv.Grants[i]
			o := ast.NewObjectWithCapacity(23)
			o.Insert(kPrincipal, str(g.Principal))
			o.Insert(kRole, istr(g.Role))
			o.Insert(kPermission, istr(g.Permission))
			o.Insert(kTopics, strs(g.Topics))
			o.Insert(kGroups, strs(g.Groups))
			o.Insert(kTransactionalIDs, strs(g.TransactionalIDs))
			o.Insert(kOperations, strs(g.Operations))
			if len(g.Hosts) == 1 {
				h, ok := oneHost[g.Hosts[0]]
				if !ok {
					h = ast.ArrayTerm(istr(g.Hosts[0]))
					oneHost[g.Hosts[0]] = h
				}
				o.Insert(kHosts, h)
			} else {
				o.Insert(kHosts, strs(g.Hosts))
			}
			o.Insert(kCreate, boolean(g.Create))
			o.Insert(kApplicationID, str(g.ApplicationID))
			o.Insert(kExactlyOnce, boolean(g.ExactlyOnce))
			o.Insert(kInputs, strs(g.Inputs))
			o.Insert(kOutputs, strs(g.Outputs))
			o.Insert(kConnector, str(g.Connector))
			o.Insert(kWorkerGroup, str(g.WorkerGroup))
			o.Insert(kDLQ, str(g.DLQ))
			o.Insert(kOffsetsTopic, str(g.OffsetsTopic))
			o.Insert(kServiceID, str(g.ServiceID))
			o.Insert(kExpires, str(g.Expires))
			o.Insert(kApprovedBy, istr(g.ApprovedBy))
			o.Insert(kReason, str(g.Reason))
			o.Insert(kSource, str(g.Source))
			if g.Resource != nil {
				r := ast.NewObjectWithCapacity(2)
				r.Insert(kType, istr(g.Resource.Type))
				r.Insert(kName, str(g.Resource.Name))
				o.Insert(kResource, ast.NewTerm(r))
			}
			grants[i] = ast.NewTerm(o)
		}
	}
	// The grants are most of the input: half of them on one more core.
	if half := len(inv.Grants) / 2; half >= splitGrants {
		wg.Go(func() { grantTerms(half, len(inv.Grants)) })
		grantTerms(0, half)
	} else {
		grantTerms(0, len(inv.Grants))
	}
	wg.Wait()
	waivers := make([]*ast.Term, len(inv.Waivers))
	for i, w := range inv.Waivers {
		waivers[i] = ast.ObjectTerm(
			ast.Item(str("rule"), str(w.Rule)),
			ast.Item(str("principal"), str(w.Principal)),
			ast.Item(str("topic"), str(w.Topic)),
			ast.Item(str("reason"), str(w.Reason)),
			ast.Item(kApprovedBy, str(w.ApprovedBy)),
			ast.Item(kExpires, str(w.Expires)),
			ast.Item(kSource, str(w.Source)),
		)
	}
	out := ast.NewObject(
		ast.Item(str("waivers"), ast.ArrayTerm(waivers...)),
		ast.Item(str("quotas"), ast.NewTerm(inputQuotas)),
		ast.Item(str("cluster"), ast.NewTerm(cluster)),
		ast.Item(str("principals"), ast.NewTerm(principals)),
		ast.Item(str("topics"), ast.NewTerm(topics)),
		ast.Item(str("grants"), ast.ArrayTerm(grants...)),
		ast.Item(str("managed"), ast.ObjectTerm(ast.Item(str("principals"), strs(inv.ManagedPrincipals())))),
	)
	if !now.IsZero() {
		day := now.UTC()
		out.Insert(str("today"), str(day.Format(inventory.DateLayout)))
		out.Insert(str("expiry_warning_until"), str(day.AddDate(0, 0, ExpiryWarningDays).Format(inventory.DateLayout)))
		gone := make([]*ast.Term, len(expired))
		for i, g := range expired {
			gone[i] = ast.ObjectTerm(
				ast.Item(kPrincipal, str(g.Principal)),
				ast.Item(kRole, str(g.Role)),
				ast.Item(kExpires, str(g.Expires)),
				ast.Item(kSource, str(g.Source)),
			)
		}
		out.Insert(str("expired_grants"), ast.ArrayTerm(gone...))
	}
	return out
}
