package scram

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
)

func TestNoteRepairsPlansARepairForAnInSyncUserWithMissingConfigs(t *testing.T) {
	desired := []DesiredUser{
		{Name: "a", Mechanism: SHA512, Iterations: 4096},
		{Name: "b", Mechanism: SHA256, Iterations: 4096},
		{Name: "c", Mechanism: SHA512, Iterations: 4096},
		{Name: "ext", Mechanism: SHA512, Iterations: 4096},
		{Name: "new", Mechanism: SHA512, Iterations: 4096},
	}
	actual := map[string][]cluster.SCRAMCredentialInfo{
		"a":   {{Mechanism: SHA512, Iterations: 4096}},
		"b":   {{Mechanism: SHA256, Iterations: 4096}},
		"c":   {{Mechanism: SHA512, Iterations: 4096}},
		"ext": {{Mechanism: SHA512, Iterations: 4096}},
	}
	missing := map[string][]string{"b": {"b.properties"}, "c": {"c.properties", "c.librdkafka.properties"}, "ext": {"ext.properties"}, "new": {"new.properties"}}
	p := PlanUsers(desired, actual, acl.Scope{}, false, "")
	p.NoteRepairs(desired, []string{"ext"}, func(u string) []string { return missing[u] })

	var got []string
	for _, c := range p.Changes {
		got = append(got, c.Action+" "+c.User)
	}
	if want := []string{"create new", "repair b", "repair c"}; !slices.Equal(got, want) {
		t.Fatalf("changes %v, want %v", got, want)
	}
	if !slices.Equal(p.InSync, []string{"a", "ext"}) {
		t.Errorf("in sync %v", p.InSync)
	}
	r := p.Changes[2]
	if r.Mechanism != SHA512 || r.Upsert || len(r.Delete) != 0 {
		t.Errorf("repair touches the cluster: %+v", r)
	}
	if pc := r.PlanChange(); pc.Action.Mark() != "~" || pc.Detail != "repair: c.properties, c.librdkafka.properties missing: regenerated from the stored password" {
		t.Errorf("plan line %q %q", pc.Action.Mark(), pc.Detail)
	}
	if p.Repairs() != 2 || p.Empty() {
		t.Errorf("repairs %d", p.Repairs())
	}
	if got := p.Summary(); got != "Users: 1 to create, 0 to change, 0 to remove, 2 to repair." {
		t.Errorf("summary %q", got)
	}
	if j := p.JSON().(jsonPlan); j.Summary.Repair != 2 || j.Summary.Create != 1 {
		t.Errorf("json summary %+v", j.Summary)
	}
	// A store with every file: nothing to repair, the summary as before.
	clean := PlanUsers(desired[:3], actual, acl.Scope{}, false, "")
	clean.NoteRepairs(desired, nil, func(string) []string { return nil })
	if !clean.Empty() || clean.Summary() != "No user changes. The cluster's SCRAM users match the inventory." {
		t.Errorf("clean plan: %+v", clean)
	}
}

// storeWithUser opens a store in a fresh directory that holds user's
// password (mechanism mech) and client configs, written with the returned
// settings.
func storeWithUser(t *testing.T, user, mech string) (*Store, ClientSettings) {
	t.Helper()
	store, err := OpenStore(filepath.Join(t.TempDir(), "s"), true)
	if err != nil {
		t.Fatal(err)
	}
	cs := ClientSettings{Bootstrap: []string{"k:9092"}, SecurityProtocol: "SASL_PLAINTEXT"}
	if err := store.Write(user, mech, "a-good-password-1", cs); err != nil {
		t.Fatal(err)
	}
	return store, cs
}

func TestStoreMissingConfigsNamesOnlyTheMissingFilesOfAStoredUser(t *testing.T) {
	store, _ := storeWithUser(t, "u", SHA512)
	if m := store.MissingConfigs("u"); m != nil {
		t.Errorf("complete store: %v", m)
	}
	os.Remove(store.LibrdkafkaPath("u"))
	if m := store.MissingConfigs("u"); !slices.Equal(m, []string{"u.librdkafka.properties"}) {
		t.Errorf("missing %v", m)
	}
	if m := store.MissingConfigs("nobody"); m != nil {
		t.Errorf("user without a password: %v", m)
	}
}

