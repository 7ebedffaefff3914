package app

import (
	"context"
	"fmt"
	"io"

	"github.com/kafkaguard/kafkaguard/internal/apply"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/plan"
	"github.com/kafkaguard/kafkaguard/internal/quotas"
	"github.com/kafkaguard/kafkaguard/internal/scram"
	"github.com/kafkaguard/kafkaguard/policies"
)

// DeniedError is an inventory the policies deny: nothing is planned for it.
type DeniedError struct{ Denies []policies.Finding }

func (e *DeniedError) Error() string {
	return fmt.Sprintf("the inventory violates %d policy rule(s); nothing was planned", len(e.Denies))
}

// Denied is a *DeniedError when the policies deny the inventory, else nil.
func (w *Workspace) Denied() error {
	if w.Compiled != nil && len(w.Compiled.Deny) > 0 {
		return &DeniedError{Denies: w.Compiled.Deny}
	}
	return nil
}

// PlanOptions shape a plan.
type PlanOptions struct {
	// PruneUnmanaged also removes bindings of principals outside the scope.
	PruneUnmanaged bool
	// PruneUsers removes SCRAM users the inventory does not declare (inside
	// the scope, never the running admin).
	PruneUsers bool
	// SecretsDir is the SCRAM secrets store; "" = scram.DefaultSecretsDir.
	SecretsDir string
	// Log receives -v lines of the users section; nil = none.
	Log io.Writer
	// ACLBatch is the bindings per CreateAcls/DeleteAcls request;
	// 0 = apply.DefaultChunk.
	ACLBatch int
}

// UsersPlanner is the SCRAM users section of a plan against the session's
// cluster ('kafkaguard users' plans with it alone).
func (s *Session) UsersPlanner(o PlanOptions) *scram.Planner {
	dir := o.SecretsDir
	if dir == "" {
		dir = scram.DefaultSecretsDir
	}
	return &scram.Planner{
		Admin: s.Client, Login: cluster.LoginSCRAM, Config: s.Client.Config(),
		Desired: s.Users, Scope: s.Scope, Prune: o.PruneUsers,
		RunningUser: s.Client.UserName(),
		External:    scram.ExternalFromInventory(s.Inventory),
		SecretsDir:  dir,
		Log:         o.Log,
	}
}

// ACLPlanner is the ACL section of a plan: the compiled ACLs against the
// cluster's, within the scope.
func (s *Session) ACLPlanner(o PlanOptions) apply.ACLPlanner {
	return apply.ACLPlanner{Admin: s.Client, Desired: s.Compiled.ACLs, Scope: s.Scope, PruneUnmanaged: o.PruneUnmanaged, Chunk: o.ACLBatch}
}

// QuotaPlanner is the client quota section: the inventory's quotas
// against the cluster's (managed only when the inventory declares quotas).
func (s *Session) QuotaPlanner() quotas.Planner {
	return quotas.Planner{Admin: s.Client, Desired: s.Inventory.Quotas, Manage: s.Inventory.QuotasDeclared, Scope: s.Scope}
}

// Planners lists the sections of plan and apply, in the order they apply:
// SCRAM users first (a principal's credentials before its ACLs), then ACLs,
// then client quotas. A new section is one more entry here.
func (s *Session) Planners(o PlanOptions) []plan.Planner {
	return []plan.Planner{s.UsersPlanner(o), s.ACLPlanner(o), s.QuotaPlanner()}
}

// Plan reads the cluster once per section and computes every change.
func (s *Session) Plan(ctx context.Context, o PlanOptions) (*plan.Plan, error) {
	return plan.Build(ctx, s.Planners(o)...)
}

// Apply applies p to the session's cluster (plan.Plan.Apply): per-item
// results, in order; on Ctrl-C (ctx ends) the results so far and ctx's error.
func (s *Session) Apply(ctx context.Context, p *plan.Plan, prog plan.Progress) (plan.Outcome, error) {
	return p.Apply(ctx, prog)
}
