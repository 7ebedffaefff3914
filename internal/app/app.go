// Package app is kafkaguard's application layer: the pipeline from inventory
// files to a cluster, wired once. Load reads the inventory, checks its mTLS
// DNs, compiles it with the policies (under their own deadline) and derives
// the managed scope and the SCRAM users; Connect dials the cluster with the
// certificate-principal mapping installed; Plan, Apply and Audit are
// functions of the connected Session, and Import turns a cluster or another
// tool's files into an inventory. Every command and the demo call these;
// none assembles the pipeline itself.
package app

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/gctune"
	"github.com/kafkaguard/kafkaguard/internal/scram"
	"github.com/kafkaguard/kafkaguard/inventory"
	"github.com/kafkaguard/kafkaguard/pki"
	"github.com/kafkaguard/kafkaguard/policies"
)

// Options say what to load.
type Options struct {
	Files      []string // inventory files or directories
	PolicyDirs []string // the user's own policies
	// PolicyTimeout bounds the policy evaluation; 0 = policies.DefaultTimeout.
	// It is the policy's own deadline, not the cluster's.
	PolicyTimeout time.Duration
	// Capabilities is an OPA capabilities file the policies may use; "" =
	// the sandbox (no network or runtime builtins).
	Capabilities string
	// NoPolicy skips the compile: the users commands need the inventory, its
	// DN check, scope and users, but no ACLs.
	NoPolicy bool
	// Skip is what the command does not print, so the compile need not
	// work it out (provenance, warnings); the zero value skips nothing.
	Skip policies.Skip
	// Limits bound the inventory (zero fields: the defaults).
	Limits inventory.Limits
	// Engines, when set, keeps the prepared policies for the next Load
	// with the same policies (audit --clusters).
	Engines *Engines
}

// Engines keeps prepared policy engines by their options, so several
// inventories compiled with the same policies prepare the Rego once. The
// zero value is ready; it is not for concurrent use.
type Engines struct{ m map[string]*policies.Engine }

// Load returns the engine of opts, prepared on first use.
func (e *Engines) Load(ctx context.Context, opts policies.Options) (*policies.Engine, error) {
	key := fmt.Sprint(opts.Timeout, "\x00", opts.Capabilities, "\x00", strings.Join(opts.PolicyDirs, "\x00"))
	if eng, ok := e.m[key]; ok {
		return eng, nil
	}
	eng, err := policies.Load(ctx, opts)
	if err != nil {
		return nil, err
	}
	if e.m == nil {
		e.m = map[string]*policies.Engine{}
	}
	e.m[key] = eng
	return eng, nil
}

// Workspace is one loaded inventory and what the policies make of it.
type Workspace struct {
	Inventory *inventory.Inventory
	Compiled  *policies.Result // nil with Options.NoPolicy
	Scope     acl.Scope        // the managed principals
	Users     []scram.DesiredUser
}

// ErrNoInventory is returned by Load when no inventory file is given.
var ErrNoInventory = inventory.ErrNoInventory

// Load reads the inventory, checks its mtls DNs against the cluster's mapping
// rules, derives the managed scope and SCRAM users, and compiles it with the
// policies, once. Bad input fails here, before any connection.
func Load(ctx context.Context, o Options) (*Workspace, error) {
	if len(o.Files) == 0 {
		return nil, ErrNoInventory
	}
	// The policies are parsed and prepared on another core while the
	// inventory is read: neither needs the other. Their errors still come
	// after the inventory's, as when one followed the other.
	var eng *pendingEngine
	if !o.NoPolicy {
		eng = startEngine(ctx, o)
		defer eng.abandon()
	}
	// A process that runs one command lets the heap grow with the
	// inventory (gctune; a no-op elsewhere), as far as the size limit.
	gctune.ForInput(min(inventory.Size(o.Files...), o.Limits.WithDefaults().MaxBytes))
	inv, err := inventory.LoadWith(o.Limits, o.Files...)
	if err != nil {
		return nil, err
	}
	// The YAML node tree is garbage now, and the largest thing the heap held.
	gctune.Collect()
	if err := policies.CheckDNs(inv); err != nil {
		return nil, err
	}
	w := &Workspace{Inventory: inv}
	if w.Scope, err = inv.ManagedScope(); err != nil {
		return nil, err
	}
	if w.Users, err = scram.DesiredFromInventory(inv); err != nil {
		return nil, err
	}
	if o.NoPolicy {
		return w, nil
	}
	if w.Compiled, err = eng.compile(ctx, inv, o.Skip); err != nil {
		return nil, err
	}
	return w, nil
}

