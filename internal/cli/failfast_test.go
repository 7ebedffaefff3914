package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/devcluster"
	"github.com/kafkaguard/kafkaguard/internal/testutil/devtest"
)

// failFastTimeout is the --timeout of the fail-fast tests: each request
// waits at most this long for an answer.
const failFastTimeout = 2 * time.Second

// failFastSetup starts a dev cluster (ACLs persisted in a data dir, closed
// when the test ends), writes an inventory of topics*2 bindings and returns
// the connection flags for kafkaguard run in-process (runCLI).
func failFastSetup(t *testing.T, topics int) (dir string, dc *devcluster.Cluster, conn []string) {
	return failFastSetupWith(t, topics, "  app: {auth: mtls, team: a}\n")
}

// failFastSetupWith is failFastSetup with principals, the inventory's
// principals section (which declares app), and a secrets directory. Both
// skip t under -short.
func failFastSetupWith(t *testing.T, topics int, principals string) (dir string, dc *devcluster.Cluster, conn []string) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a dev cluster")
	}
	dir = t.TempDir()
	dc = devtest.StartWith(context.Background(), t, devcluster.Options{Dir: filepath.Join(dir, "dev"), DataDir: filepath.Join(dir, "data")})
	invPath := writeInventory(t, dir, principals, "t%03d", topics)
	conn = []string{"-f", invPath, "--command-config", dc.AdminProperties(), "--timeout", failFastTimeout.String(), "--secrets-dir", filepath.Join(dir, "secrets")}
	return dir, dc, conn
}

// writeProducerInventory writes dir/inventory.yaml: principal app is the
// producer of topics topics named by nameFormat (2 bindings each), and
// returns its path.
func writeProducerInventory(t *testing.T, dir, nameFormat string, topics int) string {
	t.Helper()
	return writeInventory(t, dir, "  app: {auth: mtls, team: a}\n", nameFormat, topics)
}

