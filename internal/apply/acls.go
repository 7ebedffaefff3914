// Package apply is the ACL section of a plan (internal/plan): the compiled
// ACLs against the cluster's, within the managed scope, applied in batches
// with exact-match deletes and guarded against locking the running
// principal out.
package apply

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/plan"
)

// ErrLockout is the lockout guard's refusal.
var ErrLockout = errors.New("lockout")

// ACLAdmin is what the ACL section needs from a cluster; *cluster.Client
// implements it, tests use a fake.
type ACLAdmin interface {
	DescribeACLs(ctx context.Context) (acl.Set, error)
	CreateACLs(ctx context.Context, bs []acl.Binding) []cluster.ACLResult
	DeleteACLs(ctx context.Context, bs []acl.Binding) []cluster.ACLResult
	// Principal is the running principal ("" when unknown).
	Principal() string
}

// DefaultChunk is how many bindings the ACL section hands the admin at once
// (one CreateAcls or DeleteAcls request with cluster.Client's defaults);
// progress is reported after each chunk.
const DefaultChunk = 1000

// ACLPlanner plans the ACL section: Desired against the cluster's ACLs within
// Scope.
type ACLPlanner struct {
	Admin   ACLAdmin
	Desired acl.Set
	Scope   acl.Scope
	// PruneUnmanaged also removes bindings of principals outside Scope.
	PruneUnmanaged bool
	// Chunk is the bindings per admin call; DefaultChunk when 0.
	Chunk int
}

// Plan reads the cluster's ACLs once and diffs them.
func (p ACLPlanner) Plan(ctx context.Context) (plan.Section, error) {
	actual, err := p.Admin.DescribeACLs(ctx)
	if err != nil {
		return nil, err
	}
	return NewACLSection(p, actual), nil
}

// NewACLSection builds the section from ACLs already read (benchmarks, audit).
func NewACLSection(p ACLPlanner, actual acl.Set) *ACLSection {
	d := acl.Diff(p.Desired, actual, p.Scope)
	s := &ACLSection{planner: p, actual: actual, diff: d}
	s.remove = d.Remove
	s.unmanaged = d.Unmanaged
	if p.PruneUnmanaged && len(d.Unmanaged) > 0 {
		s.remove = acl.NewSet(slices.Concat(d.Remove, d.Unmanaged)...).Bindings()
		s.unmanaged = nil
	}
	return s
}

// ACLSection is the ACL part of a plan.
type ACLSection struct {
	planner   ACLPlanner
	actual    acl.Set
	diff      acl.Plan
	remove    []acl.Binding // diff.Remove, plus the unmanaged ones when pruning
	unmanaged []acl.Binding
}

var _ plan.Section = (*ACLSection)(nil)

// Name is "acls".
func (s *ACLSection) Name() string { return "acls" }

// Add is the bindings to create.
func (s *ACLSection) Add() []acl.Binding { return s.diff.Add }

// Remove is the bindings to delete.
func (s *ACLSection) Remove() []acl.Binding { return s.remove }

// Unmanaged is the drift outside the scope, reported and left alone.
func (s *ACLSection) Unmanaged() []acl.Binding { return s.unmanaged }

// Scope is the managed scope the section plans within.
func (s *ACLSection) Scope() acl.Scope { return s.planner.Scope }

// Pruning reports whether bindings outside the scope are removed too.
func (s *ACLSection) Pruning() bool { return s.planner.PruneUnmanaged }

// Summary counts the section's changes.
func (s *ACLSection) Summary() plan.Summary {
	return plan.Summary{Add: len(s.diff.Add), Remove: len(s.remove), Unmanaged: len(s.unmanaged)}
}

// Changes are the bindings to create, then those to delete.
func (s *ACLSection) Changes() []plan.Change {
	out := make([]plan.Change, 0, len(s.diff.Add)+len(s.remove))
	for _, b := range s.diff.Add {
		out = append(out, plan.Change{Action: plan.Add, Item: b.String()})
	}
	for _, b := range s.remove {
		out = append(out, plan.Change{Action: plan.Remove, Item: b.String()})
	}
	return out
}

// Asides are the bindings outside the scope, reported and left alone.
func (s *ACLSection) Asides() []plan.Aside {
	out := make([]plan.Aside, 0, len(s.unmanaged))
	for _, b := range s.unmanaged {
		out = append(out, plan.Aside{Item: b.String()})
	}
	return out
}

type aclSectionJSON struct {
	Scope     []string      `json:"scope"`
	Prune     bool          `json:"prune_unmanaged"`
	Add       []acl.Binding `json:"add"`
	Remove    []acl.Binding `json:"remove"`
	Unmanaged []acl.Binding `json:"unmanaged"`
	Unchanged int           `json:"unchanged"`
}

// JSON is the documented form (docs/cluster.md).
func (s *ACLSection) JSON() any {
	nz := func(bs []acl.Binding) []acl.Binding {
		if bs == nil {
			return []acl.Binding{}
		}
		return bs
	}
	scope := s.planner.Scope.Patterns()
	if scope == nil {
		scope = []string{}
	}
	return aclSectionJSON{Scope: scope, Prune: s.planner.PruneUnmanaged,
		Add: nz(s.diff.Add), Remove: nz(s.remove), Unmanaged: nz(s.unmanaged), Unchanged: len(s.diff.Unchanged)}
}

// After is the cluster's ACLs once the section is applied.
func (s *ACLSection) After() acl.Set {
	return s.actual.Minus(acl.NewSet(s.remove...)).Union(acl.NewSet(s.diff.Add...))
}

// manageOps are the operations on CLUSTER kafka-cluster a principal needs to
// read and change ACLs.
var manageOps = []acl.Operation{acl.OpDescribe, acl.OpAlter}

