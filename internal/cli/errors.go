package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"

	ucli "github.com/urfave/cli/v2"

	"github.com/kafkaguard/kafkaguard/internal/app"
	"github.com/kafkaguard/kafkaguard/internal/apply"
	"github.com/kafkaguard/kafkaguard/internal/audit"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/devcluster"
	"github.com/kafkaguard/kafkaguard/internal/fsutil"
	"github.com/kafkaguard/kafkaguard/internal/importer"
	"github.com/kafkaguard/kafkaguard/internal/plan"
	"github.com/kafkaguard/kafkaguard/inventory"
	"github.com/kafkaguard/kafkaguard/pki"
	"github.com/kafkaguard/kafkaguard/policies"
)

// This file is the CLI's error boundary: the libraries return typed errors
// (errors.Is / errors.As) that name no flag; here they become the
// "kafkaguard: error:" line and the "kafkaguard: hint:" line, in the words
// of the command that ran (its flags). Nothing else in the CLI looks at an
// error's kind, and nothing here reads an error's text.

// errFindings is returned by a command that ran and reported findings (policy
// violations, failing tests, drift, pending changes): exit 2, no error line.
var errFindings = errors.New("findings reported")

// findingsIf is the outcome of a command that ran and printed its report:
// errFindings (exit 2) when found, else nil (exit 0).
func findingsIf(found bool) error {
	if found {
		return errFindings
	}
	return nil
}

// errInterrupted is returned by a command stopped by Ctrl-C after it
// reported what it had done: exit 130, no error line.
var errInterrupted = errors.New("interrupted")

// hintError carries a second line telling the user what to do next.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

// withHint attaches a "kafkaguard: hint: ..." line to err.
func withHint(err error, hint string) error {
	if err == nil {
		return nil
	}
	return &hintError{err: err, hint: hint}
}

// messageError replaces an error's text, keeping it reachable.
type messageError struct {
	msg string
	err error
}

func (e *messageError) Error() string { return e.msg }
func (e *messageError) Unwrap() error { return e.err }

// explainAction wraps a command's action so that its error is explained in
// that command's words.
func explainAction(action ucli.ActionFunc) ucli.ActionFunc {
	return func(c *ucli.Context) error { return explain(c, action(c)) }
}

