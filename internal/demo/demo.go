// Package demo is the story `kafkaguard demo` (and `make run`) tells: from
// nothing to an audited, secured Kafka cluster in a temporary directory, with
// no setup and no network. Each step checks its own expectation and the run
// stops at the first step that did not behave as stated, so the end-to-end
// test runs the same story and asserts every step.
//
// The demo drives real Kafka clients (cluster.Produce and cluster.ConsumeOne,
// configured from each user's written properties file) to show what the ACLs
// allow and refuse; all Kafka I/O goes through internal/cluster and the
// embedded cluster through internal/devcluster.
package demo

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/app"
	"github.com/kafkaguard/kafkaguard/internal/apply"
	"github.com/kafkaguard/kafkaguard/internal/audit"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/devcluster"
	"github.com/kafkaguard/kafkaguard/internal/report"
	"github.com/kafkaguard/kafkaguard/internal/scram"
	"github.com/kafkaguard/kafkaguard/inventory"
	"github.com/kafkaguard/kafkaguard/pki"
	"github.com/kafkaguard/kafkaguard/policies"
)

//go:embed inventory.yaml
var Inventory []byte

// Topic is the topic the demo's clients use.
const Topic = "orders.events"

// Options configure Run.
type Options struct {
	Dir   string    // working directory (created); the CLI passes a temporary one
	Out   io.Writer // the story, for a person
	Color bool
}

// StepResult is one step of the story.
type StepResult struct {
	N       int
	Title   string
	Err     error // nil: the step behaved as stated
	Elapsed time.Duration
}

// Outcome is the whole story, for tests.
type Outcome struct {
	Steps []StepResult
	// Commands are the kafkaguard command lines the story printed, each one
	// a person can paste in the demo directory.
	Commands []string
	// DriftFindings is what the audit found after the cluster was changed
	// behind kafkaguard's back; CleanFindings what it found after apply.
	DriftFindings []report.Finding
	CleanFindings []report.Finding
}

// Failed returns the first failed step, nil when every step behaved.
func (o *Outcome) Failed() *StepResult {
	for i := range o.Steps {
		if o.Steps[i].Err != nil {
			return &o.Steps[i]
		}
	}
	return nil
}

// state is what the steps share.
type state struct {
	o       Options
	out     io.Writer
	pkiDir  string
	secrets string
	invPath string

	ca       *pki.CA
	broker   *pki.Issued
	dc       *devcluster.Cluster
	adminCfg *cluster.Config
	admin    *cluster.Client
	inv      *inventory.Inventory
	compiled *policies.Result
	scope    acl.Scope
	users    []scram.DesiredUser // the inventory's SCRAM users
	store    *scram.Store
	settings scram.ClientSettings
	outcome  *Outcome
}

type step struct {
	title string
	run   func(s *state, ctx context.Context) error
}

var steps = []step{
	{"Create a certificate authority", (*state).createCA},
	{"Issue the broker's certificate", (*state).issueBroker},
	{"Start a secured Kafka cluster (TLS + SASL/SCRAM + ACLs)", (*state).startCluster},
	{"Check and compile the policy", (*state).compilePolicy},
	{"Provision the SCRAM users", (*state).provisionUsers},
	{"Plan the ACLs", (*state).plan},
	{"Apply the plan", (*state).apply},
	{"Real clients meet the ACLs", (*state).clients},
	{"Change the cluster behind kafkaguard's back", (*state).drift},
	{"Audit: every change is a finding", (*state).auditDrift},
	{"Apply again: ACLs restored, password rotated", (*state).heal},
	{"Audit again: clean", (*state).auditClean},
}

