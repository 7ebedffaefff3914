// Package apply plans and applies changes to a cluster, terraform style: each
// section (SCRAM users, ACLs, ...) reads the cluster once and computes its
// changes as data; the plan renders them, checks its guards, applies the
// sections in order and reads the cluster back to confirm.
//
// Adding a section means writing a Planner whose Section implements the
// interface below, and listing it in the CLI's planners (internal/cli/plan.go).
package apply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Planner reads the cluster and computes one section of a plan.
type Planner interface {
	Plan(ctx context.Context) (Section, error)
}

// Section is one kind of change in a plan.
type Section interface {
	// Name is the section's JSON key and heading ("users", "acls").
	Name() string
	// Summary counts the section's changes.
	Summary() Summary
	// WriteText renders the section's changes and drift for people.
	WriteText(w io.Writer, st Style)
	// JSON is the section's documented JSON value.
	JSON() any
	// Check refuses a dangerous section (lockout) under g.
	Check(g Guards) error
	// Apply makes the changes, printing one line per change to out and
	// progress to p. It returns how many changes failed.
	Apply(ctx context.Context, out io.Writer, st Style, p Progress) (failed int, err error)
	// Verify reads the cluster back and reports changes still pending.
	Verify(ctx context.Context) error
}

// Summary counts changes.
type Summary struct {
	Add       int `json:"add"`
	Change    int `json:"change"`
	Remove    int `json:"remove"`
	Unmanaged int `json:"unmanaged"` // drift outside scope, reported only
}

// HasChanges reports whether anything would be added, changed or removed.
func (s Summary) HasChanges() bool { return s.Add+s.Change+s.Remove > 0 }

func (s Summary) plus(o Summary) Summary {
	return Summary{Add: s.Add + o.Add, Change: s.Change + o.Change, Remove: s.Remove + o.Remove, Unmanaged: s.Unmanaged + o.Unmanaged}
}

// Guards are the safety checks of apply.
type Guards struct {
	// MaxRemovals is the most removals a plan may hold; -1: no limit. Other
	// negative values are an error (ErrInvalidGuard), not "no limit".
	MaxRemovals int
	// AllowLockout lets a plan take away the running principal's ability to
	// manage ACLs.
	AllowLockout bool
	// SuperUsers are principals known to be in the brokers' super.users
	// (which cannot be read over the wire); they cannot be locked out.
	SuperUsers []string
}

// Style colours text output.
type Style struct{ Color bool }

func (st Style) paint(code, s string) string {
	if !st.Color {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// Add colours an addition green.
func (st Style) Add(s string) string { return st.paint("32", s) }

// Remove colours a removal red.
func (st Style) Remove(s string) string { return st.paint("31", s) }

// Drift colours drift yellow.
func (st Style) Drift(s string) string { return st.paint("33", s) }

// Bold emphasises headings.
func (st Style) Bold(s string) string { return st.paint("1", s) }

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

// WriteText renders every section, then the summary line.
func (p *Plan) WriteText(w io.Writer, st Style) {
	for _, s := range p.Sections {
		s.WriteText(w, st)
	}
	fmt.Fprintln(w, st.Bold(p.SummaryLine()))
}

// FormatVersion is the version of the plan's JSON document.
const FormatVersion = 1

// WriteJSON writes the documented JSON document (docs/cluster.md).
func (p *Plan) WriteJSON(w io.Writer) error {
	doc := map[string]any{
		"format_version": FormatVersion,
		"changes":        p.HasChanges(),
		"summary":        p.Summary(),
	}
	for _, s := range p.Sections {
		doc[s.Name()] = s.JSON()
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// ErrTooManyRemovals and ErrLockout are the guards' refusals; ErrInvalidGuard
// is a guard setting that means nothing (a MaxRemovals below -1).
var (
	ErrTooManyRemovals = errors.New("too many removals")
	ErrLockout         = errors.New("lockout")
	ErrInvalidGuard    = errors.New("invalid guard")
)

// NoRemovalLimit is the Guards.MaxRemovals that turns the removal limit off.
const NoRemovalLimit = -1

// Check applies the guards: at most g.MaxRemovals removals in all, and each
// section's own checks.
func (p *Plan) Check(g Guards) error {
	if g.MaxRemovals < NoRemovalLimit {
		return fmt.Errorf("%w: --max-removals %d: want 0 or more, or -1 for no limit", ErrInvalidGuard, g.MaxRemovals)
	}
	if s := p.Summary(); g.MaxRemovals != NoRemovalLimit && s.Remove > g.MaxRemovals {
		return fmt.Errorf("%w: the plan removes %d, more than --max-removals %d", ErrTooManyRemovals, s.Remove, g.MaxRemovals)
	}
	for _, s := range p.Sections {
		if err := s.Check(g); err != nil {
			return err
		}
	}
	return nil
}

// Result is what Apply did.
type Result struct {
	Applied int
	Failed  int
	Elapsed time.Duration
}

// Apply applies the sections in order (a failing section does not stop the
// next one: every change that can be made is made, and a re-run converges),
// then reads the cluster back to confirm it matches.
func (p *Plan) Apply(ctx context.Context, out io.Writer, st Style, prog Progress) (Result, error) {
	start := time.Now()
	var res Result
	var errs []string
	for _, s := range p.Sections {
		sum := s.Summary()
		failed, err := s.Apply(ctx, out, st, prog)
		res.Failed += failed
		res.Applied += sum.Add + sum.Change + sum.Remove - failed
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", s.Name(), err))
		}
	}
	res.Elapsed = time.Since(start)
	if res.Failed > 0 || len(errs) > 0 {
		msg := fmt.Sprintf("%d of %d changes failed", res.Failed, res.Applied+res.Failed)
		if len(errs) > 0 {
			msg += " (" + strings.Join(errs, "; ") + ")"
		}
		return res, errors.New(msg)
	}
	for _, s := range p.Sections {
		if err := s.Verify(ctx); err != nil {
			return res, fmt.Errorf("%s: read back after apply: %w", s.Name(), err)
		}
	}
	res.Elapsed = time.Since(start)
	return res, nil
}