// Check refuses a plan after which the running principal could no longer
// describe and alter ACLs when ACLs are what let it do so now. A principal
// that ACLs do not authorize today must be a super user (or the cluster
// allows everyone when no ACL is found): the plan cannot lock it out.
func (s *ACLSection) Check(g plan.Guards) error {
	if g.AllowLockout || !s.Summary().HasChanges() {
		return nil
	}
	// Only CLUSTER bindings decide CLUSTER requests.
	touchesCluster := func(b acl.Binding) bool { return b.ResourceType == acl.ResourceCluster }
	if !slices.ContainsFunc(s.diff.Add, touchesCluster) && !slices.ContainsFunc(s.remove, touchesCluster) {
		return nil
	}
	principal := s.planner.Admin.Principal()
	if slices.Contains(g.SuperUsers, principal) {
		return nil
	}
	if principal == "" {
		return fmt.Errorf("%w check: cannot tell which principal this client runs as (an mTLS certificate without mapping), so cannot check it keeps ALTER and DESCRIBE on CLUSTER %s", ErrLockout, acl.ClusterName)
	}
	before := acl.NewAuthorizer(s.actual, acl.AuthorizerOptions{})
	afterSet := s.After()
	after := acl.NewAuthorizer(afterSet, acl.AuthorizerOptions{})
	// The client's address is unknown: ask from every host a CLUSTER binding
	// of the principal (or User:*) names, before or after, and from "*".
	for _, host := range clusterHosts(principal, s.actual, afterSet) {
		for _, op := range manageOps {
			req := acl.Request{Principal: principal, Host: host, Operation: op, ResourceType: acl.ResourceCluster, ResourceName: acl.ClusterName}
			if before.Authorize(req).Allowed && !after.Authorize(req).Allowed {
				from := ""
				if host != acl.Wildcard {
					from = " from host " + host
				}
				return fmt.Errorf("%w: after this plan %s could no longer %s on CLUSTER %s%s, so kafkaguard could not manage ACLs any more", ErrLockout, principal, op, acl.ClusterName, from)
			}
		}
	}
	return nil
}

func clusterHosts(principal string, sets ...acl.Set) []string {
	hosts := []string{acl.Wildcard}
	for _, set := range sets {
		for _, b := range set.Bindings() {
			if b.ResourceType == acl.ResourceCluster && b.MatchesPrincipal(principal) && b.Host != acl.Wildcard {
				hosts = append(hosts, b.Host)
			}
		}
	}
	slices.Sort(hosts)
	return slices.Compact(hosts)
}

func (s *ACLSection) chunk() int {
	if s.planner.Chunk > 0 {
		return s.planner.Chunk
	}
	return DefaultChunk
}

// Apply creates the additions, then deletes the removals (exact-match), in
// chunks: one result per binding sent. When ctx ends it stops before the next
// chunk; the chunk in flight runs to its end (without ctx's cancellation,
// within the client's timeout), so every binding sent has its result. When a
// request gets no answer (cluster.ErrNoAnswer) its bindings are of unknown
// outcome (plan.OutcomeUnknown) and Apply stops there, returning
// plan.ErrClusterGone: the bindings after it are not attempted.
func (s *ACLSection) Apply(ctx context.Context, prog plan.Progress) ([]plan.Result, error) {
	total := len(s.diff.Add) + len(s.remove)
	results := make([]plan.Result, 0, total)
	inFlight := context.WithoutCancel(ctx)
	run := func(bs []acl.Binding, action plan.Action, call func(context.Context, []acl.Binding) []cluster.ACLResult) error {
		for start := 0; start < len(bs); start += s.chunk() {
			if err := ctx.Err(); err != nil {
				return err
			}
			batch := bs[start:min(start+s.chunk(), len(bs))]
			answered := map[acl.Binding]error{}
			var gone error
			for _, r := range call(inFlight, batch) {
				if errors.Is(r.Err, cluster.ErrNoAnswer) {
					gone = r.Err
					r.Err = plan.OutcomeUnknown(r.Err)
				}
				answered[r.Binding] = r.Err
			}
			for _, b := range batch {
				err, ok := answered[b]
				if !ok && gone != nil {
					continue // never sent: the admin stopped at the request that got no answer
				}
				if !ok {
					err = errors.New("the cluster did not answer for this binding")
				}
				results = append(results, plan.Result{Section: s.Name(), Action: action, Item: b.String(), Err: err})
			}
			if prog != nil {
				prog(s.Name(), len(results), total)
			}
			if gone != nil {
				return fmt.Errorf("%w: %w", plan.ErrClusterGone, gone)
			}
		}
		return nil
	}
	if err := run(s.diff.Add, plan.Add, s.planner.Admin.CreateACLs); err != nil {
		return results, err
	}
	if err := run(s.remove, plan.Remove, s.planner.Admin.DeleteACLs); err != nil {
		return results, err
	}
	return results, nil
}

// ErrNotConverged is returned by Verify when the cluster still differs.
var ErrNotConverged = errors.New("the cluster does not match the plan")

// Verify reads the ACLs back and checks that every addition is there and
// every removal gone.
func (s *ACLSection) Verify(ctx context.Context) error {
	got, err := s.planner.Admin.DescribeACLs(ctx)
	if err != nil {
		return err
	}
	missing, lingering := 0, 0
	for _, b := range s.diff.Add {
		if !got.Contains(b) {
			missing++
		}
	}
	for _, b := range s.remove {
		if got.Contains(b) {
			lingering++
		}
	}
	if missing+lingering > 0 {
		return fmt.Errorf("%w: %d bindings missing, %d still present", ErrNotConverged, missing, lingering)
	}
	return nil
}