// Run tells the story in o.Dir. It returns the outcome and, when a step did
// not behave as stated, an error naming it.
func Run(ctx context.Context, o Options) (*Outcome, error) {
	if o.Out == nil {
		o.Out = io.Discard
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("demo directory: %w", err)
	}
	s := &state{
		o: o, out: o.Out, outcome: &Outcome{},
		pkiDir:  filepath.Join(o.Dir, "pki"),
		secrets: filepath.Join(o.Dir, "secrets"),
		invPath: filepath.Join(o.Dir, "inventory.yaml"),
	}
	defer s.close()
	start := time.Now()
	fmt.Fprintf(s.out, "%s\n", s.bold("kafkaguard demo: from nothing to an audited, secured Kafka cluster"))
	fmt.Fprintf(s.out, "working in %s (no network, nothing outside it is touched); the commands shown run there\n", o.Dir)
	for i, st := range steps {
		fmt.Fprintf(s.out, "\n%s %s\n", s.bold(fmt.Sprintf("[%d/%d]", i+1, len(steps))), s.bold(st.title))
		t0 := time.Now()
		err := st.run(s, ctx)
		r := StepResult{N: i + 1, Title: st.title, Err: err, Elapsed: time.Since(t0)}
		s.outcome.Steps = append(s.outcome.Steps, r)
		if err != nil {
			fmt.Fprintf(s.out, "      %s %v\n", s.paint("31", "FAILED:"), err)
			return s.outcome, fmt.Errorf("demo step %d (%s) did not behave as stated: %w", i+1, st.title, err)
		}
	}
	fmt.Fprintf(s.out, "\n%s every step behaved as stated, in %s.\n", s.paint("32", "Done:"), time.Since(start).Round(100*time.Millisecond))
	return s.outcome, nil
}

func (s *state) close() {
	if s.admin != nil {
		s.admin.Close()
	}
	if s.dc != nil {
		s.dc.Close()
	}
}