// writeInventory is writeProducerInventory with principals, the
// inventory's principals section (which declares app).
func writeInventory(t *testing.T, dir, principals, nameFormat string, topics int) string {
	t.Helper()
	var inv strings.Builder
	inv.WriteString("principals:\n" + principals + "topics:\n")
	var names []string
	for i := range topics {
		name := fmt.Sprintf(nameFormat, i)
		names = append(names, name)
		fmt.Fprintf(&inv, "  %s: {team: a, classification: internal}\n", name)
	}
	fmt.Fprintf(&inv, "grants:\n  - {principal: app, role: producer, topics: [%s]}\n", strings.Join(names, ", "))
	invPath := filepath.Join(dir, "inventory.yaml")
	if err := os.WriteFile(invPath, []byte(inv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return invPath
}

// checkStopped checks the output of an apply stopped at the in-flight
// CreateAcls request number inFlight (batch size 1) of total: the bindings
// before it created, it unknown, nothing after it attempted (no result, no
// "failed"), exit 1 with the stopped line and the hint.
func checkStopped(t *testing.T, code int, out, errOut string, inFlight, total int) {
	t.Helper()
	if code != ExitError {
		t.Fatalf("apply: exit %d, want %d\n%s\n%s", code, ExitError, out, errOut)
	}
	created := regexp.MustCompile(`(?m)^  \+ created  User:app ALLOW `).FindAllString(out, -1)
	unknown := regexp.MustCompile(`(?m)^  \? unknown  \+ User:app ALLOW .*: create ACLs: `).FindAllString(out, -1)
	if len(created) != inFlight-1 || len(unknown) != 1 {
		t.Errorf("%d created and %d unknown results, want %d and 1:\n%s", len(created), len(unknown), inFlight-1, out)
	}
	if strings.Contains(out, "! failed") || strings.Contains(out, "Apply complete") {
		t.Errorf("a stopped apply reports failures or completion:\n%s", out)
	}
	want := fmt.Sprintf("kafkaguard: error: apply: stopped in section acls after %d of %d changes: 1 unknown (no answer), %d not attempted: ", inFlight-1, total, total-inFlight)
	if !strings.Contains(errOut, want) || !strings.Contains(errOut, "kafkaguard: hint: check that the brokers run") ||
		!strings.Contains(errOut, "the 1 changes marked 'unknown' may or may not have been made: once the cluster answers, run apply again: it converges") {
		t.Errorf("stderr lacks %q and the hint:\n%s", want, errOut)
	}
}

// TestApplyStopsWhenTheBrokerStops stops the dev cluster while the third
// CreateAcls request (--batch-size 1) is in flight: apply waits one
// --timeout for an answer, reports that binding unknown, attempts nothing
// more and exits 1; after the cluster restarts (same data dir), apply
// converges and plan --detailed-exitcode exits 0.
func TestApplyStopsWhenTheBrokerStops(t *testing.T) {
	const topics, inFlight = 10, 3
	dir, dc, conn := failFastSetup(t, topics)
	var requests atomic.Int32
	stopped := make(chan struct{})
	kf := dc.Kfake()
	kf.ControlKey(int16(kmsg.CreateACLs), func(kmsg.Request) (kmsg.Response, error, bool) {
		if requests.Add(1) != inFlight {
			return nil, nil, false
		}
		// The broker goes away with the request unanswered.
		go func() { dc.Close(); close(stopped) }()
		return nil, errors.New("broker stopped"), true
	})

	code, out, errOut := applyUntilStopped(t, conn, "--batch-size", "1")
	checkStopped(t, code, out, errOut, inFlight, 2*topics)
	if n := requests.Load(); n != inFlight {
		t.Errorf("%d CreateAcls requests reached the broker, want %d", n, inFlight)
	}

	<-stopped
	devtest.StartWith(context.Background(), t, devcluster.Options{Dir: filepath.Join(dir, "dev"), DataDir: filepath.Join(dir, "data"), Listen: dc.Addr()})
	checkConverges(t, conn, 2*topics-(inFlight-1), "re-run after the restart")
}

// TestApplyStopsWhenTheBrokerHangs makes the dev cluster hold the third
// CreateAcls request (--batch-size 1) without answering: apply gives up
// after one --timeout, reports that binding unknown (not failed), attempts
// nothing more and exits 1. The broker then commits the held request, as a
// real one may: the cluster holds the "unknown" binding, and a re-run
// converges (plan --detailed-exitcode exits 0).
func TestApplyStopsWhenTheBrokerHangs(t *testing.T) {
	const topics, inFlight = 10, 3
	_, dc, conn := failFastSetup(t, topics)
	requests, release := holdRequests(t, dc, kmsg.CreateACLs, inFlight)

	code, out, errOut := applyUntilStopped(t, conn, "--batch-size", "1")
	checkStopped(t, code, out, errOut, inFlight, 2*topics)
	if !strings.Contains(errOut, "raise --timeout (now 2s)") {
		t.Errorf("a timed-out request's hint does not name --timeout:\n%s", errOut)
	}
	release()

	// The unknown binding was committed after apply gave up on it.
	cl := devtest.DialAdmin(context.Background(), t, dc)
	defer cl.Close()
	var (
		acls acl.Set
		err  error
	)
	for range 50 { // the broker commits the released request on its own time
		if acls, err = cl.DescribeACLs(context.Background()); err != nil || acls.Len() == inFlight {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil || acls.Len() != inFlight {
		t.Fatalf("the cluster holds %d bindings (%v), want the %d sent", acls.Len(), err, inFlight)
	}
	if n := requests.Load(); n != inFlight {
		t.Errorf("%d CreateAcls requests reached the broker, want %d", n, inFlight)
	}

	checkConverges(t, conn, 2*topics-inFlight, "re-run")
}

// applyUntilStopped runs apply (with extra flags) against a cluster that
// stops answering, logs its output and fails t when it took more than a few
// --timeouts: it must give up after one, where the old behaviour waited a
// timeout for each remaining request.
func applyUntilStopped(t *testing.T, conn []string, extra ...string) (code int, out, errOut string) {
	t.Helper()
	start := time.Now()
	code, out, errOut = runCLI(t, append(append(append([]string{"apply"}, conn...), "--auto-approve"), extra...)...)
	elapsed := time.Since(start)
	t.Logf("apply's output (%s, --timeout %s):\n%s%s", elapsed, failFastTimeout, out, errOut)
	if elapsed > 5*failFastTimeout {
		t.Errorf("apply took %s with --timeout %s", elapsed, failFastTimeout)
	}
	return code, out, errOut
}

// checkConverges re-runs apply, which must add the added bindings it
// lacks and complete, and then wants plan --detailed-exitcode to exit 0: a
// re-run converges. what names the re-run in failures.
func checkConverges(t *testing.T, conn []string, added int, what string) {
	t.Helper()
	code, out, errOut := runCLI(t, append(append([]string{"apply"}, conn...), "--auto-approve")...)
	if code != ExitOK || !strings.Contains(out, fmt.Sprintf("Apply complete: %d added, 0 changed, 0 removed", added)) {
		t.Fatalf("%s: exit %d\n%.2000s\n%s", what, code, out, errOut)
	}
	if code, out, errOut := runCLI(t, append([]string{"plan", "--detailed-exitcode"}, conn...)...); code != ExitOK {
		t.Fatalf("plan --detailed-exitcode after the %s: exit %d\n%.2000s\n%s", what, code, out, errOut)
	}
}

// countRequests counts the requests of key that dc receives and lets each
// through.
func countRequests(dc *devcluster.Cluster, key kmsg.Key) *atomic.Int64 {
	n := new(atomic.Int64)
	kf := dc.Kfake()
	kf.ControlKey(int16(key), func(kmsg.Request) (kmsg.Response, error, bool) {
		kf.KeepControl()
		n.Add(1)
		return nil, nil, false
	})
	return n
}

// holdRequests makes the dev cluster hold request number only of key (every
// request of key when only is 0) without answering until the returned
// release is called; n counts the requests of key.
func holdRequests(t *testing.T, dc *devcluster.Cluster, key kmsg.Key, only int32) (n *atomic.Int32, release func()) {
	t.Helper()
	n = new(atomic.Int32)
	ch := make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(ch) }) }
	t.Cleanup(release)
	kf := dc.Kfake()
	kf.ControlKey(int16(key), func(kmsg.Request) (kmsg.Response, error, bool) {
		kf.KeepControl()
		if i := n.Add(1); only == 0 || i == only {
			kf.SleepControl(func() { <-ch })
		}
		return nil, nil, false
	})
	return n, release
}

// TestApplyStopsWhenTheBrokerHangsOnUsers holds the AlterUserScramCredentials
// request of the users section: apply gives up after one --timeout, reports
// the three users unknown, sends no ACL request (the later section) and
// exits 1. The held request is then committed: the unknown users are in
// sync with the passwords apply kept for them, and a re-run converges.
func TestApplyStopsWhenTheBrokerHangsOnUsers(t *testing.T) {
	const topics = 4
	_, dc, conn := failFastSetupWith(t, topics, "  app: {auth: mtls, team: a}\n  u1: {auth: scram-sha-512, team: a}\n  u2: {auth: scram-sha-256, team: a}\n  u3: {auth: scram-sha-512, team: a}\n")
	alters, release := holdRequests(t, dc, kmsg.AlterUserSCRAMCredentials, 0)
	acls := countRequests(dc, kmsg.CreateACLs)

	code, out, errOut := applyUntilStopped(t, conn)
	unknown := regexp.MustCompile(`(?m)^  \? unknown  \+ User:u[123]: create user u[123]: alter SCRAM credentials: no answer from `).FindAllString(out, -1)
	if code != ExitError || len(unknown) != 3 || strings.Contains(out, "! failed") || strings.Contains(out, "created") {
		t.Fatalf("apply: exit %d, %d unknown users, want exit 1 and 3 unknown, nothing else", code, len(unknown))
	}
	if want := fmt.Sprintf("apply: stopped in section users after 0 of %d changes: 3 unknown (no answer), %d not attempted: ", 3+2*topics, 2*topics); !strings.Contains(errOut, want) ||
		!strings.Contains(errOut, "raise --timeout (now 2s)") {
		t.Errorf("stderr lacks %q and the hint:\n%s", want, errOut)
	}
	if a, c := alters.Load(), acls.Load(); a != 1 || c != 0 {
		t.Errorf("%d AlterUserScramCredentials and %d CreateAcls requests reached the broker, want 1 and 0", a, c)
	}

	release()
	for range 50 { // the broker commits the released request on its own time
		if _, out, _ = runCLI(t, append([]string{"plan"}, conn...)...); !strings.Contains(out, "+ User:u") {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if strings.Contains(out, "+ User:u") {
		t.Fatalf("the held upserts were not committed:\n%s", out)
	}
	checkConverges(t, conn, 2*topics, "re-run")
}

// TestUsersApplyReportsNoAnswerAsUnknown holds the AlterUserScramCredentials
// request of 'users apply': the users it carried are listed unknown (the
// cluster may hold them), not failed, in text and JSON, and the run exits 1.
func TestUsersApplyReportsNoAnswerAsUnknown(t *testing.T) {
	_, dc, conn := failFastSetupWith(t, 1, "  app: {auth: mtls, team: a}\n  u1: {auth: scram-sha-512, team: a}\n  u2: {auth: scram-sha-256, team: a}\n")
	_, release := holdRequests(t, dc, kmsg.AlterUserSCRAMCredentials, 0)
	defer release()

	code, out, errOut := runCLI(t, append(append([]string{"users", "apply"}, conn...), "--auto-approve")...)
	unknown := regexp.MustCompile(`(?m)^  \? User:u[12] create unknown: create user u[12]: alter SCRAM credentials: no answer from `).FindAllString(out, -1)
	if code != ExitError || len(unknown) != 2 || strings.Contains(out, "failed:") ||
		!strings.Contains(out, "Users applied: 0 created, 0 changed, 0 removed, 0 failed, 2 unknown (no answer: ") ||
		!strings.Contains(errOut, "kafkaguard: applied 0 of 2 user changes (0 failed, 2 unknown) in ") {
		t.Fatalf("users apply: exit %d, want 1 and 2 unknown users\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, append(append([]string{"users", "apply"}, conn...), "--auto-approve", "-o", "json")...)
	if code != ExitError || strings.Count(out, `"status": "unknown"`) != 2 || strings.Contains(out, `"failed"`) {
		t.Fatalf("users apply -o json: exit %d, want 1 and 2 unknown\n%s\n%s", code, out, errOut)
	}
}

// TestUsersApplyInterruptedFinishesTheRequestInFlight stops 'users apply'
// (Ctrl-C: its context ends) while its AlterUserScramCredentials request is
// on the wire: the request runs to its end, every user it carried is
// reported created, the exit code is 130, and the next plan is clean.
func TestUsersApplyInterruptedFinishesTheRequestInFlight(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a dev cluster")
	}
	_, dc, conn := failFastSetupWith(t, 1, "  app: {auth: mtls, team: a}\n  u1: {auth: scram-sha-512, team: a}\n  u2: {auth: scram-sha-256, team: a}\n")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	kf := dc.Kfake()
	kf.ControlKey(int16(kmsg.AlterUserSCRAMCredentials), func(kmsg.Request) (kmsg.Response, error, bool) {
		cancel() // Ctrl-C while the request is on the wire
		return nil, nil, false
	})
	var out, errOut strings.Builder
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}
	code := e.runContext(ctx, append(append([]string{"kafkaguard", "users", "apply"}, conn...), "--auto-approve"))
	if code != ExitInterrupted || !strings.Contains(out.String(), "  User:u1 created (new password in ") || !strings.Contains(out.String(), "  User:u2 created (") ||
		!strings.Contains(out.String(), "Users applied: 2 created, 0 changed, 0 removed, 0 failed.") ||
		!strings.Contains(errOut.String(), "kafkaguard: interrupted: 2 of 2 changes made before the stop") {
		t.Fatalf("users apply: exit %d, want %d and both users created\n%s\n%s", code, ExitInterrupted, out.String(), errOut.String())
	}
	if code, out, errOut := runCLI(t, append([]string{"users", "plan", "--detailed-exitcode"}, conn...)...); code != ExitOK {
		t.Fatalf("users plan after the interrupted apply: exit %d\n%s\n%s", code, out, errOut)
	}
}

// TestApplyStopsWhenTheBrokerHangsOnQuotas holds the AlterClientQuotas
// request: apply gives up after one --timeout, reports the quota changes
// unknown (not failed) and exits 1; once the held request is committed, a
// re-run converges.
func TestApplyStopsWhenTheBrokerHangsOnQuotas(t *testing.T) {
	const topics = 2
	_, dc, conn := failFastSetupWith(t, topics, "  app: {auth: mtls, team: a, quotas: {producer_byte_rate: 1048576}}\n  etl: {auth: mtls, team: a, quotas: {consumer_byte_rate: 2097152}}\n")
	alters, release := holdRequests(t, dc, kmsg.AlterClientQuotas, 0)

	code, out, errOut := applyUntilStopped(t, conn)
	unknown := regexp.MustCompile(`(?m)^  \? unknown  \+ User:(app|etl) .*: alter client quotas: no answer from `).FindAllString(out, -1)
	if code != ExitError || len(unknown) != 2 || strings.Contains(out, "! failed") {
		t.Fatalf("apply: exit %d, %d unknown quotas, want exit 1 and 2", code, len(unknown))
	}
	if want := fmt.Sprintf("apply: stopped in section quotas after %d of %d changes: 2 unknown (no answer), 0 not attempted: ", 2*topics, 2*topics+2); !strings.Contains(errOut, want) {
		t.Errorf("stderr lacks %q:\n%s", want, errOut)
	}
	if n := alters.Load(); n != 1 {
		t.Errorf("%d AlterClientQuotas requests reached the broker, want 1", n)
	}

	release()
	for range 50 { // the broker commits the released request on its own time
		if code, out, errOut = runCLI(t, append([]string{"plan", "--detailed-exitcode"}, conn...)...); code == ExitOK {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code != ExitOK {
		t.Fatalf("plan --detailed-exitcode after the release: exit %d\n%s\n%s", code, out, errOut)
	}
}
