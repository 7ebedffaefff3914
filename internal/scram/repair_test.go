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
	"time"

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

// A batch whose sync fails (the sync of its files' content, before the
// renames, or the directory fsync after them) is never sent: its users
// fail, their new files are taken back (no temporary file stays), the other
// batches go on, and a re-run creates just those users.
func TestApplySyncFailureSendsNothingOfTheBatchAndReRunConverges(t *testing.T) {
	for _, step := range []string{"content", "directory"} {
		t.Run(step, func(t *testing.T) {
			store, _ := OpenStore(filepath.Join(t.TempDir(), "s"), true)
			desired := desiredUsers(10)
			ra := newRecordingAdmin()
			syncs := 0
			failSecond := func(string) error {
				syncs++
				if syncs == 2 {
					return errors.New("input/output error")
				}
				return nil
			}
			a := &Applier{Admin: ra, Store: store, Batch: 4, Workers: 3}
			if step == "content" {
				a.syncFiles = failSecond
			} else {
				a.syncDir = failSecond
			}
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
			if tmps := temporaryFiles(t, store); len(tmps) != 0 {
				t.Errorf("temporary files left: %v", tmps)
			}
			res = (&Applier{Admin: ra, Store: store, Batch: 4}).Apply(context.Background(), PlanUsers(desired, ra.creds, acl.Scope{}, false, ""))
			if len(res) != 4 || res[0].User != "u004" {
				t.Fatalf("re-run results %+v, want the 4 users of the failed batch", res)
			}
			checkConverged(t, ra, store, desired)
		})
	}
}

// temporaryFiles lists the store's temporary files (staged, not renamed).
func temporaryFiles(t *testing.T, store *Store) []string {
	t.Helper()
	entries, err := os.ReadDir(store.Dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			out = append(out, e.Name())
		}
	}
	return out
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
	store, cs, desired, ra := killSetup(t)
	dir := store.Dir
	applyKilled(t, &Applier{Admin: ra, Store: store, Settings: cs, Batch: 5, syncDir: func(string) error { panic(errKilled) }}, PlanUsers(desired, ra.creds, acl.Scope{}, false, ""))
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

	reRunConverges(t, ra, store, cs, desired)
	if now, _ := store.Password("u002"); now != kept {
		t.Error("the password that survived the kill was not reused")
	}
}

// killSetup is the store and cluster of the kill tests: 12 desired users,
// of which u001 already has a password and configs of another mechanism.
func killSetup(t *testing.T) (*Store, ClientSettings, []DesiredUser, *recordingAdmin) {
	t.Helper()
	store, _ := OpenStore(filepath.Join(t.TempDir(), "s"), true)
	cs := ClientSettings{Bootstrap: []string{"k:9092"}, SecurityProtocol: "SASL_PLAINTEXT"}
	ra := newRecordingAdmin()
	if err := store.Write("u001", SHA256, "an-older-password-1", cs); err != nil {
		t.Fatal(err)
	}
	ra.creds["u001"] = []cluster.SCRAMCredentialInfo{{Mechanism: SHA256, Iterations: 8192}}
	return store, cs, desiredUsers(12), ra
}

// applyKilled runs a's apply of p, which a hook of a stops with
// panic(errKilled) as a kill would.
func applyKilled(t *testing.T, a *Applier, p UserPlan) {
	t.Helper()
	defer func() {
		if r := recover(); r != errKilled {
			panic(r)
		}
	}()
	a.Apply(context.Background(), p)
	t.Fatal("the kill did not stop apply")
}

// reRunConverges applies the plan again after a kill: it must be accepted,
// succeed, converge, and keep u001's older stored password.
func reRunConverges(t *testing.T, ra *recordingAdmin, store *Store, cs ClientSettings, desired []DesiredUser) {
	t.Helper()
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
	fail := func(string) error { return errors.New("input/output error") }
	for _, failing := range []*Applier{
		{Admin: newRecordingAdmin(), Store: store, Settings: cs, syncFiles: fail},
		{Admin: newRecordingAdmin(), Store: store, Settings: cs, syncDir: fail},
	} {
		for _, r := range failing.Apply(context.Background(), p) {
			if r.Err == nil || !strings.Contains(r.Err.Error(), "repair user "+r.User+": write client configs: input/output error") {
				t.Fatalf("%s: %v", r.User, r.Err)
			}
		}
		if tmps := temporaryFiles(t, store); len(tmps) != 0 {
			t.Errorf("temporary files left: %v", tmps)
		}
	}
}

