package scram

import (
	"bytes"
	"context"
	"errors"
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

func TestStoreMissingConfigsNamesOnlyTheMissingFilesOfAStoredUser(t *testing.T) {
	store, _ := OpenStore(filepath.Join(t.TempDir(), "s"), true)
	cs := ClientSettings{Bootstrap: []string{"k:9092"}, SecurityProtocol: "SASL_PLAINTEXT"}
	if err := store.Write("u", SHA512, "a-good-password-1", cs); err != nil {
		t.Fatal(err)
	}
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
	store, _ := OpenStore(filepath.Join(t.TempDir(), "s"), true)
	cs := ClientSettings{Bootstrap: []string{"k:9092"}, SecurityProtocol: "SASL_PLAINTEXT"}
	if err := store.Write("u", SHA256, "a-good-password-1", cs); err != nil {
		t.Fatal(err)
	}
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
	store, _ := OpenStore(filepath.Join(t.TempDir(), "s"), true)
	cs := ClientSettings{Bootstrap: []string{"k:9092"}, SecurityProtocol: "SASL_PLAINTEXT"}
	if err := store.Write("u", SHA512, "a-good-password-1", cs); err != nil {
		t.Fatal(err)
	}
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
