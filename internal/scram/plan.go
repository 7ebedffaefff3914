package scram

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/plan"
)

// Actions of a user change.
const (
	ActionCreate = "create" // +
	ActionUpdate = "update" // ~
	ActionRemove = "remove" // -
	// ActionRepair regenerates a missing NAME.properties or
	// NAME.librdkafka.properties from the stored password of a user whose
	// credentials are in sync: the cluster is not touched (~ in the plan).
	ActionRepair = "repair"
)

// UserChange is one change to a SCRAM user.
type UserChange struct {
	Action     string                        `json:"action"`
	User       string                        `json:"user"`
	Mechanism  string                        `json:"mechanism,omitempty"`  // the declared mechanism (create, update)
	Iterations int                           `json:"iterations,omitempty"` // the declared iteration count
	Upsert     bool                          `json:"upsert"`               // that credential is (re)written: needs a password
	Delete     []string                      `json:"delete,omitempty"`     // mechanisms whose credentials are removed
	Current    []cluster.SCRAMCredentialInfo `json:"current,omitempty"`    // what the cluster has now
	Reason     string                        `json:"reason"`
	Source     string                        `json:"source,omitempty"` // inventory file:line
	// NewPassword is set (by NoteSecrets) when the upsert uses a newly
	// generated password because the store has none for the user: its
	// client configs change.
	NewPassword bool `json:"new_password,omitempty"`
	// Drift is how an updated user's credentials differ from the inventory.
	Drift []Drift `json:"-"`
}

// DriftKind is one way a declared user's credentials differ from the
// inventory: what 'users plan' changes and the audit reports (KG203, KG204).
type DriftKind int

const (
	// DriftMechanism: no credential for the declared mechanism (the
	// cluster has others).
	DriftMechanism DriftKind = iota
	// DriftIterations: the declared mechanism's credential has another
	// iteration count (Iterations is the cluster's).
	DriftIterations
	// DriftExtraMechanism: a credential of another mechanism besides the
	// declared one (Mechanism is that one).
	DriftExtraMechanism
)

// Drift is one difference between a declared user and its credentials.
type Drift struct {
	Kind       DriftKind
	Mechanism  string // the cluster's credential it is about ("" for DriftMechanism)
	Iterations int    // the cluster's iteration count
}

// driftOf compares a declared user with its (non-empty, sorted) credentials.
func driftOf(d DesiredUser, cur []cluster.SCRAMCredentialInfo) []Drift {
	var out []Drift
	declared := slices.IndexFunc(cur, func(c cluster.SCRAMCredentialInfo) bool { return c.Mechanism == d.Mechanism })
	if declared < 0 {
		return []Drift{{Kind: DriftMechanism}}
	}
	if c := cur[declared]; c.Iterations != d.Iterations {
		out = append(out, Drift{Kind: DriftIterations, Mechanism: c.Mechanism, Iterations: c.Iterations})
	}
	for _, c := range cur {
		if c.Mechanism != d.Mechanism {
			out = append(out, Drift{Kind: DriftExtraMechanism, Mechanism: c.Mechanism, Iterations: c.Iterations})
		}
	}
	return out
}

// LeftAlone is a SCRAM user on the cluster that the plan does not touch
// although the inventory does not declare it as such.
type LeftAlone struct {
	User   string        `json:"user"`
	Reason string        `json:"reason"`
	Kind   LeftAloneKind `json:"-"`
	// For the declared running admin: what the inventory declares, what the
	// cluster has, and how they differ (the audit reports it as KG208).
	Declared *DesiredUser                  `json:"-"`
	Current  []cluster.SCRAMCredentialInfo `json:"-"`
	Drift    []Drift                       `json:"-"`
}

// LeftAloneKind says why a user is left alone.
type LeftAloneKind int

const (
	// LeftRunningAdmin: the user the plan runs as; never changed.
	LeftRunningAdmin LeftAloneKind = iota
	// LeftOutsideScope: not declared, outside the managed scope.
	LeftOutsideScope
	// LeftNotDeclared: not declared, inside the scope, and prune is off.
	LeftNotDeclared
	// LeftExternal: declared auth: external, its credentials managed
	// elsewhere (LeaveExternal).
	LeftExternal
)