// inPlaceAdmin fails the test when a request carries a user whose files
// are not all in place under their final names.
type inPlaceAdmin struct {
	*recordingAdmin
	t     *testing.T
	store *Store
}

func (c inPlaceAdmin) AlterSCRAM(ctx context.Context, del []cluster.SCRAMDeletion, up []cluster.SCRAMUpsert) ([]cluster.SCRAMResult, error) {
	for _, u := range up {
		for _, path := range []string{c.store.PasswordPath(u.User), c.store.PropertiesPath(u.User), c.store.LibrdkafkaPath(u.User)} {
			if _, err := os.Stat(path); err != nil {
				c.t.Errorf("%s sent before its file was in place: %v", u.User, err)
			}
		}
	}
	return c.recordingAdmin.AlterSCRAM(ctx, del, up)
}

// The steps of a batch come in the order that keeps every final name
// whole: when the content is synced, the batch's files exist only as
// complete temporary files (no final name of a new user yet); when the
// directory is synced, they are all renamed; the request comes after both.
func TestApplySyncsTheContentBeforeTheRenamesAndBothBeforeTheRequest(t *testing.T) {
	store, _ := OpenStore(filepath.Join(t.TempDir(), "s"), true)
	cs := ClientSettings{Bootstrap: []string{"k:9092"}, SecurityProtocol: "SASL_PLAINTEXT"}
	desired := desiredUsers(9)
	ra := newRecordingAdmin()
	var contentSyncs, dirSyncs int
	a := &Applier{Admin: inPlaceAdmin{ra, t, store}, Store: store, Settings: cs, Batch: 4, Workers: 2,
		syncFiles: func(string) error {
			contentSyncs++
			if ra.requests != contentSyncs-1 || dirSyncs != contentSyncs-1 {
				t.Errorf("content sync %d after %d requests and %d directory syncs", contentSyncs, ra.requests, dirSyncs)
			}
			batch := desired[(contentSyncs-1)*4 : min(contentSyncs*4, len(desired))]
			for _, d := range batch {
				if store.Has(d.Name) || len(store.MissingConfigs(d.Name)) != 0 {
					t.Errorf("%s has a final name before its content was synced", d.Name)
				}
			}
			tmps := temporaryFiles(t, store)
			if len(tmps) != 3*len(batch) {
				t.Errorf("%d temporary files at the content sync, want %d: %v", len(tmps), 3*len(batch), tmps)
			}
			for _, name := range tmps {
				data, err := os.ReadFile(filepath.Join(store.Dir, name))
				if err != nil || !strings.HasSuffix(string(data), "\n") {
					t.Errorf("temporary file %s is not complete at the content sync: %q, %v", name, data, err)
				}
			}
			return nil
		},
		syncDir: func(string) error {
			dirSyncs++
			if dirSyncs != contentSyncs {
				t.Errorf("directory sync %d after %d content syncs", dirSyncs, contentSyncs)
			}
			if tmps := temporaryFiles(t, store); len(tmps) != 0 {
				t.Errorf("temporary files not renamed at the directory sync: %v", tmps)
			}
			return nil
		},
	}
	for _, r := range a.Apply(context.Background(), PlanUsers(desired, nil, acl.Scope{}, false, "")) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	if contentSyncs != 3 || dirSyncs != 3 || ra.requests != 3 {
		t.Fatalf("%d content syncs, %d directory syncs, %d requests; want 3 each (one per batch)", contentSyncs, dirSyncs, ra.requests)
	}
	checkConverged(t, ra, store, desired)
}

// A kill after a batch's files were written but before their content was
// synced leaves every final name as it was (new users have none, an
// existing user keeps its older configs) and only temporary files, which
// the next run removes under the lock; nothing was sent, and a re-run
// converges.
func TestApplyKilledBeforeTheContentSyncLeavesTheFinalNamesAndReRunConverges(t *testing.T) {
	store, cs, desired, ra := killSetup(t)
	oldProps, _ := os.ReadFile(store.PropertiesPath("u001"))
	killed := PlanUsers(desired, ra.creds, acl.Scope{}, false, "")
	// One batch: u001's update (its stored password kept, both configs
	// rewritten) and 11 new users.
	applyKilled(t, &Applier{Admin: ra, Store: store, Settings: cs, Batch: len(desired), syncFiles: func(string) error { panic(errKilled) }}, killed)
	if ra.requests != 0 {
		t.Fatalf("%d requests sent before the content sync", ra.requests)
	}
	for _, c := range killed.Changes {
		if c.User != "u001" && (store.Has(c.User) || len(snapshotConfigs(store, c.User)[store.PropertiesPath(c.User)]) != 0) {
			t.Errorf("%s has a final file before its content was synced", c.User)
		}
	}
	if now, _ := os.ReadFile(store.PropertiesPath("u001")); string(now) != string(oldProps) {
		t.Error("u001's older configs were replaced before the content sync")
	}
	if tmps := temporaryFiles(t, store); len(tmps) != 2+11*3 {
		t.Fatalf("%d temporary files after the kill, want 35: %v", len(tmps), tmps)
	}

	store.RemoveLeftovers() // what the next run does first, under the lock
	if tmps := temporaryFiles(t, store); len(tmps) != 0 {
		t.Fatalf("temporary files left after RemoveLeftovers: %v", tmps)
	}
	reRunConverges(t, ra, store, cs, desired)
}

