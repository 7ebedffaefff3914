// Package quotas is the client quota section of a plan (internal/plan): the
// quotas the inventory declares (users, the user default, client ids)
// against the cluster's, read with DescribeClientQuotas and changed with
// AlterClientQuotas, and the same comparison as audit findings.
package quotas

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/plan"
	"github.com/kafkaguard/kafkaguard/inventory"
)

// Admin is what the section needs from a cluster; *cluster.Client
// implements it, tests use a fake.
type Admin interface {
	DescribeClientQuotas(ctx context.Context) ([]cluster.ClientQuota, error)
	AlterClientQuotas(ctx context.Context, alts []cluster.QuotaAlteration) []cluster.QuotaResult
}

// Planner plans the quota section.
type Planner struct {
	Admin Admin
	// Desired are the inventory's quotas.
	Desired []inventory.Quota
	// Manage is whether the inventory declares quotas at all: without any,
	// the section changes nothing and reports the cluster's quotas as left
	// alone (an inventory written before quotas existed removes none).
	Manage bool
	// Scope is the managed principals: a user quota outside it is left
	// alone. The user and client-id defaults and client-id quotas are
	// managed when Manage is set.
	Scope acl.Scope
}

// Entity converts an inventory entity to the cluster's form.
func Entity(e inventory.QuotaEntity) []cluster.QuotaComponent {
	c := cluster.QuotaComponent{Type: e.Type}
	if !e.Default {
		name := e.Name
		c.Name = &name
	}
	return []cluster.QuotaComponent{c}
}

// Name is how kafkaguard shows a cluster entity: "User:orders-api",
// "User:<default>", "client-id:etl"; other entities (user and client id
// together, ip) as Kafka's "user=a,client-id=b".
func Name(entity []cluster.QuotaComponent) string {
	if len(entity) == 1 && (entity[0].Type == inventory.QuotaUser || entity[0].Type == inventory.QuotaClientID) {
		e := inventory.QuotaEntity{Type: entity[0].Type, Default: entity[0].Name == nil}
		if entity[0].Name != nil {
			e.Name = *entity[0].Name
		}
		return e.String()
	}
	return cluster.QuotaKey(entity)
}

// managed reports whether kafkaguard may change or remove entity's quotas.
func (p Planner) managed(entity []cluster.QuotaComponent) bool {
	if !p.Manage || len(entity) != 1 {
		return false
	}
	c := entity[0]
	switch {
	case c.Type == inventory.QuotaUser && c.Name != nil:
		return p.Scope.Contains("User:" + *c.Name)
	case c.Type == inventory.QuotaUser, c.Type == inventory.QuotaClientID:
		return true
	}
	return false
}

// Plan reads the cluster's quotas once and compares them. A cluster whose
// quotas cannot be read is an error only when the inventory declares
// quotas; otherwise the section is empty.
func (p Planner) Plan(ctx context.Context) (plan.Section, error) {
	actual, err := p.Admin.DescribeClientQuotas(ctx)
	if err != nil {
		if !p.Manage {
			return &Section{planner: p, unread: err}, nil
		}
		return nil, err
	}
	return NewSection(p, actual), nil
}

// Change is one entity's planned change.
type Change struct {
	Action plan.Action
	Entity []cluster.QuotaComponent
	Set    map[string]float64 // values to set (new or different)
	Was    map[string]float64 // the cluster's values of the keys in Set and Remove
	Remove []string           // keys to remove, sorted
	Source string             // where the inventory declares it ("" for a removal)
}

// Section is the quota part of a plan.
type Section struct {
	planner   Planner
	changes   []Change
	unmanaged []cluster.ClientQuota
	unchanged int
	unread    error // the quotas could not be read (and none are declared)
}

var _ plan.Section = (*Section)(nil)