func (s *state) paint(code, text string) string {
	if !s.o.Color {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

func (s *state) bold(text string) string { return s.paint("1", text) }

// say prints a line of the story; ok a line that states a checked expectation.
func (s *state) say(format string, args ...any) {
	fmt.Fprintf(s.out, "      "+format+"\n", args...)
}

// command prints the kafkaguard command line that does what the step does,
// as a person would paste it in the demo directory, and records it so that
// the tests check it against the CLI's real commands and flags.
func (s *state) command(line string) {
	s.outcome.Commands = append(s.outcome.Commands, line)
	s.say("%s", line)
}

func (s *state) ok(format string, args ...any) {
	fmt.Fprintf(s.out, "      %s "+format+"\n", append([]any{s.paint("32", "ok")}, args...)...)
}

// indent prints text under the step, indented.
func (s *state) indent(text string) {
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		fmt.Fprintf(s.out, "        %s\n", line)
	}
}

func (s *state) rel(p string) string {
	if r, err := filepath.Rel(s.o.Dir, p); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return p
}

// 1
func (s *state) createCA(context.Context) error {
	ca, err := pki.Init(s.pkiDir, pki.InitOptions{CN: "kafkaguard demo CA"})
	if err != nil {
		return err
	}
	s.ca = ca
	fi, err := os.Stat(filepath.Join(s.pkiDir, pki.CAKeyFile))
	if err != nil {
		return err
	}
	if fi.Mode().Perm() != 0o600 {
		return fmt.Errorf("CA key has mode %04o, want 0600", fi.Mode().Perm())
	}
	c := ca.Certificate()
	s.command(fmt.Sprintf("kafkaguard pki init --dir %s --cn %q", s.rel(s.pkiDir), c.Subject.CommonName))
	s.ok("CA %q valid until %s; its key is mode 0600", c.Subject.CommonName, c.NotAfter.UTC().Format(time.DateOnly))
	return nil
}

// 2
func (s *state) issueBroker(context.Context) error {
	iss, err := s.ca.IssueBroker(pki.BrokerRequest{Name: "broker-0", Hosts: []string{"localhost", "127.0.0.1"}, OutDir: filepath.Join(s.pkiDir, pki.IssuedDir)})
	if err != nil {
		return err
	}
	s.broker = iss
	if _, err := iss.Cert.Verify(x509.VerifyOptions{Roots: s.ca.CertPool(), DNSName: "127.0.0.1"}); err != nil {
		return fmt.Errorf("broker certificate does not verify for 127.0.0.1: %w", err)
	}
	s.command(fmt.Sprintf("kafkaguard pki issue broker --dir %s --name broker-0 --host localhost --host 127.0.0.1", s.rel(s.pkiDir)))
	s.ok("serial %s for %s, valid until %s, verifies against the CA", iss.Serial, iss.Subject, iss.Cert.NotAfter.UTC().Format(time.DateOnly))
	return nil
}

// 3
func (s *state) startCluster(ctx context.Context) error {
	// The dev cluster shares the CA directory and serves step 2's broker
	// certificate; it writes pki/admin.properties, which trusts that CA only.
	dc, err := devcluster.Start(ctx, devcluster.Options{Dir: s.pkiDir, BrokerCert: s.broker.CertPath, BrokerKey: s.broker.KeyPath})
	if err != nil {
		return err
	}
	s.dc = dc
	cfg, err := dc.AdminConfig()
	if err != nil {
		return err
	}
	s.adminCfg = cfg
	admin, err := cluster.Dial(ctx, cfg)
	if err != nil {
		return err
	}
	s.admin = admin
	acls, err := admin.DescribeACLs(ctx)
	if err != nil {
		return err
	}
	s.command(fmt.Sprintf("kafkaguard dev up --dir %s --broker-cert %s --broker-key %s --listen 127.0.0.1:0",
		s.rel(s.pkiDir), s.rel(s.broker.CertPath), s.rel(s.broker.KeyPath)))
	served, err := servedCertificate(ctx, dc.Addr(), s.ca.CertPool())
	if err != nil {
		return err
	}
	if served.SerialNumber.Cmp(s.broker.Cert.SerialNumber) != 0 {
		return fmt.Errorf("the broker serves serial %X, not broker-0's %s", served.SerialNumber, s.broker.Serial)
	}
	s.say("broker on %s: TLS with broker-0's certificate, SASL/SCRAM-SHA-512, ACLs enforced", dc.Addr())
	s.ok("the superuser logs in over TLS (%s); the cluster has %d ACLs", s.rel(dc.AdminProperties()), acls.Len())
	return nil
}

// 4
func (s *state) compilePolicy(ctx context.Context) error {
	if err := os.WriteFile(s.invPath, Inventory, 0o644); err != nil {
		return err
	}
	inv, err := inventory.Load(s.invPath)
	if err != nil {
		return err
	}
	s.inv = inv
	res, err := policies.Compile(ctx, inv, policies.Options{})
	if err != nil {
		return err
	}
	s.compiled = res
	if s.scope, err = inv.ManagedScope(); err != nil {
		return err
	}
	s.command("kafkaguard policy check -f inventory.yaml")
	s.command("kafkaguard compile -f inventory.yaml")
	for _, g := range inv.Grants {
		what := g.Role
		if what == "" {
			what = strings.Join(g.Operations, ",")
		}
		s.say("  grant %-10s %-9s on %s%s", g.Principal, what, strings.Join(g.Topics, ","), groupsNote(g.Groups))
	}
	if len(res.Deny) > 0 {
		return fmt.Errorf("the demo inventory violates the policy: %s", res.Deny[0].Message)
	}
	if res.ACLs.Len() == 0 {
		return errors.New("the policy compiled to no ACLs")
	}
	if len(res.Warn) > 0 {
		return fmt.Errorf("the demo inventory has policy warnings: %s", res.Warn[0].Message)
	}
	s.ok("no policy violations or warnings; %d ACL bindings compiled", res.ACLs.Len())
	return nil
}

func groupsNote(gs []string) string {
	if len(gs) == 0 {
		return ""
	}
	return " (groups " + strings.Join(gs, ",") + ")"
}

// 5
func (s *state) provisionUsers(ctx context.Context) error {
	s.command("kafkaguard users apply -f inventory.yaml --command-config pki/admin.properties --secrets-dir secrets --auto-approve")
	desired, err := scram.DesiredFromInventory(s.inv)
	if err != nil {
		return err
	}
	s.users = desired
	// The same planner and section as 'kafkaguard users apply'.
	planner := &scram.Planner{
		Admin: s.admin, Login: cluster.LoginSCRAM, Config: s.adminCfg,
		Desired: desired, Scope: s.scope, RunningUser: devcluster.AdminUser, SecretsDir: s.secrets,
	}
	sec, err := planner.PlanSection(ctx)
	if err != nil {
		return err
	}
	results, err := sec.ApplyResults(ctx)
	if err != nil {
		return err
	}
	var made []string
	for _, r := range results {
		if r.Err != nil {
			return r.Err
		}
		made = append(made, r.User)
	}
	if s.store, err = scram.OpenStore(s.secrets, false); err != nil {
		return err
	}
	if s.settings, err = scram.ClientSettingsFrom(s.adminCfg); err != nil {
		return err
	}
	slices.Sort(made)
	if want := []string{"analytics", "orders-api"}; !slices.Equal(made, want) {
		return fmt.Errorf("created users %v, want %v", made, want)
	}
	for _, u := range made {
		if _, err := os.Stat(s.store.PropertiesPath(u)); err != nil {
			return err
		}
	}
	s.ok("SCRAM-SHA-512 users %s created; passwords and client configs in %s (0600, never printed)", strings.Join(made, ", "), s.rel(s.secrets))
	return nil
}

func (s *state) aclPlan(ctx context.Context) (*apply.Plan, error) {
	return apply.Build(ctx, apply.ACLPlanner{Admin: s.admin, Desired: s.compiled.ACLs, Scope: s.scope})
}

// 6
func (s *state) plan(ctx context.Context) error {
	p, err := s.aclPlan(ctx)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	p.WriteText(&buf, apply.Style{Color: s.o.Color})
	s.command("kafkaguard plan -f inventory.yaml --command-config pki/admin.properties")
	s.indent(buf.String())
	sum := p.Summary()
	if sum.Add != s.compiled.ACLs.Len() || sum.Remove != 0 {
		return fmt.Errorf("plan adds %d and removes %d, want %d and 0", sum.Add, sum.Remove, s.compiled.ACLs.Len())
	}
	s.ok("%d bindings to add, nothing to remove", sum.Add)
	return nil
}

// applyACLs applies the ACL plan and checks the cluster then matches it.
func (s *state) applyACLs(ctx context.Context) (apply.Summary, error) {
	p, err := s.aclPlan(ctx)
	if err != nil {
		return apply.Summary{}, err
	}
	if err := p.Check(apply.Guards{MaxRemovals: 100, SuperUsers: []string{"User:" + devcluster.AdminUser}}); err != nil {
		return apply.Summary{}, err
	}
	var buf bytes.Buffer
	if _, err := p.Apply(ctx, &buf, apply.Style{Color: s.o.Color}, nil); err != nil {
		s.indent(buf.String())
		return apply.Summary{}, err
	}
	s.indent(buf.String())
	again, err := s.aclPlan(ctx)
	if err != nil {
		return apply.Summary{}, err
	}
	if again.HasChanges() {
		return apply.Summary{}, fmt.Errorf("after apply the plan still has changes: %s", again.SummaryLine())
	}
	return p.Summary(), nil
}

// 7
func (s *state) apply(ctx context.Context) error {
	s.command(applyCommand + " --auto-approve")
	sum, err := s.applyACLs(ctx)
	if err != nil {
		return err
	}
	s.ok("%d bindings created; planning again: no changes, the cluster matches policy", sum.Add)
	return nil
}

// userConfig is how the user's application connects: its written
// properties file, as the application would read it.
func (s *state) userConfig(user string) (*cluster.Config, error) {
	return cluster.LoadConfig("", s.store.PropertiesPath(user))
}

// 8
func (s *state) clients(ctx context.Context) error {
	if err := s.admin.CreateTopic(ctx, Topic, 1); err != nil {
		return err
	}
	s.say("the admin creates topic %s; each application uses its own secrets/NAME.properties", Topic)

	producer, err := s.userConfig("orders-api")
	if err != nil {
		return err
	}
	if err := cluster.Produce(ctx, producer, Topic, "order 42 placed"); err != nil {
		return fmt.Errorf("orders-api could not produce to %s: %w", Topic, err)
	}
	s.ok("orders-api produces to %s: allowed (WRITE)", Topic)

	analytics, err := s.userConfig("analytics")
	if err != nil {
		return err
	}
	v, err := cluster.ConsumeOne(ctx, analytics, Topic, "analytics-daily")
	if err != nil {
		return fmt.Errorf("analytics could not consume %s in group analytics-daily: %w", Topic, err)
	}
	s.ok("analytics consumes %q in group analytics-daily: allowed (READ)", v)

	err = cluster.Produce(ctx, analytics, Topic, "not mine to write")
	if !errors.Is(err, cluster.ErrTopicAuthorization) {
		return fmt.Errorf("analytics writing to %s: got %v, want an authorization error", Topic, err)
	}
	s.ok("analytics writes to %s: denied (%s)", Topic, cluster.KafkaErrorName(err))

	err = cluster.LoginSCRAM(ctx, s.adminCfg.WithUser(scram.SHA512, "mallory", "a-guessed-password-123"))
	if !errors.Is(err, cluster.ErrLoginRejected) {
		return fmt.Errorf("unknown user mallory: got %v, want the login refused", err)
	}
	s.ok("mallory, a user nobody created, is refused at login")
	return nil
}

// Command lines the story prints more than once; they name the demo
// directory's files as dev up (pki/admin.properties) and users apply
// (secrets/) write them.
const (
	applyCommand = "kafkaguard apply -f inventory.yaml --command-config pki/admin.properties"
	auditCommand = "kafkaguard audit -f inventory.yaml --command-config pki/admin.properties --pki-dir pki --secrets-dir secrets"
)

// The drift the demo makes behind kafkaguard's back.
var (
	driftExtra, _ = acl.FromStrings("User:orders-api", "*", "TOPIC", "payments.cards", "LITERAL", "READ", "ALLOW")
)

// driftRemoved is the binding the demo deletes: analytics' READ on its group.
func (s *state) driftRemoved() (acl.Binding, error) {
	for _, b := range s.compiled.ACLs.Bindings() {
		if b.Principal == "User:analytics" && b.ResourceType == acl.ResourceGroup && b.Operation == acl.OpRead {
			return b, nil
		}
	}
	return acl.Binding{}, errors.New("the policy has no READ on a group for analytics")
}

// 9
func (s *state) drift(ctx context.Context) error {
	s.say("someone with the admin password uses kafka-acls.sh and kafka-configs.sh:")
	for _, r := range s.admin.CreateACLs(ctx, []acl.Binding{driftExtra}) {
		if r.Err != nil {
			return r.Err
		}
	}
	s.say("  + %s", driftExtra)
	gone, err := s.driftRemoved()
	if err != nil {
		return err
	}
	for _, r := range s.admin.DeleteACLs(ctx, []acl.Binding{gone}) {
		if r.Err != nil {
			return r.Err
		}
	}
	s.say("  - %s", gone)
	cred, err := scram.Derive(scram.SHA512, "changed-by-hand-7Qx2", 4096)
	if err != nil {
		return err
	}
	rs, err := s.admin.AlterSCRAM(ctx, nil, []cluster.SCRAMUpsert{{User: "orders-api", Mechanism: scram.SHA512, Iterations: 4096, Salt: cred.Salt, SaltedPassword: cred.SaltedPassword}})
	if err != nil {
		return err
	}
	for _, r := range rs {
		if r.Err != nil {
			return r.Err
		}
	}
	s.say("  ~ orders-api's password set by hand")
	p, err := s.aclPlan(ctx)
	if err != nil {
		return err
	}
	if sum := p.Summary(); sum.Add != 1 || sum.Remove != 1 {
		return fmt.Errorf("after the changes the plan adds %d and removes %d, want 1 and 1", sum.Add, sum.Remove)
	}
	s.ok("the cluster no longer matches the inventory")
	return nil
}

// audit runs the audit as the printed command does and shows its text
// report, with paths relative to the demo directory.
func (s *state) audit(ctx context.Context) ([]report.Finding, error) {
	s.command(auditCommand)
	w, err := app.Load(ctx, app.Options{Files: []string{s.invPath}})
	if err != nil {
		return nil, err
	}
	res, err := w.Audit(ctx, s.adminCfg, app.AuditOptions{PKIDir: s.pkiDir, SecretsDir: s.secrets, ApplyHint: applyCommand})
	if err == nil {
		err = res.Err
	}
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := report.Render(&buf, "text", res.Report, s.o.Color); err != nil {
		return nil, err
	}
	s.indent(strings.ReplaceAll(buf.String(), s.o.Dir+string(filepath.Separator), ""))
	return res.Report.Findings, nil
}

// 10
func (s *state) auditDrift(ctx context.Context) error {
	findings, err := s.audit(ctx)
	if err != nil {
		return err
	}
	s.outcome.DriftFindings = findings
	var got []string
	for _, f := range findings {
		got = append(got, f.ID)
	}
	slices.Sort(got)
	want := []string{audit.KGACLMissing, audit.KGACLExtra, audit.KGUserLoginFailed}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		return fmt.Errorf("audit found %v, want %v", got, want)
	}
	s.ok("%s missing ACL, %s extra ACL, %s password changed by hand: exit code 2", audit.KGACLMissing, audit.KGACLExtra, audit.KGUserLoginFailed)
	return nil
}