// RemoveLeftovers removes the temporary files of the store's writes and
// nothing else: not the secrets, not the lock, not files it does not know.
func TestRemoveLeftoversRemovesOnlyTemporaryFilesOfTheStore(t *testing.T) {
	store, _ := OpenStore(filepath.Join(t.TempDir(), "s"), true)
	keep := []string{"u.password", "u.properties", "u.librdkafka.properties", LockFile, "notes.txt", ".u.password.tmp-x1", ".other.tmp-123"}
	gone := []string{".u.password.tmp-123", ".u.properties.tmp-4567", ".u.librdkafka.properties.tmp-89"}
	for _, name := range append(append([]string{}, keep...), gone...) {
		if err := os.WriteFile(filepath.Join(store.Dir, name), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	store.RemoveLeftovers()
	for _, name := range keep {
		if _, err := os.Stat(filepath.Join(store.Dir, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, name := range gone {
		if _, err := os.Stat(filepath.Join(store.Dir, name)); !os.IsNotExist(err) {
			t.Errorf("%s was not removed (%v)", name, err)
		}
	}
}

// A users apply starts by removing, under the store's lock, the temporary
// files a killed run left behind.
func TestSectionApplyRemovesAKilledRunsTemporaryFiles(t *testing.T) {
	e := newEnv(t)
	leftover := filepath.Join(e.store.Dir, ".u1.password.tmp-12345")
	if err := os.WriteFile(leftover, []byte("a-staged-password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	desired := []DesiredUser{{Name: "u1", Mechanism: SHA256, Iterations: 4096}}
	scope, _ := acl.NewScope("User:u*")
	planner := &Planner{Admin: e.tc.Admin, Login: cluster.LoginSCRAM, Config: e.tc.Config, Desired: desired, Scope: scope, RunningUser: "admin", SecretsDir: e.store.Dir}
	s, err := planner.PlanSection(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	results, err := s.ApplyResults(context.Background())
	if err != nil || len(results) != 1 || results[0].Err != nil {
		t.Fatalf("apply: %+v, %v", results, err)
	}
	if _, err := os.Stat(leftover); !os.IsNotExist(err) {
		t.Errorf("the leftover temporary file is still there (%v)", err)
	}
}

// The deriver runs at most lookahead batches ahead of the batch being
// taken, goes on when a batch is taken in full, pairs each derivation with
// its change, and stop ends it with every channel closed.
func TestDeriverRunsABoundedNumberOfBatchesAhead(t *testing.T) {
	store, _ := OpenStore(filepath.Join(t.TempDir(), "s"), true)
	p := PlanUsers(desiredUsers(12), nil, acl.Scope{}, false, "")
	var batches [][]int
	for start := 0; start < len(p.Changes); start += 2 {
		batches = append(batches, []int{start, start + 1})
	}
	d := (&Applier{Store: store, Workers: 2}).newDeriver(context.Background(), p, batches)
	waitFull := func(b int) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); len(d.out[b]) < len(batches[b]); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("batch %d was not derived", b)
			}
		}
	}
	waitFull(lookahead - 1)
	time.Sleep(100 * time.Millisecond)
	if n := len(d.out[lookahead]); n != 0 {
		t.Fatalf("%d credentials of batch %d derived while %d batches wait untaken", n, lookahead, lookahead)
	}
	for x := range d.derived(0) {
		if x.err != nil || x.u.i != batches[0][x.k] || x.u.up.User != p.Changes[x.u.i].User {
			t.Fatalf("derivation %+v does not belong to change %d", x, batches[0][x.k])
		}
	}
	d.taken()
	waitFull(lookahead)
	d.stop()
	for b := range batches {
		for range d.derived(b) { // every channel closed: this ends
		}
	}
}