// checkingAdmin fails the test when an upserted user has no client configs
// in the store at the moment the upsert reaches the cluster.
type checkingAdmin struct {
	fakeAdmin
	t     *testing.T
	store *Store
}

func (c *checkingAdmin) AlterSCRAM(ctx context.Context, del []cluster.SCRAMDeletion, up []cluster.SCRAMUpsert) ([]cluster.SCRAMResult, error) {
	for _, u := range up {
		for _, p := range []string{c.store.PasswordPath(u.User), c.store.PropertiesPath(u.User), c.store.LibrdkafkaPath(u.User)} {
			if _, err := os.Stat(p); err != nil {
				c.t.Errorf("upsert of %s sent before %s was written", u.User, filepath.Base(p))
			}
		}
	}
	return c.fakeAdmin.AlterSCRAM(ctx, del, up)
}

func TestApplyWritesClientConfigsBeforeTheUpsert(t *testing.T) {
	store, _ := OpenStore(filepath.Join(t.TempDir(), "s"), true)
	ca := &checkingAdmin{fakeAdmin: fakeAdmin{creds: map[string][]cluster.SCRAMCredentialInfo{}}, t: t, store: store}
	p := PlanUsers([]DesiredUser{{Name: "x", Mechanism: SHA512, Iterations: 4096}, {Name: "y", Mechanism: SHA256, Iterations: 4096}}, nil, acl.Scope{}, false, "")
	for _, r := range (&Applier{Admin: ca, Store: store}).Apply(context.Background(), p) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
}

func TestApplyPutsTheOldConfigsBackWhenAnUpdateUpsertFails(t *testing.T) {
	store, cs := storeWithUser(t, "u", SHA256)
	before, _ := os.ReadFile(store.PropertiesPath("u"))
	fa := &fakeAdmin{creds: map[string][]cluster.SCRAMCredentialInfo{"u": {{Mechanism: SHA256, Iterations: 4096}}}, fail: map[string]error{"u": errors.New("UNACCEPTABLE_CREDENTIAL")}}
	p := PlanUsers([]DesiredUser{{Name: "u", Mechanism: SHA512, Iterations: 4096}}, fa.creds, acl.Scope{}, false, "")
	res := (&Applier{Admin: fa, Store: store, Settings: cs}).Apply(context.Background(), p)
	if len(res) != 1 || res[0].Err == nil {
		t.Fatalf("results %+v", res)
	}
	after, _ := os.ReadFile(store.PropertiesPath("u"))
	if !bytes.Equal(before, after) || !strings.Contains(string(after), SHA256) {
		t.Errorf("configs not put back:\n%s", after)
	}
	if !store.Has("u") {
		t.Error("a stored password was removed")
	}
}

