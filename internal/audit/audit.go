// Package audit compares a live Kafka cluster with what kafkaguard declares
// and reports findings: ACL drift, SCRAM drift, certificate expiry and
// revocation, broker TLS, and guardrails evaluated on the live ACLs.
//
// Every input comes through a small interface (ACLReader, SCRAMDescriber,
// LoginVerifier, CertLister, TLSProber), so each check is a pure function of
// its inputs and is unit-tested with fakes. A nil interface skips its check;
// Report.Checks lists the checks that ran.
package audit

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"github.com/kafkaguard/kafkaguard/internal/quotas"
	"github.com/kafkaguard/kafkaguard/inventory"
	"strings"
	"time"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/report"
	"github.com/kafkaguard/kafkaguard/internal/scram"
)

// Check names, as they appear in reports, junit testcases and metrics.
const (
	CheckACLDrift     = "acl-drift"
	CheckSCRAMDrift   = "scram-drift"
	CheckCertificates = "certificates"
	CheckTLS          = "broker-tls"
	CheckGuardrails   = "guardrails"
)

// DefaultWarnWithin is how close to expiry a certificate starts to warn.
const DefaultWarnWithin = 30 * 24 * time.Hour

// ACLReader reads every ACL binding on the cluster.
type ACLReader interface {
	DescribeACLs(ctx context.Context) (acl.Set, error)
}

// Commands are the kafkaguard command lines the fixes name for one cluster:
// Line("apply") is "kafkaguard apply" and Args.
type Commands struct {
	Args string // what names the cluster: " -f inventory.yaml --command-config admin.properties"
}

// Line is the command line of verb ("apply", "users rotate alice").
func (c Commands) Line(verb string) string { return "kafkaguard " + verb + c.Args }

// SCRAMCredential is one (user, mechanism) credential the cluster stores.
type SCRAMCredential struct {
	User       string
	Mechanism  string // SCRAM-SHA-256 | SCRAM-SHA-512
	Iterations int
}

// SCRAMDescriber lists the cluster's SCRAM credentials (DescribeUserScramCredentials).
type SCRAMDescriber interface {
	DescribeSCRAM(ctx context.Context) ([]SCRAMCredential, error)
}

// LoginStatus is the outcome of logging in as a user with the stored
// password: scram's, as 'users verify' reports it.
type LoginStatus = scram.LoginStatus

// The login statuses.
const (
	LoginOK            = scram.StatusOK
	LoginWrongPassword = scram.StatusWrongPassword
	LoginMissing       = scram.StatusMissing
	LoginNoSecret      = scram.StatusNoSecret
	LoginError         = scram.StatusError
)

// LoginResult is one user's login check (scram.VerifyResult). Detail never
// holds a secret.
type LoginResult = scram.VerifyResult

// LoginVerifier logs in as each user with the password in the secrets store.
type LoginVerifier interface {
	VerifyLogins(ctx context.Context, users []scram.DesiredUser) ([]LoginResult, error)
}

// Cert is one certificate the CA issued.
type Cert struct {
	Serial    string
	Name      string // the name it was issued under (pki issue --name)
	CADir     string // the CA directory it was issued from
	Kind      string // "broker", "client", ...
	Principal string // the Kafka principal it maps to ("User:x"), "" for brokers
	Subject   string
	NotAfter  time.Time
	Revoked   bool
	// Superseded is set when the certificate was renewed: its expiry and
	// revocation are then not reported.
	Superseded bool
}

// CertLister lists every certificate the CA issued.
type CertLister interface {
	ListCerts(ctx context.Context) ([]Cert, error)
}

// TLSProbe is what a TLS handshake with a broker showed.
type TLSProbe struct {
	Addr    string              // host:port dialled
	Version uint16              // tls.VersionTLS12, ...
	Chain   []*x509.Certificate // as the broker sent it, leaf first
}

// TLSProber performs a TLS handshake with a broker without verifying it, so
// the audit can report each problem separately.
type TLSProber interface {
	ProbeTLS(ctx context.Context, addr string) (TLSProbe, error)
}