// UserPlan is the users diff as pure data: the audit reports missing
// (create), mismatched (update) and extra (remove, left alone) users from it.
type UserPlan struct {
	Changes   []UserChange `json:"changes"`    // sorted: creates, updates, removes, repairs, each by user
	InSync    []string     `json:"in_sync"`    // declared users whose credentials match
	LeftAlone []LeftAlone  `json:"left_alone"` // extra users not removed, with why
}

// Counts returns the number of creates, updates and removals.
func (p UserPlan) Counts() (create, update, remove int) {
	for _, c := range p.Changes {
		switch c.Action {
		case ActionCreate:
			create++
		case ActionUpdate:
			update++
		case ActionRemove:
			remove++
		}
	}
	return
}

// Repairs counts the repair changes (client configs regenerated).
func (p UserPlan) Repairs() int {
	n := 0
	for _, c := range p.Changes {
		if c.Action == ActionRepair {
			n++
		}
	}
	return n
}

// NoteRepairs turns every in-sync declared user whose client configs are
// missing (missing reports which of its files are: "NAME.properties", ...)
// into a repair change, after the other changes. A user declared external is
// never in sync here (LeaveExternal keeps it out of the changes, not of
// InSync), so external names are skipped too. Pure: the caller says which
// files are missing (Store.MissingConfigs).
func (p *UserPlan) NoteRepairs(desired []DesiredUser, external []string, missing func(user string) []string) {
	mech := make(map[string]string, len(desired))
	for _, d := range desired {
		mech[d.Name] = d.Mechanism
	}
	var inSync []string
	for _, u := range p.InSync {
		files := missing(u)
		if len(files) == 0 || slices.Contains(external, u) || mech[u] == "" {
			inSync = append(inSync, u)
			continue
		}
		p.Changes = append(p.Changes, UserChange{Action: ActionRepair, User: u, Mechanism: mech[u],
			Reason: strings.Join(files, ", ") + " missing: regenerated from the stored password"})
	}
	if inSync == nil {
		inSync = []string{}
	}
	p.InSync = inSync
}

// Empty reports whether the plan changes nothing.
func (p UserPlan) Empty() bool { return len(p.Changes) == 0 }

const (
	reasonRunningAdmin = "the running admin"
	reasonNotDeclared  = "not declared"
)

// SuggestPrune words the users left alone only because prune is off as
// "not declared (use FLAG to remove)", with the caller's flag for prune.
func (p *UserPlan) SuggestPrune(flag string) {
	for i, l := range p.LeftAlone {
		if l.Kind == LeftNotDeclared {
			p.LeftAlone[i].Reason = reasonNotDeclared + " (use " + flag + " to remove)"
		}
	}
}

