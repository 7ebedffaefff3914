package demo

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/app"
	"github.com/kafkaguard/kafkaguard/internal/audit"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/devcluster"
	"github.com/kafkaguard/kafkaguard/internal/report"
	"github.com/kafkaguard/kafkaguard/internal/scram"
	"github.com/kafkaguard/kafkaguard/inventory"
	"github.com/kafkaguard/kafkaguard/pki"
)

// The command lines the story runs; they name the demo directory's files as
// dev up (pki/admin.properties) and users apply (secrets/) write them.
var (
	connArgs   = []string{"-f", "inventory.yaml", "--command-config", "pki/admin.properties"}
	planArgs   = append([]string{"kafkaguard", "plan"}, connArgs...)
	applyArgs  = append(append([]string{"kafkaguard", "apply"}, connArgs...), "--auto-approve")
	auditArgs  = append(append([]string{"kafkaguard", "audit"}, connArgs...), "--pki-dir", "pki", "--secrets-dir", "secrets")
	usersFlags = append(slices.Clone(connArgs), "--secrets-dir", "secrets")
)

// Exit codes the story expects (the CLI's contract).
const (
	exitOK       = 0
	exitFindings = 2
)

// 1
func (s *state) createCA(ctx context.Context) error {
	if _, err := s.command(ctx, exitOK, "kafkaguard", "pki", "init", "--dir", "pki", "--cn", "kafkaguard demo CA"); err != nil {
		return err
	}
	ca, err := pki.Open(s.pkiDir)
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
	s.ok("CA %q valid until %s; its key is mode 0600", c.Subject.CommonName, c.NotAfter.UTC().Format(time.DateOnly))
	return nil
}

// 2
func (s *state) issueBroker(ctx context.Context) error {
	if _, err := s.command(ctx, exitOK, "kafkaguard", "pki", "issue", "broker", "--dir", "pki", "--name", "broker-0", "--host", "localhost", "--host", "127.0.0.1"); err != nil {
		return err
	}
	certs, err := s.ca.List(time.Now(), 0)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(certs, func(c pki.CertInfo) bool { return c.Kind == "broker" && c.Name == "broker-0" })
	if i < 0 || certs[i].Cert == nil {
		return errors.New("the CA has no certificate broker-0")
	}
	s.broker = certs[i]
	if _, err := s.broker.Cert.Verify(x509.VerifyOptions{Roots: s.ca.CertPool(), DNSName: "127.0.0.1"}); err != nil {
		return fmt.Errorf("broker certificate does not verify for 127.0.0.1: %w", err)
	}
	s.ok("serial %s for %s, valid until %s, verifies against the CA", s.broker.Serial, s.broker.Subject, s.broker.NotAfter.UTC().Format(time.DateOnly))
	return nil
}

// 3: no command does this in-process ('dev up' blocks): Go starts the same
// cluster.
func (s *state) startCluster(ctx context.Context) error {
	// The dev cluster shares the CA directory and serves step 2's broker
	// certificate; it writes pki/admin.properties, which trusts that CA only.
	// It maps client certificates with the inventory's mapping rules, as
	// `dev up -f inventory.yaml` does.
	if err := os.WriteFile(s.invPath, Inventory, 0o644); err != nil {
		return err
	}
	inv, err := inventory.Load(s.invPath)
	if err != nil {
		return err
	}
	dc, err := devcluster.Start(ctx, devcluster.Options{Dir: s.pkiDir, BrokerCert: s.broker.CertPath, BrokerKey: s.broker.KeyPath,
		MappingRules: inv.Cluster.SSLPrincipalMappingRules})
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
	s.show("kafkaguard", "dev", "up", "--dir", s.rel(s.pkiDir), "--broker-cert", s.rel(s.broker.CertPath), "--broker-key", s.rel(s.broker.KeyPath), "--listen", "127.0.0.1:0", "-f", "inventory.yaml")
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
	if _, err := s.command(ctx, exitOK, "kafkaguard", "policy", "check", "-f", "inventory.yaml"); err != nil {
		return fmt.Errorf("the demo inventory does not pass the policy: %w", err)
	}
	out, err := s.command(ctx, exitOK, "kafkaguard", "compile", "-f", "inventory.yaml")
	if err != nil {
		return err
	}
	w, err := app.Load(ctx, app.Options{Files: []string{s.invPath}})
	if err != nil {
		return err
	}
	s.work = w
	if n := strings.Count(out, "\n"); n != w.Compiled.ACLs.Len() || n == 0 {
		return fmt.Errorf("compile printed %d bindings, want %d", n, w.Compiled.ACLs.Len())
	}
	s.ok("no policy violations or warnings; %d ACL bindings compiled", w.Compiled.ACLs.Len())
	return nil
}

