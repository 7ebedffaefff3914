package apply

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
)

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
func (p ACLPlanner) Plan(ctx context.Context) (Section, error) {
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

// Name is "acls".
func (s *ACLSection) Name() string { return "acls" }

// Add is the bindings to create.
func (s *ACLSection) Add() []acl.Binding { return s.diff.Add }

// Remove is the bindings to delete.
func (s *ACLSection) Remove() []acl.Binding { return s.remove }

// Unmanaged is the drift outside the scope, reported and left alone.
func (s *ACLSection) Unmanaged() []acl.Binding { return s.unmanaged }

// Summary counts the section's changes.
func (s *ACLSection) Summary() Summary {
	return Summary{Add: len(s.diff.Add), Remove: len(s.remove), Unmanaged: len(s.unmanaged)}
}

// WriteText renders "+"/"-" lines and the drift section.
func (s *ACLSection) WriteText(w io.Writer, st Style) {
	if len(s.diff.Add)+len(s.remove) > 0 {
		fmt.Fprintf(w, "%s (scope: %s)\n", st.Bold("ACLs:"), scopeText(s.planner.Scope, s.planner.PruneUnmanaged))
		for _, b := range s.diff.Add {
			fmt.Fprintln(w, st.Add("  + "+b.String()))
		}
		for _, b := range s.remove {
			fmt.Fprintln(w, st.Remove("  - "+b.String()))
		}
		fmt.Fprintln(w)
	}
	if len(s.unmanaged) > 0 {
		fmt.Fprintln(w, st.Bold("Drift outside kafkaguard's scope")+" (never removed; --prune-unmanaged would remove it):")
		for _, b := range s.unmanaged {
			fmt.Fprintln(w, st.Drift("  ~ "+b.String()))
		}
		fmt.Fprintln(w)
	}
}

func scopeText(sc acl.Scope, prune bool) string {
	if prune {
		return "every principal (--prune-unmanaged)"
	}
	if sc.String() == "" {
		return "no principal"
	}
	return sc.String()
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
func (s *ACLSection) Check(g Guards) error {
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
// chunks, printing each binding's result.
func (s *ACLSection) Apply(ctx context.Context, out io.Writer, st Style, prog Progress) (int, error) {
	total := len(s.diff.Add) + len(s.remove)
	done, failed := 0, 0
	run := func(bs []acl.Binding, call func(context.Context, []acl.Binding) []cluster.ACLResult, ok, mark string, paint func(string) string) error {
		for start := 0; start < len(bs); start += s.chunk() {
			if err := ctx.Err(); err != nil {
				return err
			}
			batch := bs[start:min(start+s.chunk(), len(bs))]
			results := call(ctx, batch)
			for _, r := range results {
				if r.Err != nil {
					failed++
					fmt.Fprintf(out, "  ! failed   %s %s: %v\n", mark, r.Binding, r.Err)
					continue
				}
				fmt.Fprintln(out, paint(fmt.Sprintf("  %s %-8s %s", mark, ok, r.Binding)))
			}
			if len(results) < len(batch) {
				failed += len(batch) - len(results)
			}
			done += len(batch)
			if prog != nil {
				prog(s.Name(), done, total)
			}
		}
		return nil
	}
	if err := run(s.diff.Add, s.planner.Admin.CreateACLs, "created", "+", st.Add); err != nil {
		return failed + total - done, err
	}
	if err := run(s.remove, s.planner.Admin.DeleteACLs, "deleted", "-", st.Remove); err != nil {
		return failed + total - done, err
	}
	return failed, nil
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