// PlanUsers compares the desired users with the cluster's SCRAM credentials.
// A declared user without credentials is created; one whose credential for
// its mechanism is missing or has another iteration count, or that has
// credentials of another mechanism too, is updated. Users the inventory does
// not declare are removed only with prune, only inside scope, and never the
// running admin (runningUser); the running admin's own credentials are never
// changed either. The result does not depend on map order.
func PlanUsers(desired []DesiredUser, actual map[string][]cluster.SCRAMCredentialInfo, scope acl.Scope, prune bool, runningUser string) UserPlan {
	p := UserPlan{Changes: []UserChange{}, InSync: []string{}, LeftAlone: []LeftAlone{}}
	declared := make(map[string]bool, len(desired))
	for _, d := range desired {
		declared[d.Name] = true
		cur := sortedInfos(actual[d.Name])
		if len(cur) == 0 {
			if d.Name == runningUser {
				p.LeftAlone = append(p.LeftAlone, LeftAlone{User: d.Name, Reason: "the running admin: kafkaguard never changes its own credentials", Kind: LeftRunningAdmin, Declared: &d})
				continue
			}
			p.Changes = append(p.Changes, UserChange{
				Action: ActionCreate, User: d.Name, Mechanism: d.Mechanism, Iterations: d.Iterations, Upsert: true,
				Reason: "declared in the inventory, not on the cluster", Source: d.Source,
			})
			continue
		}
		var reasons, del []string
		upsert := true
		for _, c := range cur {
			if c.Mechanism == d.Mechanism {
				if c.Iterations == d.Iterations {
					upsert = false
				} else {
					reasons = append(reasons, fmt.Sprintf("iterations %d -> %d", c.Iterations, d.Iterations))
				}
				continue
			}
			del = append(del, c.Mechanism)
		}
		if len(del) > 0 {
			if upsert && len(reasons) == 0 {
				reasons = append(reasons, fmt.Sprintf("mechanism %s -> %s", strings.Join(del, ","), d.Mechanism))
			} else {
				reasons = append(reasons, "remove "+strings.Join(del, ",")+" credential")
			}
		}
		if !upsert && len(del) == 0 {
			p.InSync = append(p.InSync, d.Name)
			continue
		}
		if d.Name == runningUser {
			p.LeftAlone = append(p.LeftAlone, LeftAlone{User: d.Name, Reason: "the running admin (" + strings.Join(reasons, ", ") + "): kafkaguard never changes its own credentials", Kind: LeftRunningAdmin,
				Declared: &d, Current: cur, Drift: driftOf(d, cur)})
			continue
		}
		p.Changes = append(p.Changes, UserChange{Action: ActionUpdate, User: d.Name, Mechanism: d.Mechanism, Iterations: d.Iterations,
			Upsert: upsert, Delete: del, Current: cur, Reason: strings.Join(reasons, ", "), Source: d.Source, Drift: driftOf(d, cur)})
	}
	extras := make([]string, 0)
	for u, infos := range actual {
		if !declared[u] && len(infos) > 0 {
			extras = append(extras, u)
		}
	}
	sort.Strings(extras)
	for _, u := range extras {
		cur := sortedInfos(actual[u])
		switch {
		case u == runningUser:
			p.LeftAlone = append(p.LeftAlone, LeftAlone{User: u, Reason: reasonRunningAdmin, Kind: LeftRunningAdmin})
		case !scope.Contains("User:" + u):
			p.LeftAlone = append(p.LeftAlone, LeftAlone{User: u, Reason: "not declared, outside the managed scope", Kind: LeftOutsideScope})
		case !prune:
			p.LeftAlone = append(p.LeftAlone, LeftAlone{User: u, Reason: reasonNotDeclared, Kind: LeftNotDeclared})
		default:
			var mechs []string
			for _, c := range cur {
				mechs = append(mechs, c.Mechanism)
			}
			p.Changes = append(p.Changes, UserChange{Action: ActionRemove, User: u, Delete: mechs, Current: cur,
				Reason: "not declared, inside the managed scope"})
		}
	}
	order := map[string]int{ActionCreate: 0, ActionUpdate: 1, ActionRemove: 2}
	sort.SliceStable(p.Changes, func(i, j int) bool {
		a, b := p.Changes[i], p.Changes[j]
		if order[a.Action] != order[b.Action] {
			return order[a.Action] < order[b.Action]
		}
		return a.User < b.User
	})
	sort.Strings(p.InSync)
	sort.SliceStable(p.LeftAlone, func(i, j int) bool { return p.LeftAlone[i].User < p.LeftAlone[j].User })
	return p
}

// ExternalReason is why a user the inventory declares with auth: external
// is left alone.
const ExternalReason = "auth: external: its credentials are managed elsewhere"

