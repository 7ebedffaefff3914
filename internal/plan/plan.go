// Package plan is a terraform-style plan as data: each section (SCRAM users,
// ACLs, ...) reads the cluster once and states its changes; the plan sums
// them, checks its guards, applies the sections in order and reads the
// cluster back to confirm. Nothing here prints: a plan's changes and an
// apply's per-item results are values, and the CLI's plan view renders them
// (text, json, markdown).
//
// A new section is a Planner whose Section implements the interface below,
// listed in internal/app's Planners.
package plan

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Planner reads the cluster and computes one section of a plan.
type Planner interface {
	Plan(ctx context.Context) (Section, error)
}

// Section is one kind of change in a plan.
type Section interface {
	// Name is the section's JSON key ("users", "acls").
	Name() string
	// Summary counts the section's changes.
	Summary() Summary
	// Changes are what applying the section would do, in the order it does it.
	Changes() []Change
	// Asides are what the section reports and leaves alone (drift outside
	// the managed scope, users kafkaguard never touches).
	Asides() []Aside
	// JSON is the section's documented JSON value.
	JSON() any
	// Check refuses a dangerous section (lockout) under g.
	Check(g Guards) error
	// Apply makes the changes and returns one result per change it tried.
	// When ctx ends it finishes the request in flight, returns the results
	// so far and ctx's error; the requests themselves are not cancelled, so
	// the cluster never holds a change the results do not report.
	Apply(ctx context.Context, p Progress) ([]Result, error)
	// Verify reads the cluster back and reports changes still pending.
	Verify(ctx context.Context) error
}

// Action is what a change does.
type Action int

// Actions, as terraform marks them: + add, ~ change, - remove.
const (
	Add Action = iota
	Update
	Remove
)

// Mark is the action's sign in a plan: "+", "~" or "-".
func (a Action) Mark() string {
	switch a {
	case Add:
		return "+"
	case Update:
		return "~"
	}
	return "-"
}

// Change is one planned change.
type Change struct {
	Action Action
	Item   string // what changes: "User:orders-api", a binding
	Detail string // how, for people: "SCRAM-SHA-512, 4096 iterations"; may be ""
}

// Aside is something a section reports but does not change.
type Aside struct {
	Item   string
	Reason string // why it is left alone; "" when the section's heading says it
}

// Result is the outcome of one change (kadm style: each item with its error).
type Result struct {
	Section string
	Action  Action
	Item    string
	Note    string // e.g. where a new password was written; never a secret
	Err     error
}

// Status is a result's outcome.
type Status int

// Statuses: the change was made, it was refused, or its request got no
// answer, so the cluster may or may not hold it (a re-run's plan says).
const (
	Done Status = iota
	Failed
	Unknown
)

// ErrOutcomeUnknown marks a Result whose request got no answer: the change
// may have been made. A section wraps such an error with OutcomeUnknown.
var ErrOutcomeUnknown = errors.New("outcome unknown")

// OutcomeUnknown marks err as a request that got no answer; its text is err's.
func OutcomeUnknown(err error) error { return &unknownError{err} }

type unknownError struct{ err error }

func (e *unknownError) Error() string        { return e.err.Error() }
func (e *unknownError) Unwrap() error        { return e.err }
func (e *unknownError) Is(target error) bool { return target == ErrOutcomeUnknown }

// Status is the result's outcome.
func (r Result) Status() Status {
	switch {
	case r.Err == nil:
		return Done
	case errors.Is(r.Err, ErrOutcomeUnknown):
		return Unknown
	}
	return Failed
}

// ErrClusterGone is what a section's Apply returns (wrapped, with the cause)
// when a request got no answer: the section stopped there, and Plan.Apply
// skips the sections after it.
var ErrClusterGone = errors.New("the cluster stopped answering")

// StoppedError is an apply stopped part way because the cluster stopped
// answering (ErrClusterGone): Unknown changes got no answer, Skipped were
// never sent. Err is the cause (errors.Is reaches the connection error).
type StoppedError struct {
	Section          string
	Done, Total      int
	Unknown, Skipped int
	Err              error
}

func (e *StoppedError) Error() string {
	return fmt.Sprintf("stopped in section %s after %d of %d changes: %d unknown (no answer), %d not attempted: %v",
		e.Section, e.Done, e.Total, e.Unknown, e.Skipped, e.Err)
}

func (e *StoppedError) Unwrap() error { return e.Err }

// Summary counts changes.
type Summary struct {
	Add       int `json:"add"`
	Change    int `json:"change"`
	Remove    int `json:"remove"`
	Unmanaged int `json:"unmanaged"` // drift outside scope, reported only
}

// HasChanges reports whether anything would be added, changed or removed.
func (s Summary) HasChanges() bool { return s.Add+s.Change+s.Remove > 0 }

// Total is the number of changes.
func (s Summary) Total() int { return s.Add + s.Change + s.Remove }

func (s Summary) plus(o Summary) Summary {
	return Summary{Add: s.Add + o.Add, Change: s.Change + o.Change, Remove: s.Remove + o.Remove, Unmanaged: s.Unmanaged + o.Unmanaged}
}

// Guards are the safety checks of apply.
type Guards struct {
	// MaxRemovals is the most removals a plan may hold; NoRemovalLimit (-1):
	// no limit. Other negative values are an error (ErrInvalidGuard).
	MaxRemovals int
	// AllowLockout lets a plan take away the running principal's ability to
	// manage ACLs.
	AllowLockout bool
	// SuperUsers are principals known to be in the brokers' super.users
	// (which cannot be read over the wire); they cannot be locked out.
	SuperUsers []string
}

