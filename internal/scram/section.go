package scram

import (
	"context"
	"fmt"
	"io"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/apply"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
)

// Planner is the "users" section of 'kafkaguard plan' and 'apply'
// (apply.Planner): it reads the cluster's SCRAM users once and plans them
// with PlanUsers. Users apply before ACLs.
type Planner struct {
	Admin       Admin
	Login       LoginFunc       // cluster.LoginSCRAM: checks the mechanisms before apply
	Config      *cluster.Config // the admin's connection
	Desired     []DesiredUser
	Scope       acl.Scope
	Prune       bool
	RunningUser string
	SecretsDir  string
	Log         io.Writer // -v lines; nil = none
}

// Section is a planned users section (apply.Section).
type Section struct {
	planner *Planner
	plan    UserPlan
	store   *Store // the secrets store the plan was made with
}

var (
	_ apply.Planner = (*Planner)(nil)
	_ apply.Section = (*Section)(nil)
)

// Plan reads the cluster's SCRAM users and plans the section.
func (p *Planner) Plan(ctx context.Context) (apply.Section, error) {
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
	up := PlanUsers(p.Desired, actual, p.Scope, p.Prune, p.RunningUser)
	up.NoteSecrets(store)
	return &Section{planner: p, plan: up, store: store}, nil
}

// UserPlan is the section's plan as data.
func (s *Section) UserPlan() UserPlan { return s.plan }

// SuggestPrune names the caller's prune flag in the plan (UserPlan.SuggestPrune).
func (s *Section) SuggestPrune(flag string) { s.plan.SuggestPrune(flag) }

// Name is the section's JSON key.
func (s *Section) Name() string { return "users" }

// Summary counts the section's changes; users left alone count as unmanaged.
func (s *Section) Summary() apply.Summary {
	c, u, r := s.plan.Counts()
	return apply.Summary{Add: c, Change: u, Remove: r, Unmanaged: len(s.leftAlone())}
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

// WriteText renders the section in the plan's style; nothing when there is
// nothing to say.
func (s *Section) WriteText(w io.Writer, st apply.Style) {
	if len(s.plan.Changes) > 0 {
		fmt.Fprintln(w, st.Bold("SCRAM users:"))
		paints := map[string]func(string) string{ActionCreate: st.Add, ActionUpdate: st.Drift, ActionRemove: st.Remove}
		for _, c := range s.plan.Changes {
			if line := c.line(); line != "" {
				fmt.Fprintln(w, paints[c.Action]("  "+line))
			}
		}
		fmt.Fprintln(w)
	}
	if left := s.leftAlone(); len(left) > 0 {
		fmt.Fprintln(w, st.Bold("SCRAM users left alone:"))
		for _, l := range left {
			fmt.Fprintf(w, "    User:%s: %s\n", l.User, l.Reason)
		}
		fmt.Fprintln(w)
	}
}

// JSON is the UserPlan (docs/users.md).
func (s *Section) JSON() any { return s.plan }

// Check has nothing to refuse: the running admin is never in the plan, and
// the plan's removal limit counts users too.
func (s *Section) Check(apply.Guards) error { return nil }

// Apply applies the section (ApplyResults), one line per user.
func (s *Section) Apply(ctx context.Context, out io.Writer, st apply.Style, prog apply.Progress) (int, error) {
	total := len(s.plan.Changes)
	results, err := s.ApplyResults(ctx)
	if err != nil {
		return total, err
	}
	failed := 0
	for i, r := range results {
		mark, word, paint := "~", "changed", st.Drift
		switch r.Action {
		case ActionCreate:
			mark, word, paint = "+", "created", st.Add
		case ActionRemove:
			mark, word, paint = "-", "removed", st.Remove
		}
		if r.Err != nil {
			failed++
			fmt.Fprintf(out, "  ! failed   %s User:%s: %v\n", mark, r.User, r.Err)
		} else {
			line := fmt.Sprintf("  %s %-8s User:%s", mark, word, r.User)
			if r.Note != "" {
				line += " (" + r.Note + ")"
			}
			fmt.Fprintln(out, paint(line))
		}
		if prog != nil {
			prog(s.Name(), i+1, total)
		}
	}
	return failed, nil
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
	settings, err := ClientSettingsFrom(p.Config)
	if err != nil {
		return nil, err
	}
	return (&Applier{Admin: p.Admin, Store: store, Settings: settings, Log: p.Log}).Apply(ctx, s.plan), nil
}

// Verify reads the cluster's SCRAM users back and fails when changes are
// still pending.
func (s *Section) Verify(ctx context.Context) error {
	p := s.planner
	actual, err := p.Admin.DescribeSCRAM(ctx)
	if err != nil {
		return err
	}
	again := PlanUsers(p.Desired, actual, p.Scope, p.Prune, p.RunningUser)
	if !again.Empty() {
		c, u, r := again.Counts()
		return fmt.Errorf("%d to create, %d to change, %d to remove still pending", c, u, r)
	}
	return nil
}
