package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kafkaguard/kafkaguard/internal/devcluster"
	"github.com/kafkaguard/kafkaguard/internal/testutil"
	"github.com/kafkaguard/kafkaguard/internal/testutil/devtest"
)

// TestInterruptedApplyReportsWhatItDidAndConverges builds kafkaguard, starts
// a long apply (one binding per CreateAcls request) against a dev cluster
// and sends SIGINT once the first request is on the wire: apply finishes the
// request in flight, prints a result for every binding it sent (and the
// cluster holds exactly those), exits 130; the next apply converges and
// plan --detailed-exitcode exits 0.
func TestInterruptedApplyReportsWhatItDidAndConverges(t *testing.T) {
	bin := testutil.Kafkaguard(t, nil)
	dir := t.TempDir()
	dc := devtest.StartWith(context.Background(), t, devcluster.Options{Dir: filepath.Join(dir, "dev")})

	const topics = 1500 // 3000 bindings: a producer's WRITE and DESCRIBE on each
	invPath := writeProducerInventory(t, dir, "t%04d", topics)
	conn := []string{"-f", invPath, "--command-config", dc.AdminProperties()}

	cmd := exec.Command(bin, append(append([]string{"apply"}, conn...), "--auto-approve", "--batch-size", "1", "-v")...)
	var stdout strings.Builder
	cmd.Stdout = &stdout
	stderrPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	sc := bufio.NewScanner(stderrPipe)
	sent := false
	for sc.Scan() {
		line := sc.Text()
		stderr.WriteString(line + "\n")
		if !sent && strings.Contains(line, "wrote CreateACLs") {
			if err := cmd.Process.Signal(os.Interrupt); err != nil {
				t.Fatal(err)
			}
			sent = true
		}
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !sent || !errors.As(err, &exit) || exit.ExitCode() != ExitInterrupted {
		t.Fatalf("apply: signal sent %v, %v; want exit %d\nstdout:\n%.2000s\nstderr (end):\n%s", sent, err, ExitInterrupted, stdout.String(), tail(stderr.String(), 2000))
	}
	created := regexp.MustCompile(`(?m)^  \+ created  User:app ALLOW `).FindAllString(stdout.String(), -1)
	if len(created) == 0 || len(created) >= 2*topics {
		t.Fatalf("%d bindings reported created, want some but not all %d:\n%.2000s", len(created), 2*topics, stdout.String())
	}
	if strings.Contains(stdout.String(), "! failed") || strings.Contains(stdout.String(), "Apply complete") {
		t.Errorf("an interrupted apply reports a failure or completion:\n%.2000s", stdout.String())
	}
	if !regexp.MustCompile(fmt.Sprintf(`(?m)^kafkaguard: interrupted: %d of %d changes made before the stop; run 'apply' again: it converges$`, len(created), 2*topics)).MatchString(stderr.String()) {
		t.Errorf("no interrupted line for %d changes:\n%s", len(created), tail(stderr.String(), 1000))
	}
	t.Logf("interrupted after %d of %d bindings", len(created), 2*topics)
	// Every request sent ran to its end and was reported: the cluster holds
	// exactly the bindings apply says it created.
	cl := devtest.DialAdmin(context.Background(), t, dc)
	defer cl.Close()
	acls, err := cl.DescribeACLs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if acls.Len() != len(created) {
		t.Errorf("the cluster holds %d bindings, apply reported %d created", acls.Len(), len(created))
	}

	checkConverges(t, conn, 2*topics-len(created), "re-run")
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