// NewSection compares desired with the quotas already read (audit, tests).
func NewSection(p Planner, actual []cluster.ClientQuota) *Section {
	s := &Section{planner: p}
	have := map[string]cluster.ClientQuota{}
	for _, q := range actual {
		have[cluster.QuotaKey(q.Entity)] = q
	}
	seen := map[string]bool{}
	if p.Manage {
		for _, d := range p.Desired {
			ent := Entity(d.Entity)
			key := cluster.QuotaKey(ent)
			seen[key] = true
			cur, ok := have[key]
			if !ok {
				s.changes = append(s.changes, Change{Action: plan.Add, Entity: ent, Set: d.Values, Source: d.Source})
				continue
			}
			c := Change{Action: plan.Update, Entity: ent, Set: map[string]float64{}, Was: map[string]float64{}, Source: d.Source}
			for k, v := range d.Values {
				if old, ok := cur.Values[k]; !ok || old != v {
					c.Set[k] = v
					if ok {
						c.Was[k] = old
					}
				}
			}
			for k, old := range cur.Values {
				if _, ok := d.Values[k]; !ok {
					c.Remove = append(c.Remove, k)
					c.Was[k] = old
				}
			}
			sort.Strings(c.Remove)
			if len(c.Set)+len(c.Remove) == 0 {
				s.unchanged++
				continue
			}
			s.changes = append(s.changes, c)
		}
	}
	for _, q := range actual {
		key := cluster.QuotaKey(q.Entity)
		if seen[key] {
			continue
		}
		if !p.managed(q.Entity) {
			s.unmanaged = append(s.unmanaged, q)
			continue
		}
		keys := sortedKeys(q.Values)
		s.changes = append(s.changes, Change{Action: plan.Remove, Entity: q.Entity, Remove: keys, Was: q.Values})
	}
	slices.SortStableFunc(s.changes, func(a, b Change) int {
		if a.Action != b.Action {
			return int(a.Action) - int(b.Action)
		}
		return strings.Compare(Name(a.Entity), Name(b.Entity))
	})
	return s
}

func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Name is the section's JSON key.
func (s *Section) Name() string { return "quotas" }

// Planned are the section's changes, in order.
func (s *Section) Planned() []Change { return s.changes }

// Unmanaged are the cluster's quotas kafkaguard leaves alone.
func (s *Section) Unmanaged() []cluster.ClientQuota { return s.unmanaged }

// Summary counts the changes.
func (s *Section) Summary() plan.Summary {
	var sum plan.Summary
	for _, c := range s.changes {
		switch c.Action {
		case plan.Add:
			sum.Add++
		case plan.Update:
			sum.Change++
		default:
			sum.Remove++
		}
	}
	sum.Unmanaged = len(s.unmanaged)
	return sum
}