// explain adds the hint (and, where a library's text needs the flag, the
// wording) that err's kind calls for on command c. An error that already has
// a hint keeps it.
func explain(c *ucli.Context, err error) error {
	var h *hintError
	if err == nil || errors.As(err, &h) || errors.Is(err, errFindings) || errors.Is(err, errInterrupted) {
		return err
	}
	var (
		tmr         *plan.TooManyRemovalsError
		dn          *inventory.DNError
		denied      *app.DeniedError
		eto         *policies.TimeoutError
		tto         *policies.TestTimeoutError
		limit       *inventory.LimitError
		bindingFile *inventory.BindingFileError
		noCA        *pki.NoCAError
		renew       *pki.NotRenewableError
	)
	switch {
	case errors.Is(err, app.ErrNoInventory):
		return withHint(err, noInventoryHint(c))
	case errors.As(err, &eto):
		return &messageError{msg: err.Error() + timeoutAdvice(c, "a rule that loops over every topic"), err: err}
	case errors.As(err, &tto):
		return &messageError{msg: err.Error() + timeoutAdvice(c, "a test that loops over a large range"), err: err}
	case errors.As(err, &dn):
		return withHint(err, "fix the dn (or the mapping rules) so the broker sees this certificate as the declared principal")
	case errors.As(err, &denied):
		return withHint(err, "run 'kafkaguard policy check -f ...' for details and fix the inventory")
	case errors.As(err, &tmr):
		return withHint(&messageError{msg: fmt.Sprintf("too many removals: the plan removes %d, more than --max-removals %d", tmr.Removals, tmr.Max), err: err},
			"review the plan; raise --max-removals if it is right")
	case errors.Is(err, apply.ErrLockout):
		return withHint(err, "keep a grant of DESCRIBE and ALTER on CLUSTER for this principal, pass --super-user if it is in super.users, or --allow-lockout")
	case errors.Is(err, audit.ErrNoCluster):
		return withHint(err, "pass --command-config FILE and/or --bootstrap-server HOST:PORT (or KAFKAGUARD_COMMAND_CONFIG)")
	case errors.Is(err, syscall.EADDRINUSE):
		return withHint(err, "another process listens there: pick a free port with --listen 127.0.0.1:0")
	case errors.As(err, &limit) && limitFlagNames[limit.Kind] != "":
		return withHint(err, "raise it with --"+limitFlagNames[limit.Kind])
	case errors.As(err, &bindingFile):
		return withHint(err, fmt.Sprintf("raise it with --%s (%d bytes a binding)", limitFlagNames[inventory.LimitBindings], inventory.BytesPerBinding))
	case errors.Is(err, policies.ErrSandboxed) && hasFlag(c, "capabilities"):
		return withHint(err, "allow it with --capabilities FILE")
	case errors.Is(err, fsutil.ErrExists) && hasFlag(c, "force"):
		return withHint(err, "use --force to overwrite")
	case errors.As(err, &noCA) && hasFlag(c, "dir"):
		return withHint(err, fmt.Sprintf("create one with 'kafkaguard pki init --dir %s'", noCA.Dir))
	case errors.As(err, &renew) && renew.Reason == pki.FromRequest:
		return withHint(err, "issue it again with a new request (--csr FILE --force)")
	case errors.Is(err, cluster.ErrNoBootstrap):
		return withHint(err, "set --bootstrap-server or bootstrap.servers in the command config")
	case errors.Is(err, importer.ErrNoSource):
		return withHint(err, "pass --from "+strings.Join(importer.Sources, "|"))
	case errors.Is(err, importer.ErrNotFiles):
		return withHint(err, "drop the FILE arguments, or pass --from with the tool that wrote them")
	case errors.Is(err, importer.ErrNoFiles):
		return withHint(err, "give the files to read (FILE or DIR arguments)")
	}
	return err
}

// limitFlagNames are the global flags that raise each inventory limit.
var limitFlagNames = map[inventory.LimitKind]string{
	inventory.LimitBytes:         "max-inventory-bytes",
	inventory.LimitNodes:         "max-yaml-nodes",
	inventory.LimitGrantBindings: "max-grant-bindings",
	inventory.LimitBindings:      "max-bindings",
}

// devNote prints a dev cluster's note, and what to do about it.
func (e *env) devNote(n devcluster.Note) {
	fmt.Fprintf(e.stderr, "kafkaguard: note: %s\n", n.Text)
	if n.Exposed {
		fmt.Fprintf(e.stderr, "kafkaguard: hint: %s\n", devExposedHint)
	}
}

// devExposedHint is the advice for a data dir whose credential other local
// users could read.
const devExposedHint = "for a new admin password, start over with an empty --dir and --data-dir"

// renewSkipAdvice is why 'pki renew --expiring-within' skipped a
// certificate, and how to renew it.
func renewSkipAdvice(r pki.NotRenewable) string {
	switch r {
	case pki.FromRequest:
		return "issued from a certificate request: issue it again with --csr"
	case pki.NeedsPassword:
		return "has a PKCS12 keystore: renew it with --password-file"
	}
	return r.String()
}

// timeoutAdvice is what a policy evaluation or test that ran out of time
// says next on command c: the flag that raises the policy deadline
// (--policy-timeout on the commands whose --timeout is the cluster's,
// --timeout on compile, policy check and policy test; none on import), and
// what to look for.
func timeoutAdvice(c *ucli.Context, culprit string) string {
	if c != nil && c.Command != nil {
		for _, name := range []string{"policy-timeout", "timeout"} {
			if f, ok := findFlag(c.Command.Flags, name).(grammarDurationFlag); ok && f.policyDeadline {
				return " (raise --" + name + ", or look for " + culprit + ")"
			}
		}
	}
	return " (look for " + culprit + ")"
}

