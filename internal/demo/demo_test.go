package demo_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kafkaguard/kafkaguard/internal/cli"
	"github.com/kafkaguard/kafkaguard/internal/demo"
)

// runDemo runs the whole demo in dir through the real CLI (skipping t under
// -short) and returns its outcome and the story it printed; t fails when a
// step misbehaves.
func runDemo(t *testing.T, dir string) (*demo.Outcome, *bytes.Buffer) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the end-to-end demo")
	}
	var out bytes.Buffer
	o, err := demo.Run(context.Background(), demo.Options{Dir: dir, Out: &out, CLI: cli.RunContext})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	return o, &out
}

// TestDemoStoryBehavesAsStated runs the whole demo and asserts every step,
// the audit's findings after the drift and the clean audit after apply.
func TestDemoStoryBehavesAsStated(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	start := time.Now()
	o, out := runDemo(t, dir)
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("the demo took %s, want under 30s", d)
	}
	if len(o.Steps) != len(demo.StepTitles()) || o.Failed() != nil {
		t.Fatalf("steps %+v", o.Steps)
	}
	for i, st := range o.Steps {
		if st.N != i+1 || st.Err != nil {
			t.Errorf("step %d (%s): %v", st.N, st.Title, st.Err)
		}
		if !strings.Contains(out.String(), st.Title) {
			t.Errorf("the story does not tell step %q", st.Title)
		}
	}
	var drift []string
	for _, f := range o.DriftFindings {
		drift = append(drift, f.ID)
		if f.Fix == "" || f.Resource == "" {
			t.Errorf("finding %s lacks a fix or a resource: %+v", f.ID, f)
		}
	}
	slices.Sort(drift)
	if want := demo.DriftIDs(); !slices.Equal(drift, want) {
		t.Errorf("drift findings %v, want %v", drift, want)
	}
	if len(o.CleanFindings) != 0 {
		t.Errorf("the final audit found %+v", o.CleanFindings)
	}
	for _, want := range []string{
		"orders-api produces to orders.events: allowed",
		"analytics writes to orders.events: denied (TOPIC_AUTHORIZATION_FAILED)",
		"mallory, a user nobody created, is refused at login",
		"No findings from 7 checks on cluster demo",
		"Done: every step behaved as stated",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the story lacks %q", want)
		}
	}
	// No secret in the story: not the admin's password nor any user's.
	secrets := []string{"changed-by-hand-7Qx2"}
	for _, name := range []string{"orders-api", "analytics"} {
		pw, err := os.ReadFile(filepath.Join(dir, "secrets", name+".password"))
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, strings.TrimSpace(string(pw)))
	}
	props, err := os.ReadFile(filepath.Join(dir, "pki", "admin.properties"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(props), "\n") {
		if _, rest, ok := strings.Cut(line, `password="`); ok {
			secrets = append(secrets, strings.SplitN(rest, `"`, 2)[0])
		}
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(out.String(), s) {
			t.Errorf("the story prints a secret")
		}
	}
}

// TestDemoStopsAtTheFirstStepThatMisbehaves checks the runner reports which
// step failed and does not go on.
func TestDemoStopsAtTheFirstStepThatMisbehaves(t *testing.T) {
	dir := t.TempDir()
	// A file where the CA directory must go makes step 1 fail.
	if err := os.WriteFile(filepath.Join(dir, "pki"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	o, err := demo.Run(context.Background(), demo.Options{Dir: dir, Out: &out, CLI: cli.RunContext})
	if err == nil || !strings.Contains(err.Error(), "demo step 1 (Create a certificate authority)") {
		t.Fatalf("err = %v", err)
	}
	if len(o.Steps) != 1 || o.Failed() == nil || o.Failed().N != 1 {
		t.Errorf("steps %+v", o.Steps)
	}
	if !strings.Contains(out.String(), "FAILED:") {
		t.Errorf("the story does not say the step failed:\n%s", out.String())
	}
}