// FormatValue prints a quota value as kafka-configs.sh takes it: whole
// numbers without a fraction.
func FormatValue(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// Detail is a change for people: "producer_byte_rate=1048576",
// "producer_byte_rate=1048576 (was 2097152), -request_percentage (was 50)".
func (c Change) Detail() string {
	var parts []string
	for _, k := range sortedKeys(c.Set) {
		part := k + "=" + FormatValue(c.Set[k])
		if old, ok := c.Was[k]; ok && c.Action == plan.Update {
			part += " (was " + FormatValue(old) + ")"
		}
		parts = append(parts, part)
	}
	for _, k := range c.Remove {
		parts = append(parts, "-"+k+" (was "+FormatValue(c.Was[k])+")")
	}
	return strings.Join(parts, ", ")
}

// Changes are the plan's changes: one per entity.
func (s *Section) Changes() []plan.Change {
	out := make([]plan.Change, len(s.changes))
	for i, c := range s.changes {
		out[i] = plan.Change{Action: c.Action, Item: Name(c.Entity), Detail: c.Detail()}
	}
	return out
}

// Asides are the quotas left alone.
func (s *Section) Asides() []plan.Aside {
	var out []plan.Aside
	if s.unread != nil {
		out = append(out, plan.Aside{Item: "client quotas", Reason: "not read (" + s.unread.Error() + "); the inventory declares none"})
	}
	for _, q := range s.unmanaged {
		reason := "outside kafkaguard's scope"
		if !s.planner.Manage {
			reason = "the inventory declares no quotas"
		}
		out = append(out, plan.Aside{Item: Name(q.Entity) + " " + valuesText(q.Values), Reason: reason})
	}
	return out
}

func valuesText(vs map[string]float64) string {
	var parts []string
	for _, k := range sortedKeys(vs) {
		parts = append(parts, k+"="+FormatValue(vs[k]))
	}
	return strings.Join(parts, ",")
}

type entryJSON struct {
	Entity string             `json:"entity"`
	Set    map[string]float64 `json:"set,omitempty"`
	Remove []string           `json:"remove,omitempty"`
	Was    map[string]float64 `json:"was,omitempty"`
}

type sectionJSON struct {
	Managed   bool        `json:"managed"`
	Add       []entryJSON `json:"add"`
	Change    []entryJSON `json:"change"`
	Remove    []entryJSON `json:"remove"`
	Unmanaged []entryJSON `json:"unmanaged"`
	Unchanged int         `json:"unchanged"`
}

// JSON is the documented form (docs/cluster.md).
func (s *Section) JSON() any {
	out := sectionJSON{Managed: s.planner.Manage, Add: []entryJSON{}, Change: []entryJSON{}, Remove: []entryJSON{}, Unmanaged: []entryJSON{}, Unchanged: s.unchanged}
	for _, c := range s.changes {
		e := entryJSON{Entity: Name(c.Entity), Set: c.Set, Remove: c.Remove}
		if len(c.Was) > 0 {
			e.Was = c.Was
		}
		switch c.Action {
		case plan.Add:
			out.Add = append(out.Add, e)
		case plan.Update:
			out.Change = append(out.Change, e)
		default:
			out.Remove = append(out.Remove, e)
		}
	}
	for _, q := range s.unmanaged {
		out.Unmanaged = append(out.Unmanaged, entryJSON{Entity: Name(q.Entity), Set: q.Values})
	}
	return out
}

// Check has nothing to refuse: a quota cannot lock kafkaguard out.
func (s *Section) Check(plan.Guards) error { return nil }

// Apply sends every change in one AlterClientQuotas request. When it gets
// no answer (cluster.ErrNoAnswer) the changes are of unknown outcome
// (plan.OutcomeUnknown) and Apply returns plan.ErrClusterGone, so the plan
// stops there.
func (s *Section) Apply(ctx context.Context, prog plan.Progress) ([]plan.Result, error) {
	if len(s.changes) == 0 {
		return nil, nil
	}
	alts := make([]cluster.QuotaAlteration, len(s.changes))
	for i, c := range s.changes {
		alts[i] = cluster.QuotaAlteration{Entity: c.Entity, Set: c.Set, Remove: c.Remove}
	}
	rs := s.planner.Admin.AlterClientQuotas(ctx, alts)
	out := make([]plan.Result, len(s.changes))
	var gone error
	for i, c := range s.changes {
		out[i] = plan.Result{Section: s.Name(), Action: c.Action, Item: Name(c.Entity) + " " + c.Detail()}
		if i < len(rs) {
			out[i].Err = rs[i].Err
		} else {
			out[i].Err = errors.New("no answer")
		}
		if errors.Is(out[i].Err, cluster.ErrNoAnswer) {
			gone = out[i].Err
			out[i].Err = plan.OutcomeUnknown(out[i].Err)
		}
	}
	if prog != nil {
		prog(s.Name(), len(s.changes), len(s.changes))
	}
	if gone != nil {
		return out, fmt.Errorf("%w: %w", plan.ErrClusterGone, gone)
	}
	return out, nil
}

// Verify reads the quotas back and reports changes still pending.
func (s *Section) Verify(ctx context.Context) error {
	if len(s.changes) == 0 {
		return nil
	}
	actual, err := s.planner.Admin.DescribeClientQuotas(ctx)
	if err != nil {
		return err
	}
	if n := len(NewSection(s.planner, actual).changes); n > 0 {
		return fmt.Errorf("%d quota change(s) still pending", n)
	}
	return nil
}