// noInventoryHint says how to name the inventory on command c.
func noInventoryHint(c *ucli.Context) string {
	switch {
	case hasFlag(c, "clusters"):
		return "pass -f INVENTORY (or --clusters FILE)"
	case c.Command != nil && strings.HasPrefix(c.Command.HelpName, "kafkaguard users"):
		return "pass -f INVENTORY (a YAML file or a directory)"
	}
	return "pass -f inventory.yaml or -f DIR (or set KAFKAGUARD_FILE)"
}

// hasFlag reports whether command c defines the flag name.
func hasFlag(c *ucli.Context, name string) bool {
	return c != nil && c.Command != nil && findFlag(c.Command.Flags, name) != nil
}

// connectHint adds what to check next to a connection error, or to an error
// of the first requests after connecting (a principal not authorized to read
// ACLs or SCRAM users), for the connection cfg. An error that has a hint
// keeps it.
func connectHint(err error, cfg *cluster.Config) error {
	if err == nil {
		return nil
	}
	var h *hintError
	if errors.As(err, &h) {
		return err
	}
	switch {
	case cluster.IsNotAuthorized(err):
		who := "the principal of " + orFlag(cfg.Source, "--command-config")
		if cfg.Username != "" {
			who = "User:" + cfg.Username
		}
		return withHint(err, "grant "+who+" the operation named above on CLUSTER kafka-cluster (kafka-acls.sh --add --cluster ...), or connect as a principal in the brokers' super.users")
	case cluster.IsAuthError(err):
		return withHint(err, "check the username and password in "+orFlag(cfg.Source, "--command-config")+" (sasl.jaas.config or sasl.username/sasl.password)")
	case errors.Is(err, cluster.ErrTLSVerification):
		return withHint(err, "check ssl.truststore.* (or ssl.ca.location) in "+orFlag(cfg.Source, "--command-config")+": it must hold the CA that signed the brokers' certificates")
	case errors.Is(err, cluster.ErrUnreachable):
		return withHint(err, "check --bootstrap-server (or bootstrap.servers), that the brokers run and that the port is open; --timeout waits longer")
	case errors.Is(err, context.DeadlineExceeded):
		return withHint(err, fmt.Sprintf("check --bootstrap-server (or bootstrap.servers) and that a Kafka broker answers there with security.protocol %s; raise --timeout (now %s) to wait longer", orFlag(cfg.SecurityProtocol, "PLAINTEXT"), cfg.EffectiveTimeout()))
	case errors.Is(err, cluster.ErrWrongProtocol):
		return withHint(err, "set security.protocol in "+orFlag(cfg.Source, "--command-config")+" to what the listener expects (SSL, SASL_SSL, ...)")
	}
	return err
}

// applyError is apply's error after its results were printed. An apply
// stopped because the cluster stopped answering says what is unknown and how
// to converge (and what to check about the connection cfg).
func applyError(err error, cfg *cluster.Config) error {
	var stopped *plan.StoppedError
	if !errors.As(err, &stopped) {
		return withHint(fmt.Errorf("apply: %w", err), "fix the cause above and run apply again: it converges")
	}
	check := "check that the brokers run and answer at --bootstrap-server (or bootstrap.servers)"
	if errors.Is(err, context.DeadlineExceeded) {
		check += fmt.Sprintf(", or raise --timeout (now %s)", cfg.EffectiveTimeout())
	}
	return withHint(fmt.Errorf("apply: %w", err), fmt.Sprintf("%s; the %d changes marked 'unknown' may or may not have been made: once the cluster answers, run apply again: it converges", check, stopped.Unknown))
}

func orFlag(source, flag string) string {
	if source != "" {
		return source
	}
	return flag
}