// pendingEngine is the policy engine being loaded (policies.Load, or
// Options.Engines) on its own goroutine, under the policy deadline.
type pendingEngine struct {
	timeout time.Duration
	cancel  context.CancelFunc
	done    chan struct{}
	// Set before done is closed.
	engine   *policies.Engine
	err      error
	took     time.Duration // how long the load took, out of timeout
	timedOut bool          // the load's deadline passed
}

// startEngine starts loading the policies of o within o.PolicyTimeout.
func startEngine(ctx context.Context, o Options) *pendingEngine {
	timeout := o.PolicyTimeout
	if timeout <= 0 {
		timeout = policies.DefaultTimeout
	}
	lctx, cancel := context.WithTimeout(ctx, timeout)
	p := &pendingEngine{timeout: timeout, cancel: cancel, done: make(chan struct{})}
	popts := policies.Options{PolicyDirs: o.PolicyDirs, Timeout: timeout, Capabilities: o.Capabilities}
	go func() {
		defer close(p.done)
		start := time.Now()
		defer func() {
			if r := recover(); r != nil {
				p.engine, p.err = nil, fmt.Errorf("internal error: loading the policies panicked: %v", r)
			}
			p.took = time.Since(start)
			p.timedOut = errors.Is(lctx.Err(), context.DeadlineExceeded)
		}()
		if o.Engines != nil {
			p.engine, p.err = o.Engines.Load(lctx, popts)
		} else {
			p.engine, p.err = policies.Load(lctx, popts)
		}
	}()
	return p
}

// abandon stops a load whose engine is not needed (the inventory failed)
// and waits for it, so that Options.Engines is not used after Load returns.
func (p *pendingEngine) abandon() {
	p.cancel()
	<-p.done
}

// compile runs the policies over inv once they are loaded; loading and
// evaluating together get the policy timeout (the time spent waiting for
// the inventory does not count), and a policy that does not finish in time
// is a *policies.TimeoutError of the whole policy deadline.
func (p *pendingEngine) compile(ctx context.Context, inv *inventory.Inventory, skip policies.Skip) (*policies.Result, error) {
	<-p.done
	p.cancel()
	if p.err != nil {
		if p.timedOut && ctx.Err() == nil {
			return nil, &policies.TimeoutError{Timeout: p.timeout}
		}
		return nil, p.err
	}
	// A run cancelled while the policies loaded evaluates nothing: a load
	// that finished before it noticed the cancellation is not a reason to
	// start (OPA notices a cancelled context only while it evaluates).
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, p.timeout-p.took)
	defer cancel()
	res, err := p.engine.CompileSkipping(pctx, inv, skip)
	if err != nil && errors.Is(pctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
		return nil, &policies.TimeoutError{Timeout: p.timeout}
	}
	return res, err
}

// Session is a Workspace connected to its cluster.
type Session struct {
	*Workspace
	Client *cluster.Client
}

// Connect dials the cluster of cfg with the inventory's
// ssl.principal.mapping.rules installed, so an mTLS admin knows the principal
// the brokers see. cfg is not changed. The caller closes the session.
func (w *Workspace) Connect(ctx context.Context, cfg *cluster.Config, opts ...cluster.DialOption) (*Session, error) {
	c := *cfg
	rules := w.Inventory.Cluster.SSLPrincipalMappingRules
	c.CertPrincipal = func(cert *x509.Certificate) (string, error) { return pki.PrincipalFromCert(cert, rules) }
	cl, err := cluster.Dial(ctx, &c, opts...)
	if err != nil {
		return nil, err
	}
	return &Session{Workspace: w, Client: cl}, nil
}

// Close closes the connection.
func (s *Session) Close() { s.Client.Close() }
