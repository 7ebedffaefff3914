// Package demo is the story `kafkaguard demo` (and `make run`) tells: from
// nothing to an audited, secured Kafka cluster in a temporary directory, with
// no setup and no network. Each step checks its own expectation and the run
// stops at the first step that did not behave as stated, so the end-to-end
// test runs the same story and asserts every step.
//
// Every kafkaguard command the story prints runs, as printed, through the
// real CLI in-process (Options.CLI), with the demo directory's paths. Go code
// remains only for the steps no command does: starting the embedded cluster
// (internal/devcluster), running real Kafka clients (cluster.Produce and
// cluster.ConsumeOne, configured from each user's written properties file)
// to show what the ACLs allow and refuse, and changing the cluster behind
// kafkaguard's back.
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

	"github.com/kafkaguard/kafkaguard/internal/app"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/devcluster"
	"github.com/kafkaguard/kafkaguard/internal/report"
	"github.com/kafkaguard/kafkaguard/internal/scram"
	"github.com/kafkaguard/kafkaguard/pki"
)

//go:embed inventory.yaml
var Inventory []byte

// Topic is the topic the demo's clients use.
const Topic = "orders.events"

// CLI runs one kafkaguard command line (args[0] is "kafkaguard") and returns
// its exit code: cli.RunContext.
type CLI func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int

// Options configure Run.
type Options struct {
	Dir   string    // working directory (created); the CLI passes a temporary one
	Out   io.Writer // the story, for a person
	Color bool
	CLI   CLI // runs the commands the story prints; required
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
	broker   pki.CertInfo
	dc       *devcluster.Cluster
	adminCfg *cluster.Config
	admin    *cluster.Client
	work     *app.Workspace // the inventory as the commands load it
	store    *scram.Store
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
	{"An mTLS client is the principal of its certificate", (*state).mtlsClient},
	{"Change the cluster behind kafkaguard's back", (*state).drift},
	{"Audit: every change is a finding", (*state).auditDrift},
	{"Apply again: ACLs restored, password rotated", (*state).heal},
	{"Audit again: clean", (*state).auditClean},
}

// StepTitles are the story's steps, in order.
func StepTitles() []string {
	out := make([]string, len(steps))
	for i, st := range steps {
		out[i] = st.title
	}
	return out
}

// Run tells the story in o.Dir. It returns the outcome and, when a step did
// not behave as stated, an error naming it.
func Run(ctx context.Context, o Options) (*Outcome, error) {
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.CLI == nil {
		return nil, errors.New("demo: no CLI to run the commands with")
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

// command prints the kafkaguard command line args, as a person would paste
// it in the demo directory, records it (the tests check it against the CLI's
// real commands and flags), and runs it through the CLI in-process, with
// the demo directory's paths: its output is shown under the line. An exit
// code other than want is the step's error.
func (s *state) command(ctx context.Context, want int, args ...string) (string, error) {
	line := commandLine(args)
	s.outcome.Commands = append(s.outcome.Commands, line)
	s.say("%s", line)
	stdout, stderr, code := s.runCLI(ctx, args)
	if out := strings.TrimRight(stdout, "\n"); out != "" {
		s.indent(out)
	}
	if code != want {
		return stdout, fmt.Errorf("%s: exit code %d, want %d: %s", line, code, want, strings.TrimSpace(stderr))
	}
	return stdout, nil
}

// runCLI runs args (paths relative to the demo directory) through the CLI
// and returns its output with the demo directory's prefix taken off paths.
func (s *state) runCLI(ctx context.Context, args []string) (stdout, stderr string, code int) {
	var out, errw bytes.Buffer
	code = s.o.CLI(ctx, s.anchor(args), strings.NewReader(""), &out, &errw)
	strip := func(t string) string { return strings.ReplaceAll(t, s.o.Dir+string(filepath.Separator), "") }
	return strip(out.String()), strip(errw.String()), code
}

// pathFlags are the flags of the demo's commands whose values are paths.
var pathFlags = map[string]bool{"--dir": true, "-f": true, "--command-config": true, "--secrets-dir": true, "--pki-dir": true, "--out": true}

// anchor makes the relative paths of args relative to the demo directory,
// as they are when a person runs the line there.
func (s *state) anchor(args []string) []string {
	out := slices.Clone(args)
	for i := 1; i < len(out); i++ {
		certArg := i == 3 && out[1] == "pki" && out[2] == "principal" // pki principal CERT.pem
		if (pathFlags[out[i-1]] || certArg) && !filepath.IsAbs(out[i]) {
			out[i] = filepath.Join(s.o.Dir, out[i])
		}
	}
	return out
}

// commandLine is args as a shell line: words with a space are
// double-quoted, words with other shell characters (a mapping rule's $ and
// parentheses) single-quoted.
func commandLine(args []string) string {
	words := make([]string, len(args))
	for i, a := range args {
		words[i] = a
		switch {
		case strings.ContainsAny(a, "$`\\\"!()*?[]{}|&;<>'"):
			words[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		case strings.ContainsAny(a, " \t"):
			words[i] = fmt.Sprintf("%q", a)
		}
	}
	return strings.Join(words, " ")
}

// show prints a command line that Go code stands in for (dev up blocks; the
// story starts the same cluster in-process) and records it.
func (s *state) show(args ...string) {
	line := commandLine(args)
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
