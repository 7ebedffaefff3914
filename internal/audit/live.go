package audit

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/inventory"
	"github.com/kafkaguard/kafkaguard/internal/scram"
)

// Options describe one cluster's live audit as the command line gives it.
type Options struct {
	Inventory     []string // inventory files or directories (-f)
	Bootstrap     string   // --bootstrap-server; "" = from the properties file
	CommandConfig string   // the admin's client properties
	// Config, when set, is used instead of loading Bootstrap/CommandConfig.
	Config     *cluster.Config
	PKIDir     string // the CA directory; "" skips the certificates check
	SecretsDir string // the SCRAM secrets store; "" skips login verification
	PolicyDirs []string
	WarnWithin time.Duration
	Now        time.Time
	Log        io.Writer // progress and request logs; nil discards
	// Progress, when set, is told how far long steps are (the logins as
	// every SCRAM user): what, and done of total.
	Progress func(what string, done, total int)
	// Name overrides the inventory's cluster name in the report.
	Name string
	// DialOptions are passed to cluster.Dial (request logs with --verbose).
	DialOptions []cluster.DialOption
	// ApplyHint overrides the command the fixes name (built from the
	// inventory and properties paths when empty).
	ApplyHint string
	// Capabilities is an OPA capabilities file for the policies; "" = the sandbox.
	Capabilities string
}

// Live loads the inventory, compiles the policy, connects to the cluster and
// runs every check. An error means the audit could not start (bad inventory,
// policy or properties, unreachable cluster); a check that fails later is in
// Result.Err.
func Live(ctx context.Context, o Options) (Result, error) {
	logf := func(format string, args ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, format+"\n", args...)
		}
	}
	inv, err := inventory.Load(o.Inventory...)
	if err != nil {
		return Result{}, err
	}
	name := o.Name
	if name == "" {
		name = inv.Cluster.Name
	}
	desired, bsrc, policyFs, err := compilePolicy(ctx, inv, o.PolicyDirs, o.Capabilities)
	if err != nil {
		return Result{}, err
	}
	scope, err := inv.ManagedScope()
	if err != nil {
		return Result{}, err
	}
	users, err := scram.DesiredFromInventory(inv)
	if err != nil {
		return Result{}, err
	}
	cfg := o.Config
	if cfg == nil {
		cfg, err = cluster.LoadConfig(o.Bootstrap, o.CommandConfig)
		if err != nil {
			return Result{}, err
		}
	}
	// The CA directory is opened before connecting: without a truststore in
	// the properties, its certificate is the trust anchor for the brokers.
	var lister CertLister
	if o.PKIDir != "" {
		l, roots, err := openCA(o.PKIDir, inv)
		if err != nil {
			return Result{}, err
		}
		lister = l
		if c := *cfg; c.TrustIfUnset(roots) {
			cfg = &c
			logf("audit %s: the properties name no truststore: trusting the CA in %s", name, o.PKIDir)
		}
	}
	logf("audit %s: connecting to %s", name, strings.Join(cfg.Bootstrap, ","))
	client, err := cluster.Dial(ctx, cfg, o.DialOptions...)
	if err != nil {
		return Result{}, err
	}
	defer client.Close()

	sources := map[string]string{}
	for _, p := range inv.Principals {
		sources[p.KafkaPrincipal()] = p.Source
	}
	in := Input{
		Cluster: name, ACLs: client, Desired: desired, Scope: scope, Sources: sources,
		SCRAM: liveSCRAM{client}, Users: users,
		TLSCheck: true, Brokers: uniqueBrokers(cfg.Bootstrap),
		BindingSources: bsrc, PolicyFindings: policyFs,
		Now: o.Now, WarnWithin: o.WarnWithin,
		ApplyHint: applyHint(o), SecretsDir: o.SecretsDir,
		RunningUser: client.UserName(),
		Certs:       lister,
	}
	if cfg.TLS == nil {
		in.NoTLS = true
	} else {
		in.TLS = DialProber{Base: cfg.TLS, Timeout: cfg.Timeout}
		in.Roots = cfg.TLS.RootCAs
	}
	if o.SecretsDir != "" {
		store, err := scram.OpenStore(o.SecretsDir, false)
		if err != nil {
			return Result{}, err
		}
		l := liveLogins{client: client, cfg: cfg, store: store}
		if o.Progress != nil {
			l.progress = func(done, total int) { o.Progress("audit "+name+": logging in as SCRAM users", done, total) }
		}
		in.Logins = l
	}
	res := Run(ctx, in)
	logf("audit %s: %d findings in %s", name, len(res.Report.Findings), res.Report.Duration.Round(time.Millisecond))
	return res, nil
}

func applyHint(o Options) string {
	if o.ApplyHint != "" {
		return o.ApplyHint
	}
	var b strings.Builder
	b.WriteString("kafkaguard apply")
	for _, f := range o.Inventory {
		b.WriteString(" -f " + f)
	}
	if o.CommandConfig != "" {
		b.WriteString(" --command-config " + o.CommandConfig)
	}
	return b.String()
}

// liveSCRAM adapts cluster.Client to SCRAMDescriber.
type liveSCRAM struct{ c *cluster.Client }

func (l liveSCRAM) DescribeSCRAM(ctx context.Context) ([]SCRAMCredential, error) {
	m, err := l.c.DescribeSCRAM(ctx)
	if err != nil {
		return nil, err
	}
	var out []SCRAMCredential
	for u, infos := range m {
		for _, i := range infos {
			out = append(out, SCRAMCredential{User: u, Mechanism: i.Mechanism, Iterations: i.Iterations})
		}
	}
	return out, nil
}

// liveLogins adapts scram.VerifyUsers to LoginVerifier.
type liveLogins struct {
	client *cluster.Client
	cfg    *cluster.Config
	store  *scram.Store
	// progress is called after each login (scram.VerifyUsersProgress).
	progress func(done, total int)
}

func (l liveLogins) VerifyLogins(ctx context.Context, users []scram.DesiredUser) ([]LoginResult, error) {
	running := l.client.UserName()
	rs, err := scram.VerifyUsersProgress(ctx, l.client, cluster.LoginSCRAM, l.cfg, users, l.store, running, l.progress)
	if err != nil {
		return nil, err
	}
	var out []LoginResult
	for _, r := range rs {
		lr := LoginResult{User: r.User, Mechanism: r.Mechanism, Detail: r.Detail}
		switch r.Status {
		case scram.StatusOK:
			lr.Status = LoginOK
		case scram.StatusWrongPassword:
			lr.Status = LoginWrongPassword
		case scram.StatusMissing:
			lr.Status = LoginMissing // already KG201/KG203 from the describe
		case scram.StatusNoSecret:
			lr.Status = LoginNoSecret
		default:
			lr.Status = LoginError
		}
		out = append(out, lr)
	}
	return out, nil
}