// Input is everything one cluster's audit needs. Zero-valued parts skip
// their check (Desired and ACLs are needed for acl-drift and guardrails).
type Input struct {
	Cluster string

	ACLs    ACLReader
	Desired acl.Set   // the compiled policy
	Scope   acl.Scope // managed principals (ACLs and SCRAM users)
	// Sources maps a principal ("User:x") to where the inventory declares it.
	Sources map[string]string

	SCRAM SCRAMDescriber
	Users []scram.DesiredUser
	// External are the users declared auth: external: their credentials
	// are managed elsewhere, so they are neither drift nor extra.
	External []string
	Logins   LoginVerifier

	Certs CertLister

	TLS      TLSProber
	Brokers  []string       // bootstrap host:port to probe
	Roots    *x509.CertPool // the CA brokers must chain to; nil = system roots
	NoTLS    bool           // the connection is PLAINTEXT/SASL_PLAINTEXT: report it, probe nothing
	TLSCheck bool           // run broker-tls (with TLS or NoTLS)

	// BindingSources names where each desired binding comes from ("file:line"),
	// used as the location of a missing binding (KG101).
	BindingSources map[acl.Binding]string

	// Quotas compares the cluster's client quotas with the inventory's
	// (quota-drift) when QuotaReader is set.
	QuotaReader QuotaReader
	Quotas      quotas.Planner

	// Topics lists the cluster's topics for topic-governance (with
	// DeclaredTopics, the inventory's); nil skips the check.
	Topics         TopicLister
	DeclaredTopics []inventory.Topic

	// PolicyFindings are the deny and warn findings of the Rego policy on the
	// inventory (policies.Compile); reported under guardrails, with KG504
	// (deny) or KG505 (warn) when they carry no ID of their own.
	PolicyFindings []report.Finding

	Now        time.Time     // zero: time.Now()
	WarnWithin time.Duration // zero: DefaultWarnWithin
	// Commands words the kafkaguard command lines the fixes name for this
	// cluster ("kafkaguard apply -f inventory.yaml --command-config
	// admin.properties").
	Commands Commands
	// SecretsDir is named in the fixes of SCRAM findings (--secrets-dir).
	SecretsDir string
	// RunningUser is the SCRAM user the audit connects as ("" when it is not
	// a SCRAM user). kafkaguard never changes its credentials (users apply
	// leaves it alone), so its drift is KG208 with a fix that works.
	RunningUser string
}

// Result is one cluster's audit: the report plus the figures for metrics.
type Result struct {
	Report   report.Report
	Bindings map[string]int // by state: in_sync, missing, extra, unmanaged
	Users    map[string]int // SCRAM users by state: in_sync, missing, extra, mismatch, login_failed
	Certs    []CertExpiry
	Brokers  []CertExpiry
	Err      error // the checks that could not run, joined; nil when all ran (also in Report.Errors)
}

// CertExpiry is a certificate's time left, negative when expired.
type CertExpiry struct {
	Name      string // serial for CA certificates, host:port for brokers
	Kind      string
	Principal string
	Seconds   float64
}

// Binding states for Result.Bindings.
const (
	StateInSync    = "in_sync"
	StateMissing   = "missing"
	StateExtra     = "extra"
	StateUnmanaged = "unmanaged"
)