func TestApplyInterruptedBeforeTheUpsertLeavesNoConfigs(t *testing.T) {
	store, _ := OpenStore(filepath.Join(t.TempDir(), "s"), true)
	fa := &fakeAdmin{creds: map[string][]cluster.SCRAMCredentialInfo{}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := PlanUsers([]DesiredUser{{Name: "z", Mechanism: SHA512, Iterations: 4096}}, nil, acl.Scope{}, false, "")
	(&Applier{Admin: fa, Store: store}).Apply(ctx, p)
	if len(fa.creds) != 0 {
		t.Fatal("upsert sent after the stop")
	}
	for _, path := range []string{store.PasswordPath("z"), store.PropertiesPath("z"), store.LibrdkafkaPath("z")} {
		if _, err := os.Stat(path); err == nil {
			t.Errorf("%s left for a user never created", path)
		}
	}
}

func TestApplyRepairRewritesTheConfigsWithoutTouchingTheCluster(t *testing.T) {
	store, cs := storeWithUser(t, "u", SHA512)
	want, _ := os.ReadFile(store.PropertiesPath("u"))
	wantLib, _ := os.ReadFile(store.LibrdkafkaPath("u"))
	os.Remove(store.PropertiesPath("u"))
	os.Remove(store.LibrdkafkaPath("u"))
	ca := &countingAdmin{fakeAdmin: fakeAdmin{creds: map[string][]cluster.SCRAMCredentialInfo{}}, deleted: map[cluster.SCRAMDeletion]int{}}
	p := UserPlan{Changes: []UserChange{{Action: ActionRepair, User: "u", Mechanism: SHA512}}}
	res := (&Applier{Admin: ca, Store: store, Settings: cs}).Apply(context.Background(), p)
	if len(res) != 1 || res[0].Err != nil || res[0].Action != ActionRepair {
		t.Fatalf("results %+v", res)
	}
	if len(ca.creds) != 0 || len(ca.deleted) != 0 {
		t.Error("a repair changed the cluster")
	}
	got, _ := os.ReadFile(store.PropertiesPath("u"))
	gotLib, _ := os.ReadFile(store.LibrdkafkaPath("u"))
	if !bytes.Equal(got, want) || !bytes.Equal(gotLib, wantLib) {
		t.Errorf("repaired files differ from a fresh write:\n%s\n%s", got, gotLib)
	}
	if fi, err := os.Stat(store.PropertiesPath("u")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode: %v %v", fi, err)
	}
}

// recordingAdmin is a fakeAdmin that keeps every credential upserted, so a
// test can check that each user's stored password is the one the cluster
// holds.
type recordingAdmin struct {
	fakeAdmin
	requests int
	upserted map[string]cluster.SCRAMUpsert
}

func newRecordingAdmin() *recordingAdmin {
	return &recordingAdmin{fakeAdmin: fakeAdmin{creds: map[string][]cluster.SCRAMCredentialInfo{}}, upserted: map[string]cluster.SCRAMUpsert{}}
}

func (r *recordingAdmin) AlterSCRAM(ctx context.Context, del []cluster.SCRAMDeletion, up []cluster.SCRAMUpsert) ([]cluster.SCRAMResult, error) {
	r.requests++
	for _, u := range up {
		r.upserted[u.User] = u
	}
	for _, d := range del {
		r.creds[d.User] = slices.DeleteFunc(r.creds[d.User], func(c cluster.SCRAMCredentialInfo) bool { return c.Mechanism == d.Mechanism })
	}
	return r.fakeAdmin.AlterSCRAM(ctx, del, up)
}

// checkConverged fails unless every desired user is on the cluster with a
// credential made from the password its store holds, and has its three
// files, each mode 0600.
func checkConverged(t *testing.T, ra *recordingAdmin, store *Store, desired []DesiredUser) {
	t.Helper()
	if again := PlanUsers(desired, ra.creds, acl.Scope{}, false, ""); !again.Empty() {
		t.Fatalf("re-plan not empty: %+v", again.Changes)
	}
	for _, d := range desired {
		pw, err := store.Password(d.Name)
		if err != nil {
			t.Fatalf("%s: %v", d.Name, err)
		}
		up := ra.upserted[d.Name]
		cred, err := DeriveWithSalt(d.Mechanism, pw, up.Salt, up.Iterations)
		if err != nil || !bytes.Equal(cred.SaltedPassword, up.SaltedPassword) {
			t.Errorf("%s: the stored password is not the one on the cluster (%v)", d.Name, err)
		}
		for _, path := range []string{store.PasswordPath(d.Name), store.PropertiesPath(d.Name), store.LibrdkafkaPath(d.Name)} {
			fi, err := os.Stat(path)
			if err != nil {
				t.Errorf("%s: %v", d.Name, err)
				continue
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s has mode %04o, want 0600", path, fi.Mode().Perm())
			}
			if data, _ := os.ReadFile(path); !strings.Contains(string(data), pw) {
				t.Errorf("%s does not hold the stored password", path)
			}
		}
	}
}

func desiredUsers(n int) []DesiredUser {
	out := make([]DesiredUser, n)
	for i := range out {
		mech := SHA512
		if i%3 == 0 {
			mech = SHA256
		}
		out[i] = DesiredUser{Name: fmt.Sprintf("u%03d", i), Mechanism: mech, Iterations: 4096}
	}
	return out
}

// A batch whose directory fsync fails is never sent: its users fail, their
// new files are taken back, the other batches go on, and a re-run creates
// just those users.
func TestApplyDirSyncFailureSendsNothingOfTheBatchAndReRunConverges(t *testing.T) {
	store, _ := OpenStore(filepath.Join(t.TempDir(), "s"), true)
	desired := desiredUsers(10)
	ra := newRecordingAdmin()
	syncs := 0
	a := &Applier{Admin: ra, Store: store, Batch: 4, Workers: 3, syncDir: func(string) error {
		syncs++
		if syncs == 2 {
			return errors.New("input/output error")
		}
		return nil
	}}
	res := a.Apply(context.Background(), PlanUsers(desired, nil, acl.Scope{}, false, ""))
	if len(res) != len(desired) || ra.requests != 2 {
		t.Fatalf("%d results, %d requests; want %d and 2 (the failed batch not sent)", len(res), ra.requests, len(desired))
	}
	for i, r := range res {
		if r.User != desired[i].Name {
			t.Fatalf("result %d is %s, want %s: not in plan order", i, r.User, desired[i].Name)
		}
		failed := i >= 4 && i < 8
		if (r.Err != nil) != failed {
			t.Errorf("%s: err %v, want failed %v", r.User, r.Err, failed)
		}
		if failed && !strings.Contains(r.Err.Error(), "write secrets: input/output error") {
			t.Errorf("%s: %v", r.User, r.Err)
		}
		if failed && (store.Has(r.User) || len(snapshotConfigs(store, r.User)) != 2 || snapshotConfigs(store, r.User)[store.PropertiesPath(r.User)] != nil) {
			t.Errorf("%s: files of a user never sent were kept", r.User)
		}
	}
	res = (&Applier{Admin: ra, Store: store, Batch: 4}).Apply(context.Background(), PlanUsers(desired, ra.creds, acl.Scope{}, false, ""))
	if len(res) != 4 || res[0].User != "u004" {
		t.Fatalf("re-run results %+v, want the 4 users of the failed batch", res)
	}
	checkConverged(t, ra, store, desired)
}

// errKilled stands for the process being killed: the applier stops where it
// is, nothing after that point runs (no undo).
var errKilled = errors.New("killed")

// A kill between a batch's writes and its directory fsync leaves renamed
// files that a power loss may or may not keep, and temporary files of the
// writes it cut short; nothing was sent. Whatever subset survived, a
// re-run converges: it reuses a surviving password, makes new ones for the
// lost, rewrites the configs, and every stored password is the cluster's.
func TestApplyKilledMidBatchBeforeTheDirSyncConverges(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "s")
	store, _ := OpenStore(dir, true)
	cs := ClientSettings{Bootstrap: []string{"k:9092"}, SecurityProtocol: "SASL_PLAINTEXT"}
	desired := desiredUsers(12)
	ra := newRecordingAdmin()
	// u001 already had a password and configs of another mechanism.
	if err := store.Write("u001", SHA256, "an-older-password-1", cs); err != nil {
		t.Fatal(err)
	}
	ra.creds["u001"] = []cluster.SCRAMCredentialInfo{{Mechanism: SHA256, Iterations: 8192}}
	func() {
		defer func() {
			if r := recover(); r != errKilled {
				panic(r)
			}
		}()
		a := &Applier{Admin: ra, Store: store, Settings: cs, Batch: 5, syncDir: func(string) error { panic(errKilled) }}
		a.Apply(context.Background(), PlanUsers(desired, ra.creds, acl.Scope{}, false, ""))
		t.Fatal("the kill did not stop apply")
	}()
	if ra.requests != 0 {
		t.Fatalf("%d requests sent before the directory fsync", ra.requests)
	}
	kept, _ := store.Password("u002")
	// What the crash kept of the first batch's renames: u000 lost its
	// password, u002 kept everything, u003 lost its configs, u004 lost
	// everything; a write cut short left a temporary file.
	for _, p := range []string{store.PasswordPath("u000"), store.PropertiesPath("u003"), store.LibrdkafkaPath("u003"),
		store.PasswordPath("u004"), store.PropertiesPath("u004"), store.LibrdkafkaPath("u004")} {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, ".u005.password.tmp-123"), []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}

	p := PlanUsers(desired, ra.creds, acl.Scope{}, false, "")
	if err := Precheck(p, store); err != nil {
		t.Fatalf("re-run refused: %v", err)
	}
	for _, r := range (&Applier{Admin: ra, Store: store, Settings: cs, Batch: 5}).Apply(context.Background(), p) {
		if r.Err != nil {
			t.Fatalf("re-run: %v", r.Err)
		}
	}
	checkConverged(t, ra, store, desired)
	if now, _ := store.Password("u002"); now != kept {
		t.Error("the password that survived the kill was not reused")
	}
	if now, _ := store.Password("u001"); now != "an-older-password-1" {
		t.Error("u001's stored password was replaced")
	}
}

