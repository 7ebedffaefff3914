package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kafkaguard/kafkaguard/internal/scram"
)

// TestUsersApplyRepairsMissingClientConfigs deletes client configs of applied
// users (as a Ctrl-C after the upsert once did): 'users plan' shows a repair
// line per user in text, json and markdown and exits 2 with
// --detailed-exitcode; 'users apply' rewrites the files exactly as a fresh
// write would, after which the plan is clean; no password is printed.
func TestUsersApplyRepairsMissingClientConfigs(t *testing.T) {
	_, secrets, conn := usersFixture(t, usersInventory)
	r := &usersRun{t: t}
	r.want(ExitOK, append([]string{"users", "apply", "--auto-approve"}, conn...)...)

	read := func(name string) []byte {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(secrets, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	fresh := map[string][]byte{}
	for _, f := range []string{"billing.properties", "reports.properties", "reports.librdkafka.properties", "orders-api.properties"} {
		fresh[f] = read(f)
	}
	for _, f := range []string{"billing.properties", "reports.properties", "reports.librdkafka.properties"} {
		if err := os.Remove(filepath.Join(secrets, f)); err != nil {
			t.Fatal(err)
		}
	}

	r.want(ExitFindings, append([]string{"users", "plan", "--detailed-exitcode"}, conn...)...)
	for _, want := range []string{
		"~ User:billing  repair: billing.properties missing: regenerated from the stored password",
		"~ User:reports  repair: reports.properties, reports.librdkafka.properties missing: regenerated from the stored password",
		"Users: 0 to create, 0 to change, 0 to remove, 2 to repair.",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("plan lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "orders-api") {
		t.Errorf("a complete user is planned:\n%s", r.stdout)
	}
	r.want(ExitFindings, append([]string{"users", "plan", "--detailed-exitcode", "-o", "json"}, conn...)...)
	var doc struct {
		Changes []struct{ Action, User string }
		Summary struct{ Repair int }
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Changes) != 2 || doc.Changes[0].Action != scram.ActionRepair || doc.Changes[0].User != "billing" || doc.Summary.Repair != 2 {
		t.Errorf("json plan:\n%s", r.stdout)
	}
	r.want(ExitOK, append([]string{"users", "plan", "-o", "markdown"}, conn...)...)
	if !strings.Contains(r.stdout, "~ User:reports  repair: ") || !strings.Contains(r.stdout, "2 to repair") {
		t.Errorf("markdown plan:\n%s", r.stdout)
	}
	// 'kafkaguard plan' counts the repairs as changes too.
	r.want(ExitFindings, append([]string{"plan", "--detailed-exitcode"}, conn...)...)
	if !strings.Contains(r.stdout, "User:billing  repair: ") {
		t.Errorf("kafkaguard plan:\n%s", r.stdout)
	}

	r.want(ExitOK, append([]string{"users", "apply", "--auto-approve"}, conn...)...)
	if !strings.Contains(r.stdout, "User:billing client configs regenerated") || !strings.Contains(r.stdout, "2 repaired, 0 failed.") {
		t.Errorf("apply:\n%s", r.stdout)
	}
	for f, want := range fresh {
		if got := read(f); !bytes.Equal(got, want) {
			t.Errorf("%s differs from a fresh write:\n%s\nwant:\n%s", f, got, want)
		}
		if fi, _ := os.Stat(filepath.Join(secrets, f)); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %04o", f, fi.Mode().Perm())
		}
	}
	r.want(ExitOK, append([]string{"users", "plan", "--detailed-exitcode"}, conn...)...)
	r.want(ExitOK, append([]string{"users", "verify"}, conn...)...)

	files, _ := filepath.Glob(filepath.Join(secrets, "*.password"))
	for _, f := range files {
		pw, err := scram.ReadPasswordFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(r.all.String(), pw) {
			t.Errorf("the password of %s was printed", filepath.Base(f))
		}
	}
}
