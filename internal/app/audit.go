package app

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kafkaguard/kafkaguard/internal/audit"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/scram"
)

// AuditOptions describe one cluster's live audit.
type AuditOptions struct {
	PKIDir     string // the CA directory; "" skips the certificates check
	SecretsDir string // the SCRAM secrets store; "" skips login verification
	// LoginConcurrency is how many SCRAM logins run at once;
	// scram.DefaultLoginConcurrency when zero.
	LoginConcurrency int
	WarnWithin       time.Duration
	Now              time.Time
	Log              io.Writer // progress lines; nil discards
	// Progress, when set, is told how far long steps are (the logins as
	// every SCRAM user): what, and done of total.
	Progress func(what string, done, total int)
	// Name overrides the inventory's cluster name in the report.
	Name string
	// DialOptions are passed to cluster.Dial (request logs with --verbose).
	DialOptions []cluster.DialOption
	// Commands words the command lines the fixes name (audit.Target's).
	Commands audit.Commands
}

// Audit connects to the cluster of cfg and runs every check of the audit
// against the workspace. An error means the audit could not start (bad
// properties or CA directory, unreachable cluster); a check that fails later
// is in Result.Err. When the properties name no truststore, the CA of
// o.PKIDir is the brokers' trust anchor.
func (w *Workspace) Audit(ctx context.Context, cfg *cluster.Config, o AuditOptions) (audit.Result, error) {
	logf := func(format string, args ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, format+"\n", args...)
		}
	}
	name := o.Name
	if name == "" {
		name = w.Inventory.Cluster.Name
	}
	// The CA directory is opened before connecting: without a truststore in
	// the properties, its certificate is the trust anchor for the brokers.
	var lister audit.CertLister
	if o.PKIDir != "" {
		l, roots, err := audit.OpenCA(o.PKIDir, w.Inventory.Cluster.SSLPrincipalMappingRules)
		if err != nil {
			return audit.Result{}, err
		}
		lister = l
		if c := *cfg; c.TrustIfUnset(roots) {
			cfg = &c
			logf("audit %s: the properties name no truststore: trusting the CA in %s", name, o.PKIDir)
		}
	}
	logf("audit %s: connecting to %s", name, strings.Join(cfg.Bootstrap, ","))
	s, err := w.Connect(ctx, cfg, o.DialOptions...)
	if err != nil {
		return audit.Result{}, err
	}
	defer s.Close()
	cfg = s.Client.Config()

	sources := map[string]string{}
	for _, p := range w.Inventory.Principals {
		sources[p.KafkaPrincipal()] = p.Source
	}
	in := audit.Input{
		Cluster: name, ACLs: s.Client, Desired: w.Compiled.ACLs, Scope: w.Scope, Sources: sources,
		SCRAM: audit.LiveSCRAM(s.Client), Users: w.Users, External: scram.ExternalFromInventory(w.Inventory),
		TLSCheck: true, Brokers: audit.UniqueBrokers(cfg.Bootstrap),
		BindingSources: audit.BindingSources(w.Compiled.Provenance),
		PolicyFindings: audit.ReportFindings(w.Compiled),
		Now:            o.Now, WarnWithin: o.WarnWithin,
		Commands: o.Commands, SecretsDir: o.SecretsDir,
		RunningUser: s.Client.UserName(),
		Certs:       lister,
		QuotaReader: s.Client, Quotas: s.QuotaPlanner(),
		Topics: s.Client, DeclaredTopics: w.Inventory.Topics,
	}
	if cfg.TLS == nil {
		in.NoTLS = true
	} else {
		in.TLS = audit.DialProber{Base: cfg.TLS, Timeout: cfg.Timeout}
		in.Roots = cfg.TLS.RootCAs
	}
	if o.SecretsDir != "" {
		store, err := scram.OpenStore(o.SecretsDir, false)
		if err != nil {
			return audit.Result{}, err
		}
		vo := scram.VerifyOptions{Concurrency: o.LoginConcurrency}
		if o.Progress != nil {
			vo.Progress = func(done, total int) { o.Progress("audit "+name+": logging in as SCRAM users", done, total) }
		}
		in.Logins = audit.LiveLogins(s.Client, store, vo)
	}
	res := audit.Run(ctx, in)
	logf("audit %s: %d findings in %s", name, len(res.Report.Findings), res.Report.Duration.Round(time.Millisecond))
	return res, nil
}