// LeaveExternal returns the plan with every change to a user in external
// (declared auth: external) turned into a LeftAlone entry: kafkaguard
// manages those principals' ACLs, never their credentials, with or without
// prune.
func (p UserPlan) LeaveExternal(external []string) UserPlan {
	if len(external) == 0 {
		return p
	}
	ext := make(map[string]bool, len(external))
	for _, u := range external {
		ext[u] = true
	}
	out := UserPlan{Changes: []UserChange{}, InSync: p.InSync, LeftAlone: []LeftAlone{}}
	for _, c := range p.Changes {
		if ext[c.User] {
			out.LeftAlone = append(out.LeftAlone, LeftAlone{User: c.User, Reason: ExternalReason, Kind: LeftExternal, Current: c.Current})
			continue
		}
		out.Changes = append(out.Changes, c)
	}
	for _, l := range p.LeftAlone {
		if ext[l.User] && l.Kind != LeftRunningAdmin {
			l.Reason, l.Kind = ExternalReason, LeftExternal
		}
		out.LeftAlone = append(out.LeftAlone, l)
	}
	sort.SliceStable(out.LeftAlone, func(i, j int) bool { return out.LeftAlone[i].User < out.LeftAlone[j].User })
	return out
}

func sortedInfos(in []cluster.SCRAMCredentialInfo) []cluster.SCRAMCredentialInfo {
	out := append([]cluster.SCRAMCredentialInfo(nil), in...)
	sort.Slice(out, func(i, j int) bool { return out[i].Mechanism < out[j].Mechanism })
	return out
}

// NoteSecrets marks the upserts that will use a new password because store
// holds none for the user.
func (p *UserPlan) NoteSecrets(store *Store) {
	for i := range p.Changes {
		c := &p.Changes[i]
		c.NewPassword = c.Upsert && c.Action == ActionUpdate && !store.Has(c.User)
	}
}

// Summary is the one-line summary of the plan.
func (p UserPlan) Summary() string {
	if p.Empty() {
		return "No user changes. The cluster's SCRAM users match the inventory."
	}
	c, u, r := p.Counts()
	if n := p.Repairs(); n > 0 {
		return fmt.Sprintf("Users: %d to create, %d to change, %d to remove, %d to repair.", c, u, r, n)
	}
	return fmt.Sprintf("Users: %d to create, %d to change, %d to remove.", c, u, r)
}

// PlanChange is the change as a plan shows it: "+ User:NAME  SCRAM-SHA-512,
// 4096 iterations", "~ User:NAME  iterations 4096 -> 8192", "- User:NAME
// SCRAM-SHA-256/4096 (not declared, inside the managed scope)".
func (c UserChange) PlanChange() plan.Change {
	pc := plan.Change{Action: c.planAction(), Item: "User:" + c.User}
	switch c.Action {
	case ActionCreate:
		pc.Detail = fmt.Sprintf("%s, %d iterations", c.Mechanism, c.Iterations)
	case ActionUpdate:
		pc.Detail = c.Reason
		if c.NewPassword {
			pc.Detail += " (new password: no local secret)"
		}
	case ActionRemove:
		pc.Detail = fmt.Sprintf("%s (%s)", mechList(c.Current), c.Reason)
	case ActionRepair:
		pc.Detail = "repair: " + c.Reason
	}
	return pc
}

func (c UserChange) planAction() plan.Action { return planAction(c.Action) }

func (r Result) planAction() plan.Action { return planAction(r.Action) }

// planAction maps a user action to the plan's.
func planAction(a string) plan.Action {
	switch a {
	case ActionCreate:
		return plan.Add
	case ActionRemove:
		return plan.Remove
	}
	return plan.Update
}

func mechList(infos []cluster.SCRAMCredentialInfo) string {
	var s []string
	for _, c := range infos {
		s = append(s, fmt.Sprintf("%s/%d", c.Mechanism, c.Iterations))
	}
	return strings.Join(s, ", ")
}

// JSON is the stable JSON form of a users plan: {"changes":[...],
// "in_sync":[...],"left_alone":[...],"summary":{"create":N,"update":N,
// "remove":N[,"repair":N]}}.
func (p UserPlan) JSON() any {
	var j jsonPlan
	j.UserPlan = p
	j.Summary.Create, j.Summary.Update, j.Summary.Remove = p.Counts()
	j.Summary.Repair = p.Repairs()
	return j
}

// jsonPlan is the stable JSON form of a users plan.
type jsonPlan struct {
	UserPlan
	Summary struct {
		Create int `json:"create"`
		Update int `json:"update"`
		Remove int `json:"remove"`
		Repair int `json:"repair,omitempty"` // only when files are missing
	} `json:"summary"`
}
