package cli

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

func TestProgressLineDrawsInPlaceAndClears(t *testing.T) {
	var errb, out bytes.Buffer
	pl := (&env{stderr: &errb, stderrTTY: true}).progress()
	pl.report("rotating SCRAM users", 1, 3)
	pl.report("rotating SCRAM users", 2, 3) // within progressInterval: not drawn
	fmt.Fprintln(pl.above(&out), "a line on stdout")
	pl.report("rotating SCRAM users", 2, 3) // drawn again below the line
	pl.report("rotating SCRAM users", 3, 3)
	pl.finish() // nothing left to clear
	want := "\r\033[Kkafkaguard: rotating SCRAM users 1/3" + "\r\033[K" +
		"\r\033[Kkafkaguard: rotating SCRAM users 2/3" + "\r\033[K"
	if errb.String() != want {
		t.Errorf("stderr = %q, want %q", errb.String(), want)
	}
	if out.String() != "a line on stdout\n" {
		t.Errorf("stdout = %q", out.String())
	}

	// Without a terminal nothing: a nil line, nil callbacks.
	pl = (&env{stderr: &errb}).progress()
	if pl != nil || pl.fn("x") != nil || pl.above(&out) != &out {
		t.Fatal("progress without a terminal")
	}
	pl.report("x", 1, 2)
	pl.finish()
}

var progressRE = regexp.MustCompile(`SCRAM users \d+/\d+`)

// Long SCRAM work (rotate --all, verify, audit's logins) shows a progress
// line on stderr when it is a terminal, and none when it is not; the summary
// line with counts and elapsed time is there either way.
func TestLongSCRAMWorkShowsProgressOnATerminal(t *testing.T) {
	var inv strings.Builder
	inv.WriteString("cluster: {name: dev}\nprincipals:\n  admin: {auth: scram-sha-512, team: platform, superuser: true}\n")
	for i := range 6 {
		fmt.Fprintf(&inv, "  app%d: {auth: scram-sha-512, team: t}\n", i)
	}
	_, secrets, conn := usersFixture(t, inv.String())
	r := &usersRun{t: t}
	r.want(ExitOK, append([]string{"users", "apply", "--auto-approve"}, conn...)...)
	steps := []struct {
		args     []string
		progress string
		summary  string
	}{
		{append([]string{"users", "rotate", "--all", "--auto-approve"}, conn...), "kafkaguard: rotating SCRAM users 1/7", "kafkaguard: rotated 6 of 6 users (0 failed) in "},
		{append([]string{"users", "verify", "-o", "json"}, conn...), "kafkaguard: logging in as SCRAM users 1/6", "kafkaguard: verified 7 users (0 not ok) in "},
		{[]string{"audit", "-f", conn[1], "--command-config", conn[3], "--secrets-dir", secrets}, "kafkaguard: audit dev: logging in as SCRAM users 1/6", "audit dev: "},
	}
	for _, st := range steps {
		for _, tty := range []bool{true, false} {
			r.tty = tty
			code := r.run(st.args...)
			if code != ExitOK && (st.args[0] != "audit" || code != ExitFindings) {
				t.Fatalf("%s: exit %d\n%s", strings.Join(st.args, " "), code, r.stderr)
			}
			if got := strings.Contains(r.stderr, "\r\033[K"+st.progress); got != tty {
				t.Errorf("%s with a terminal %v: progress line shown %v:\n%q", strings.Join(st.args[:2], " "), tty, got, r.stderr)
			}
			// What the terminal shows of each line is what follows its last
			// clear: never a progress line with other output run on after it.
			for _, line := range strings.Split(r.stderr, "\n") {
				if visible := line[strings.LastIndex(line, "\r\033[K")+1:]; progressRE.MatchString(visible) {
					t.Errorf("%s: a progress line is left on the terminal: %q", strings.Join(st.args[:2], " "), line)
				}
			}
			if !strings.Contains(r.stderr, st.summary) {
				t.Errorf("%s: no summary %q:\n%s", strings.Join(st.args[:2], " "), st.summary, r.stderr)
			}
		}
	}
}