// 5
func (s *state) provisionUsers(ctx context.Context) error {
	out, err := s.command(ctx, exitOK, append(append([]string{"kafkaguard", "users", "apply"}, usersFlags...), "--auto-approve")...)
	if err != nil {
		return err
	}
	if s.store, err = scram.OpenStore(s.secrets, false); err != nil {
		return err
	}
	var made []string
	for _, u := range s.work.Users {
		if u.Name == devcluster.AdminUser {
			continue // the running admin: kafkaguard never changes its own credentials
		}
		if !strings.Contains(out, "User:"+u.Name+" created") {
			return fmt.Errorf("users apply did not create %s", u.Name)
		}
		if _, err := os.Stat(s.store.PropertiesPath(u.Name)); err != nil {
			return err
		}
		made = append(made, u.Name)
	}
	slices.Sort(made)
	if want := []string{"analytics", "orders-api"}; !slices.Equal(made, want) {
		return fmt.Errorf("created users %v, want %v", made, want)
	}
	s.ok("SCRAM-SHA-512 users %s created; passwords and client configs in %s (0600, never printed)", strings.Join(made, ", "), s.rel(s.secrets))
	return nil
}

// 6
func (s *state) plan(ctx context.Context) error {
	n := s.work.Compiled.ACLs.Len()
	out, err := s.command(ctx, exitOK, planArgs...)
	if err != nil {
		return err
	}
	if want := fmt.Sprintf("Plan: %d to add, 0 to remove.", n); !strings.Contains(out, want) {
		return fmt.Errorf("the plan does not say %q", want)
	}
	s.ok("%d bindings to add, nothing to remove", n)
	return nil
}

// 7
func (s *state) apply(ctx context.Context) error {
	out, err := s.command(ctx, exitOK, applyArgs...)
	if err != nil {
		return err
	}
	n := s.work.Compiled.ACLs.Len()
	if want := fmt.Sprintf("Apply complete: %d added, 0 changed, 0 removed", n); !strings.Contains(out, want) {
		return fmt.Errorf("apply does not say %q", want)
	}
	if _, err := s.command(ctx, exitOK, append(slices.Clone(planArgs), "--detailed-exitcode")...); err != nil {
		return fmt.Errorf("after apply the plan still has changes: %w", err)
	}
	s.ok("%d bindings created; planning again: no changes, the cluster matches policy", n)
	return nil
}

// userConfig is how the user's application connects: its written
// properties file, as the application would read it.
func (s *state) userConfig(user string) (*cluster.Config, error) {
	return cluster.LoadConfig("", s.store.PropertiesPath(user))
}

// 8: real clients, no kafkaguard command.
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

// 9: an mTLS client, with a certificate from `pki issue client` and no SASL.
func (s *state) mtlsClient(ctx context.Context) error {
	out, err := s.command(ctx, exitOK, "kafkaguard", "pki", "issue", "client", "--dir", "pki", "--name", "shipping",
		"--dn", "CN=shipping,OU=orders,O=Acme", "--out", "secrets", "--mapping-rules", s.work.Inventory.Cluster.SSLPrincipalMappingRules)
	if err != nil {
		return err
	}
	if !strings.Contains(out, "User:shipping") {
		return errors.New("pki issue client does not name the principal User:shipping")
	}
	certPath, keyPath := filepath.Join(s.secrets, "shipping.pem"), filepath.Join(s.secrets, "shipping-key.pem")
	principal, err := s.command(ctx, exitOK, "kafkaguard", "pki", "principal", s.rel(certPath), "--mapping-rules", s.work.Inventory.Cluster.SSLPrincipalMappingRules)
	if err != nil {
		return err
	}
	if strings.TrimSpace(principal) != "User:shipping" {
		return fmt.Errorf("pki principal says %q, want User:shipping", strings.TrimSpace(principal))
	}
	// The application's librdkafka-style config: TLS with its certificate, no SASL.
	props := filepath.Join(s.secrets, "shipping.properties")
	body := fmt.Sprintf("bootstrap.servers=%s\nsecurity.protocol=SSL\nssl.ca.location=%s\nssl.certificate.location=%s\nssl.key.location=%s\n",
		s.dc.Addr(), s.dc.CAPath(), certPath, keyPath)
	if err := os.WriteFile(props, []byte(body), 0o600); err != nil {
		return err
	}
	cfg, err := cluster.LoadConfig("", props)
	if err != nil {
		return err
	}
	if err := cluster.Produce(ctx, cfg, Topic, "order 42 shipped"); err != nil {
		return fmt.Errorf("shipping could not produce to %s over mTLS: %w", Topic, err)
	}
	s.ok("shipping (certificate %s, no password) produces to %s: allowed (WRITE for User:shipping)", s.rel(certPath), Topic)
	const other = "payments.cards"
	if err := s.admin.CreateTopic(ctx, other, 1); err != nil {
		return err
	}
	err = cluster.Produce(ctx, cfg, other, "not mine to write")
	if !errors.Is(err, cluster.ErrTopicAuthorization) {
		return fmt.Errorf("shipping writing to %s: got %v, want an authorization error", other, err)
	}
	s.ok("shipping writes to %s: denied (%s)", other, cluster.KafkaErrorName(err))
	// The inventory does not declare it: remove it again, so the final
	// audit's topic governance has nothing to report (KG802).
	return s.admin.DeleteTopic(ctx, other)
}