// 11
func (s *state) heal(ctx context.Context) error {
	s.command(applyCommand + " --auto-approve")
	sum, err := s.applyACLs(ctx)
	if err != nil {
		return err
	}
	if sum.Add != 1 || sum.Remove != 1 {
		return fmt.Errorf("apply added %d and removed %d, want 1 and 1", sum.Add, sum.Remove)
	}
	s.command("kafkaguard users rotate orders-api -f inventory.yaml --command-config pki/admin.properties --secrets-dir secrets")
	sel, err := scram.Select(s.users, []string{"orders-api"})
	if err != nil {
		return err
	}
	rot := scram.Rotator{Admin: s.admin, Login: cluster.LoginSCRAM, Config: s.adminCfg, Store: s.store, Settings: s.settings}
	if r := rot.Rotate(ctx, sel[0]); r.Err != nil {
		return r.Err
	}
	producer, err := s.userConfig("orders-api")
	if err != nil {
		return err
	}
	if err := cluster.Produce(ctx, producer, Topic, "order 43 placed"); err != nil {
		return fmt.Errorf("orders-api could not produce with its new password: %w", err)
	}
	s.ok("1 binding restored, 1 removed; orders-api has a new password, stored, and produces again")
	return nil
}

// 12
func (s *state) auditClean(ctx context.Context) error {
	findings, err := s.audit(ctx)
	if err != nil {
		return err
	}
	s.outcome.CleanFindings = findings
	if len(findings) > 0 {
		return fmt.Errorf("the audit still finds %d things", len(findings))
	}
	s.ok("ACLs, SCRAM users, certificates, broker TLS and guardrails all pass: exit code 0")
	return nil
}

// servedCertificate is the leaf certificate the broker at addr presents, after
// verifying it against roots for that address.
func servedCertificate(ctx context.Context, addr string, roots *x509.CertPool) (*x509.Certificate, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	d := tls.Dialer{Config: &tls.Config{RootCAs: roots, ServerName: host, MinVersion: tls.VersionTLS12}}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("TLS handshake with the broker at %s: %w", addr, err)
	}
	defer conn.Close()
	return conn.(*tls.Conn).ConnectionState().PeerCertificates[0], nil
}