// Run audits one cluster. It runs every check it has inputs for, even when
// one of them fails; Result.Err joins the failures (the CLI exits 1 then,
// after printing what it found).
func Run(ctx context.Context, in Input) Result {
	start := time.Now()
	now := in.Now
	if now.IsZero() {
		now = start
	}
	if in.WarnWithin == 0 {
		in.WarnWithin = DefaultWarnWithin
	}
	if in.Commands.Args == "" {
		in.Commands.Args = " -f INVENTORY"
	}
	res := Result{
		Report:   report.Report{Tool: "kafkaguard audit", Cluster: in.Cluster, Started: now, Rules: RuleTitles()},
		Bindings: map[string]int{},
		Users:    map[string]int{},
	}
	var errs []error
	add := func(fs ...report.Finding) { res.Report.Findings = append(res.Report.Findings, fs...) }
	ran := func(c string) { res.Report.Checks = append(res.Report.Checks, c) }
	// fail records that check c could not run (or not completely): it is
	// reported as errored, never as passed.
	fail := func(c string, err error) {
		errs = append(errs, fmt.Errorf("%s: %w", c, err))
		res.Report.Errors = append(res.Report.Errors, report.CheckError{Check: c, Error: oneLine(err.Error())})
	}
	// read records that check c ran on what it read from the cluster: when
	// the read (what) failed, c is failed and there is nothing to check.
	read := func(c, what string, err error) bool {
		ran(c)
		if err != nil {
			fail(c, fmt.Errorf("%s: %w", what, err))
			return false
		}
		return true
	}

	var live acl.Set
	liveOK := false
	if in.ACLs != nil {
		s, err := in.ACLs.DescribeACLs(ctx)
		if read(CheckACLDrift, "describe acls", err) {
			live, liveOK = s, true
		}
	}
	if liveOK {
		fs, counts := CheckACLs(in.Desired, live, in.Scope, in.locate, in.Commands.Line("apply"))
		add(fs...)
		res.Bindings = counts
	}

	// Principals with a SCRAM user on the cluster (the inventory's when the
	// cluster's could not be read), for KG303.
	var scramPrincipals []string
	for _, u := range in.Users {
		scramPrincipals = append(scramPrincipals, u.Principal())
	}
	if in.SCRAM != nil {
		creds, err := in.SCRAM.DescribeSCRAM(ctx)
		if read(CheckSCRAMDrift, "describe scram users", err) {
			scramPrincipals = scramPrincipals[:0]
			for _, c := range creds {
				scramPrincipals = append(scramPrincipals, "User:"+c.User)
			}
			var logins []LoginResult
			if in.Logins != nil {
				logins, err = in.Logins.VerifyLogins(ctx, in.Users)
				if err != nil {
					fail(CheckSCRAMDrift, fmt.Errorf("verify logins: %w", err))
				}
			}
			cmds := in.Commands
			if in.SecretsDir != "" {
				cmds.Args += " --secrets-dir " + in.SecretsDir
			}
			fs, counts := CheckSCRAM(in.Users, creds, logins, in.Scope, cmds, in.RunningUser, in.External...)
			add(fs...)
			res.Users = counts
		}
	}

	if in.Certs != nil {
		certs, err := in.Certs.ListCerts(ctx)
		if read(CheckCertificates, "list certificates", err) {
			fs, exp := CheckCerts(certs, live, scramPrincipals, now, in.WarnWithin)
			add(fs...)
			res.Certs = exp
		}
	}

	if in.TLSCheck {
		ran(CheckTLS)
		switch {
		case in.NoTLS:
			add(plaintextFindings(in.Brokers)...)
		case in.TLS != nil:
			for _, addr := range UniqueBrokers(in.Brokers) {
				p, err := in.TLS.ProbeTLS(ctx, addr)
				fs, exp := CheckBrokerTLS(addr, p, err, in.Roots, now, in.WarnWithin)
				add(fs...)
				if exp != nil {
					res.Brokers = append(res.Brokers, *exp)
				}
			}
		default:
			fail(CheckTLS, errors.New("no TLS prober"))
		}
	}

	// quota-drift runs when the quotas can be read, or the inventory
	// declares some (then not reading them is a failure); an inventory
	// without quotas on a cluster that hides them has nothing to compare.
	if in.QuotaReader != nil {
		qs, err := in.QuotaReader.DescribeClientQuotas(ctx)
		switch {
		case err != nil && in.Quotas.Manage:
			ran(CheckQuotaDrift)
			fail(CheckQuotaDrift, err)
		case err == nil:
			ran(CheckQuotaDrift)
			add(CheckQuotas(in.Quotas, qs, in.Commands.Line("apply"))...)
		}
	}

	if in.Topics != nil {
		ran(CheckTopics)
		ts, err := in.Topics.ListTopics(ctx)
		var missing []string
		if err == nil {
			missing, err = in.Topics.MissingTopics(ctx, LiteralTopics(in.Desired, live))
		}
		if err != nil {
			fail(CheckTopics, err)
		} else {
			add(CheckTopicGovernance(ts, missing, in.Desired, live, in.DeclaredTopics, in.BindingSources)...)
		}
	}

	if in.ACLs != nil || len(in.PolicyFindings) > 0 {
		ran(CheckGuardrails)
		if liveOK {
			add(CheckGuardrailsOn(live, in.Commands.Line("apply"))...)
		} else if in.ACLs != nil {
			res.Report.Errors = append(res.Report.Errors, report.CheckError{Check: CheckGuardrails,
				Error: "the live ACLs could not be read (see acl-drift), so they were not checked"})
		}
		add(policyFindings(in.PolicyFindings)...)
	}

	res.Report.Sort()
	res.Report.Duration = time.Since(start)
	res.Err = errors.Join(errs...)
	return res
}

// UniqueBrokers is brokers without repeats, in order: a bootstrap list that
// names a broker twice probes it once (and writes one metric series).
func UniqueBrokers(brokers []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, b := range brokers {
		b = strings.TrimSpace(b)
		if b == "" || seen[b] {
			continue
		}
		seen[b] = true
		out = append(out, b)
	}
	return out
}

// locate is where a binding is declared: its grant, else its principal.
func (in Input) locate(b acl.Binding) string {
	if s := in.BindingSources[b]; s != "" {
		return s
	}
	return in.Sources[b.Principal]
}