// NoRemovalLimit is the Guards.MaxRemovals that turns the removal limit off.
const NoRemovalLimit = -1

// ErrTooManyRemovals is the removal guard's refusal; ErrInvalidGuard is a
// guard setting that means nothing (a MaxRemovals below -1).
var (
	ErrTooManyRemovals = errors.New("too many removals")
	ErrInvalidGuard    = errors.New("invalid guard")
)

// Progress receives progress reports during apply; nil reports nothing.
type Progress func(section string, done, total int)

// Plan is the sections' changes, in the order they apply.
type Plan struct {
	Sections []Section
}

// Build runs the planners in order.
func Build(ctx context.Context, planners ...Planner) (*Plan, error) {
	p := &Plan{}
	for _, pl := range planners {
		s, err := pl.Plan(ctx)
		if err != nil {
			return nil, err
		}
		p.Sections = append(p.Sections, s)
	}
	return p, nil
}

// Summary totals the sections' summaries.
func (p *Plan) Summary() Summary {
	var s Summary
	for _, sec := range p.Sections {
		s = s.plus(sec.Summary())
	}
	return s
}

// HasChanges reports whether applying the plan would change the cluster.
func (p *Plan) HasChanges() bool { return p.Summary().HasChanges() }

// SummaryLine is "Plan: N to add, M to remove." or the no-changes sentence.
func (p *Plan) SummaryLine() string {
	s := p.Summary()
	if !s.HasChanges() {
		return "No changes. The cluster matches policy."
	}
	if s.Change > 0 {
		return fmt.Sprintf("Plan: %d to add, %d to change, %d to remove.", s.Add, s.Change, s.Remove)
	}
	return fmt.Sprintf("Plan: %d to add, %d to remove.", s.Add, s.Remove)
}

// Check applies the guards: at most g.MaxRemovals removals in all, and each
// section's own checks.
func (p *Plan) Check(g Guards) error {
	if g.MaxRemovals < NoRemovalLimit {
		return fmt.Errorf("%w: at most %d removals: want 0 or more, or -1 for no limit", ErrInvalidGuard, g.MaxRemovals)
	}
	if s := p.Summary(); g.MaxRemovals != NoRemovalLimit && s.Remove > g.MaxRemovals {
		return &TooManyRemovalsError{Removals: s.Remove, Max: g.MaxRemovals}
	}
	for _, s := range p.Sections {
		if err := s.Check(g); err != nil {
			return err
		}
	}
	return nil
}

// TooManyRemovalsError is a plan that removes more than Guards.MaxRemovals.
type TooManyRemovalsError struct{ Removals, Max int }

func (e *TooManyRemovalsError) Error() string {
	return fmt.Sprintf("too many removals: the plan removes %d, more than %d", e.Removals, e.Max)
}

func (e *TooManyRemovalsError) Is(target error) bool { return target == ErrTooManyRemovals }

// Outcome is what Apply did: every result, in order.
type Outcome struct {
	Results []Result
	Elapsed time.Duration
}

// Failed counts the failed results (refused; not those of unknown outcome).
func (o Outcome) Failed() int { return o.count(Failed) }

// Unknown counts the results whose request got no answer.
func (o Outcome) Unknown() int { return o.count(Unknown) }

// Done counts the changes made.
func (o Outcome) Done() int { return o.count(Done) }

func (o Outcome) count(st Status) int {
	n := 0
	for _, r := range o.Results {
		if r.Status() == st {
			n++
		}
	}
	return n
}

// Apply applies the sections in order (a failing section does not stop the
// next one: every change that can be made is made, and a re-run converges),
// then reads the cluster back to confirm it matches. When ctx ends (Ctrl-C),
// it stops after the request in flight and returns the results so far with
// ctx's error: a re-run converges. When a section stops because the cluster
// stopped answering (ErrClusterGone), the sections after it are skipped and
// the error is a *StoppedError: within about one request timeout, not one
// per remaining request.
func (p *Plan) Apply(ctx context.Context, prog Progress) (Outcome, error) {
	start := time.Now()
	var out Outcome
	var errs []string
	for _, s := range p.Sections {
		rs, err := s.Apply(ctx, prog)
		out.Results = append(out.Results, rs...)
		if ctx.Err() != nil {
			out.Elapsed = time.Since(start)
			return out, ctx.Err()
		}
		if errors.Is(err, ErrClusterGone) {
			out.Elapsed = time.Since(start)
			total := p.Summary().Total()
			return out, &StoppedError{Section: s.Name(), Done: out.Done(), Total: total,
				Unknown: out.Unknown(), Skipped: total - len(out.Results), Err: err}
		}
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", s.Name(), err))
		}
	}
	out.Elapsed = time.Since(start)
	if failed := out.Failed() + out.Unknown(); failed > 0 || len(errs) > 0 {
		msg := fmt.Sprintf("%d of %d changes failed", failed, p.Summary().Total())
		if len(errs) > 0 {
			msg += " (" + strings.Join(errs, "; ") + ")"
		}
		return out, errors.New(msg)
	}
	for _, s := range p.Sections {
		if err := s.Verify(ctx); err != nil {
			return out, fmt.Errorf("%s: read back after apply: %w", s.Name(), err)
		}
	}
	out.Elapsed = time.Since(start)
	return out, nil
}