// The drift the demo makes behind kafkaguard's back.
var (
	driftExtra, _ = acl.FromStrings("User:orders-api", "*", "TOPIC", "payments.cards", "LITERAL", "READ", "ALLOW")
)

// driftRemoved is the binding the demo deletes: analytics' READ on its group.
func (s *state) driftRemoved() (acl.Binding, error) {
	for _, b := range s.work.Compiled.ACLs.Bindings() {
		if b.Principal == "User:analytics" && b.ResourceType == acl.ResourceGroup && b.Operation == acl.OpRead {
			return b, nil
		}
	}
	return acl.Binding{}, errors.New("the policy has no READ on a group for analytics")
}

// 9: someone else's tools, no kafkaguard command.
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
	out, err := s.command(ctx, exitFindings, append(slices.Clone(planArgs), "--detailed-exitcode")...)
	if err != nil {
		return err
	}
	if !strings.Contains(out, "Plan: 1 to add, 1 to remove.") {
		return errors.New("after the changes the plan does not add 1 and remove 1")
	}
	s.ok("the cluster no longer matches the inventory")
	return nil
}

// audit runs the audit as printed (its text report shown, exit code want),
// and takes its findings from the same audit's json report.
func (s *state) audit(ctx context.Context, want int) ([]report.Finding, error) {
	if _, err := s.command(ctx, want, auditArgs...); err != nil {
		return nil, err
	}
	out, stderr, code := s.runCLI(ctx, append(slices.Clone(auditArgs), "-o", "json"))
	if code != want {
		return nil, fmt.Errorf("audit -o json: exit code %d: %s", code, strings.TrimSpace(stderr))
	}
	var doc struct {
		Findings []struct {
			ID, Check, Severity, Resource, Message, Fix, Location string
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		return nil, fmt.Errorf("audit -o json: %w", err)
	}
	var fs []report.Finding
	for _, f := range doc.Findings {
		sev, err := report.ParseSeverity(f.Severity)
		if err != nil {
			return nil, err
		}
		fs = append(fs, report.Finding{ID: f.ID, Check: f.Check, Severity: sev, Resource: f.Resource, Message: f.Message, Fix: f.Fix, Location: f.Location})
	}
	return fs, nil
}

// 10
func (s *state) auditDrift(ctx context.Context) error {
	findings, err := s.audit(ctx, exitFindings)
	if err != nil {
		return err
	}
	s.outcome.DriftFindings = findings
	var got []string
	for _, f := range findings {
		got = append(got, f.ID)
	}
	slices.Sort(got)
	want := DriftIDs()
	if !slices.Equal(got, want) {
		return fmt.Errorf("audit found %v, want %v", got, want)
	}
	s.ok("%s missing ACL, %s extra ACL, %s password changed by hand, %s the extra ACL names a topic the cluster lacks: exit code 2",
		audit.KGACLMissing, audit.KGACLExtra, audit.KGUserLoginFailed, audit.KGTopicMissing)
	return nil
}

// 11
func (s *state) heal(ctx context.Context) error {
	out, err := s.command(ctx, exitOK, applyArgs...)
	if err != nil {
		return err
	}
	if !strings.Contains(out, "Apply complete: 1 added, 0 changed, 1 removed") {
		return errors.New("apply did not add 1 binding and remove 1")
	}
	if _, err := s.command(ctx, exitOK, append([]string{"kafkaguard", "users", "rotate", "orders-api"}, usersFlags...)...); err != nil {
		return err
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
	findings, err := s.audit(ctx, exitOK)
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

// DriftIDs are the finding IDs the demo's drift audit reports, sorted.
func DriftIDs() []string {
	ids := []string{audit.KGACLMissing, audit.KGACLExtra, audit.KGUserLoginFailed, audit.KGTopicMissing}
	slices.Sort(ids)
	return ids
}