// The credentials derived on several cores are each the salted form of the
// user's own password, whatever the number of workers, and the results and
// log lines come in plan order.
func TestParallelApplyKeepsPlanOrderAndPairsEachPasswordWithItsUser(t *testing.T) {
	desired := desiredUsers(40)
	var logs []string
	for _, workers := range []int{1, 4} {
		store, _ := OpenStore(filepath.Join(t.TempDir(), "s"), true)
		ra := newRecordingAdmin()
		var log strings.Builder
		res := (&Applier{Admin: ra, Store: store, Batch: 7, Workers: workers, Log: &log}).Apply(context.Background(), PlanUsers(desired, nil, acl.Scope{}, false, ""))
		for i, r := range res {
			if r.Err != nil || r.User != desired[i].Name || r.Note != "new password in "+store.PasswordPath(r.User) {
				t.Fatalf("workers %d: result %d: %+v", workers, i, r)
			}
		}
		checkConverged(t, ra, store, desired)
		logs = append(logs, log.String())
	}
	if logs[0] != logs[1] {
		t.Errorf("log lines differ with 1 and 4 workers:\n%s\n---\n%s", logs[0], logs[1])
	}
}

// Many repairs are written together: each user gets its own configs back,
// the -v lines come in plan order, and a failed directory fsync fails them
// (the next plan repairs again).
func TestApplyRepairsManyUsersInPlanOrder(t *testing.T) {
	store, _ := OpenStore(filepath.Join(t.TempDir(), "s"), true)
	cs := ClientSettings{Bootstrap: []string{"k:9092"}, SecurityProtocol: "SASL_PLAINTEXT"}
	var p UserPlan
	var wantLog strings.Builder
	for _, d := range desiredUsers(30) {
		if err := store.WritePassword(d.Name, "password-of-"+d.Name); err != nil {
			t.Fatal(err)
		}
		p.Changes = append(p.Changes, UserChange{Action: ActionRepair, User: d.Name, Mechanism: d.Mechanism})
		fmt.Fprintf(&wantLog, "kafkaguard: regenerated the client configs of SCRAM user %s\n", d.Name)
	}
	var log strings.Builder
	for i, r := range (&Applier{Admin: newRecordingAdmin(), Store: store, Settings: cs, Log: &log}).Apply(context.Background(), p) {
		if r.Err != nil || r.User != p.Changes[i].User {
			t.Fatalf("result %d: %+v", i, r)
		}
		data, err := os.ReadFile(store.LibrdkafkaPath(r.User))
		if err != nil || !strings.Contains(string(data), "sasl.username="+r.User+"\nsasl.password=password-of-"+r.User+"\n") {
			t.Fatalf("%s: %v\n%s", r.User, err, data)
		}
	}
	if log.String() != wantLog.String() {
		t.Errorf("log:\n%s\nwant:\n%s", log.String(), wantLog.String())
	}
	failing := &Applier{Admin: newRecordingAdmin(), Store: store, Settings: cs, syncDir: func(string) error { return errors.New("input/output error") }}
	for _, r := range failing.Apply(context.Background(), p) {
		if r.Err == nil || !strings.Contains(r.Err.Error(), "repair user "+r.User+": write client configs: input/output error") {
			t.Fatalf("%s: %v", r.User, r.Err)
		}
	}
}
