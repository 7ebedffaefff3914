package scram

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/plan"
)

// Planner is the "users" section of 'kafkaguard plan' and 'apply'
// (plan.Planner): it reads the cluster's SCRAM users once and plans them
// with PlanUsers. Users apply before ACLs.
type Planner struct {
	Admin       Admin
	Login       LoginFunc       // cluster.LoginSCRAM: checks the mechanisms before apply
	Config      *cluster.Config // the admin's connection
	Desired     []DesiredUser
	Scope       acl.Scope
	Prune       bool
	RunningUser string
	External    []string // users declared auth: external: left alone (LeaveExternal)
	SecretsDir  string
	Log         io.Writer // -v lines; nil = none
}

// Section is a planned users section (plan.Section).
type Section struct {
	planner *Planner
	plan    UserPlan
	store   *Store // the secrets store the plan was made with
}

var (
	_ plan.Planner = (*Planner)(nil)
	_ plan.Section = (*Section)(nil)
)

// Plan reads the cluster's SCRAM users and plans the section.
func (p *Planner) Plan(ctx context.Context) (plan.Section, error) {
	return p.PlanSection(ctx)
}

// PlanSection is Plan with the concrete type, for 'kafkaguard users plan'
// and 'users apply', which render the section in their own format.
func (p *Planner) PlanSection(ctx context.Context) (*Section, error) {
	store, err := OpenStore(p.SecretsDir, false)
	if err != nil {
		return nil, err
	}
	actual, err := p.Admin.DescribeSCRAM(ctx)
	if err != nil {
		return nil, err
	}
	up := PlanUsers(p.Desired, actual, p.Scope, p.Prune, p.RunningUser).LeaveExternal(p.External)
	up.NoteSecrets(store)
	up.NoteRepairs(p.Desired, p.External, store.MissingConfigs)
	return &Section{planner: p, plan: up, store: store}, nil
}

// UserPlan is the section's plan as data.
func (s *Section) UserPlan() UserPlan { return s.plan }

// SuggestPrune names the caller's prune flag in the plan (UserPlan.SuggestPrune).
func (s *Section) SuggestPrune(flag string) { s.plan.SuggestPrune(flag) }

// Name is the section's JSON key.
func (s *Section) Name() string { return "users" }

// Summary counts the section's changes; users left alone count as unmanaged.
func (s *Section) Summary() plan.Summary {
	c, u, r := s.plan.Counts()
	// a repair rewrites local files only, but it is a change: the plan is
	// not clean (--detailed-exitcode 2) until it is done.
	return plan.Summary{Add: c, Change: u + s.plan.Repairs(), Remove: r, Unmanaged: len(s.leftAlone())}
}

// leftAlone is the plan's LeftAlone without the undeclared running admin,
// which every cluster has and nobody needs to be told about.
func (s *Section) leftAlone() []LeftAlone {
	var out []LeftAlone
	for _, l := range s.plan.LeftAlone {
		if l.User == s.planner.RunningUser && l.Kind == LeftRunningAdmin && l.Reason == reasonRunningAdmin {
			continue
		}
		out = append(out, l)
	}
	return out
}

// Changes are the plan's user changes, in order.
func (s *Section) Changes() []plan.Change {
	out := make([]plan.Change, 0, len(s.plan.Changes))
	for _, c := range s.plan.Changes {
		out = append(out, c.PlanChange())
	}
	return out
}

// Asides are the users left alone, with why.
func (s *Section) Asides() []plan.Aside {
	var out []plan.Aside
	for _, l := range s.leftAlone() {
		out = append(out, plan.Aside{Item: "User:" + l.User, Reason: l.Reason})
	}
	return out
}

// JSON is the UserPlan (docs/users.md).
func (s *Section) JSON() any { return s.plan }

// Check has nothing to refuse: the running admin is never in the plan, and
// the plan's removal limit counts users too.
func (s *Section) Check(plan.Guards) error { return nil }

// Apply applies the section (ApplyResults): one result per user change
// tried. A request with no answer (cluster.ErrNoAnswer) makes its users'
// results unknown (plan.OutcomeUnknown) and returns plan.ErrClusterGone.
func (s *Section) Apply(ctx context.Context, prog plan.Progress) ([]plan.Result, error) {
	results, err := s.ApplyResults(ctx)
	out := make([]plan.Result, 0, len(results))
	var gone error
	for _, r := range results {
		if errors.Is(r.Err, cluster.ErrNoAnswer) {
			gone = r.Err
			r.Err = plan.OutcomeUnknown(r.Err)
		}
		out = append(out, plan.Result{Section: s.Name(), Action: r.planAction(), Item: "User:" + r.User, Note: r.Note, Err: r.Err})
	}
	if prog != nil && len(out) > 0 {
		prog(s.Name(), len(out), len(s.plan.Changes))
	}
	if err == nil && gone != nil {
		err = fmt.Errorf("%w: %w", plan.ErrClusterGone, gone)
	}
	return out, err
}

// ApplyResults checks the plan's password files and that the cluster accepts
// logins with the mechanisms it will use, before changing anything; then
// opens (creating) the secrets store and applies the plan (Applier.Apply):
// one result per user. 'kafkaguard users apply' renders them itself.
func (s *Section) ApplyResults(ctx context.Context) ([]Result, error) {
	p := s.planner
	if len(s.plan.Changes) == 0 {
		return nil, nil
	}
	if err := Precheck(s.plan, s.store); err != nil {
		return nil, err
	}
	checked := map[string]bool{}
	for _, c := range s.plan.Changes {
		if c.Upsert && !checked[c.Mechanism] {
			checked[c.Mechanism] = true
			if p.Log != nil {
				fmt.Fprintf(p.Log, "kafkaguard: checking that the cluster accepts %s logins\n", c.Mechanism)
			}
			if err := ProbeSCRAM(ctx, p.Login, p.Config, c.Mechanism); err != nil {
				return nil, err
			}
		}
	}
	store, err := OpenStore(p.SecretsDir, true)
	if err != nil {
		return nil, err
	}
	var logf func(string, ...any)
	if p.Log != nil {
		logf = func(format string, args ...any) { fmt.Fprintf(p.Log, "kafkaguard: "+format+"\n", args...) }
	}
	unlock, err := store.Lock(ctx, logf)
	if err != nil {
		return nil, err
	}
	defer unlock()
	store.RemoveLeftovers() // a killed run's temporary files
	settings, err := ClientSettingsFrom(p.Config)
	if err != nil {
		return nil, err
	}
	results := (&Applier{Admin: p.Admin, Store: store, Settings: settings, Log: p.Log}).Apply(ctx, s.plan)
	return results, ctx.Err() // interrupted: the results so far
}

// Verify reads the cluster's SCRAM users back and fails when changes are
// still pending.
func (s *Section) Verify(ctx context.Context) error {
	p := s.planner
	actual, err := p.Admin.DescribeSCRAM(ctx)
	if err != nil {
		return err
	}
	again := PlanUsers(p.Desired, actual, p.Scope, p.Prune, p.RunningUser).LeaveExternal(p.External)
	if !again.Empty() {
		c, u, r := again.Counts()
		return fmt.Errorf("%d to create, %d to change, %d to remove still pending", c, u, r)
	}
	return nil
}
