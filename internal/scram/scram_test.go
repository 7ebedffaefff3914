package scram

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/testutil"
)

func TestDeriveMatchesXdgStoredKeys(t *testing.T) {
	for _, tc := range []struct {
		mech string
		h    func() hash.Hash
	}{{SHA256, sha256.New}, {SHA512, sha512.New}} {
		t.Run(tc.mech, func(t *testing.T) {
			cred, err := Derive(tc.mech, "correct-horse-battery", 4096)
			if err != nil {
				t.Fatal(err)
			}
			if len(cred.Salt) != SaltBytes || len(cred.SaltedPassword) != tc.h().Size() {
				t.Fatalf("salt %d bytes, salted password %d bytes", len(cred.Salt), len(cred.SaltedPassword))
			}
			mac := hmac.New(tc.h, cred.SaltedPassword)
			mac.Write([]byte("Client Key"))
			ck := mac.Sum(nil)
			sum := tc.h()
			sum.Write(ck)
			stored := sum.Sum(nil)
			mac = hmac.New(tc.h, cred.SaltedPassword)
			mac.Write([]byte("Server Key"))
			server := mac.Sum(nil)
			wantStored, wantServer, err := StoredKeys(tc.mech, "correct-horse-battery", cred.Salt, 4096)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(stored, wantStored) || !bytes.Equal(server, wantServer) {
				t.Fatal("keys derived from the salted password differ from xdg-go/scram's stored credentials")
			}
		})
	}
}

func TestDeriveRejectsIterationsOutsideKafkaBounds(t *testing.T) {
	for _, n := range []int{0, 4095, 16385} {
		if _, err := Derive(SHA512, "correct-horse-battery", n); err == nil {
			t.Errorf("iterations %d accepted", n)
		}
	}
	for _, n := range []int{4096, 16384} {
		if _, err := Derive(SHA256, "correct-horse-battery", n); err != nil {
			t.Errorf("iterations %d: %v", n, err)
		}
	}
}

func TestGeneratedPasswordsAreLongUniqueAndStorable(t *testing.T) {
	a, err := GeneratePassword()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := GeneratePassword()
	if a == b || len(a) < 43 {
		t.Fatalf("passwords %d and %d chars, equal=%v", len(a), len(b), a == b)
	}
	if err := CheckPassword(a); err != nil {
		t.Fatal(err)
	}
}

func TestCheckPasswordErrorsNeverContainThePassword(t *testing.T) {
	for _, pw := range []string{"", "tiny1", "has space in-it-1234", `quote"in-it-12345`, `back\slash-in-it-1`, "ctl\x01char-in-it-123", "bad-utf8-\xff-123456"} {
		err := CheckPassword(pw)
		if err == nil {
			t.Errorf("%q accepted", pw)
			continue
		}
		if pw != "" && strings.Contains(err.Error(), pw) {
			t.Errorf("error %q contains the password", err)
		}
	}
}

func TestValidateUserName(t *testing.T) {
	for name, ok := range map[string]bool{
		"orders-api": true, "svc.billing_2@eu": true, "": false, ".": false, "..": false,
		"a/b": false, "a b": false, `a"b`: false, "a,b": false, "a=b": false, strings.Repeat("a", 201): false,
	} {
		if err := ValidateUserName(name); (err == nil) != ok {
			t.Errorf("ValidateUserName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}

type info = cluster.SCRAMCredentialInfo

func ci(m string, n int) info { return info{Mechanism: m, Iterations: n} }

func TestPlanUsers(t *testing.T) {
	desired := []DesiredUser{
		{Name: "new", Mechanism: SHA512, Iterations: 4096},
		{Name: "same", Mechanism: SHA512, Iterations: 4096},
		{Name: "iters", Mechanism: SHA256, Iterations: 8192},
		{Name: "mech", Mechanism: SHA512, Iterations: 4096},
		{Name: "both", Mechanism: SHA512, Iterations: 4096},
		{Name: "admin", Mechanism: SHA512, Iterations: 8192},
	}
	actual := map[string][]info{
		"same":        {ci(SHA512, 4096)},
		"iters":       {ci(SHA256, 4096)},
		"mech":        {ci(SHA256, 4096)},
		"both":        {ci(SHA512, 4096), ci(SHA256, 4096)},
		"admin":       {ci(SHA512, 4096)},
		"orders-old":  {ci(SHA512, 4096)},
		"outside":     {ci(SHA256, 4096)},
		"orders-keep": {},
	}
	tests := []struct {
		name    string
		scope   acl.Scope
		prune   bool
		changes []string // action:user:reason
		alone   []string
	}{
		{
			name: "without prune extras are left alone", scope: testutil.Scope(t, "*"),
			changes: []string{"create:new:", "update:both:remove SCRAM-SHA-256 credential", "update:iters:iterations 4096 -> 8192", "update:mech:mechanism SCRAM-SHA-256 -> SCRAM-SHA-512"},
			alone:   []string{"admin", "orders-old", "outside"},
		},
		{
			name: "prune removes only inside the scope and never the admin", scope: testutil.Scope(t, "User:orders-*", "User:admin"), prune: true,
			changes: []string{"create:new:", "update:both:remove SCRAM-SHA-256 credential", "update:iters:iterations 4096 -> 8192", "update:mech:mechanism SCRAM-SHA-256 -> SCRAM-SHA-512", "remove:orders-old:"},
			alone:   []string{"admin", "outside"},
		},
		{
			name: "prune with everything in scope still spares the admin", scope: testutil.Scope(t, "*"), prune: true,
			changes: []string{"create:new:", "update:both:remove SCRAM-SHA-256 credential", "update:iters:iterations 4096 -> 8192", "update:mech:mechanism SCRAM-SHA-256 -> SCRAM-SHA-512", "remove:orders-old:", "remove:outside:"},
			alone:   []string{"admin"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := PlanUsers(desired, actual, tc.scope, tc.prune, "admin")
			var got []string
			for _, c := range p.Changes {
				r := ""
				if c.Action == ActionUpdate {
					r = c.Reason
				}
				got = append(got, c.Action+":"+c.User+":"+r)
			}
			if strings.Join(got, "|") != strings.Join(tc.changes, "|") {
				t.Errorf("changes\n got %v\nwant %v", got, tc.changes)
			}
			var alone []string
			for _, l := range p.LeftAlone {
				alone = append(alone, l.User)
			}
			if strings.Join(alone, ",") != strings.Join(tc.alone, ",") {
				t.Errorf("left alone %v, want %v", alone, tc.alone)
			}
			if strings.Join(p.InSync, ",") != "same" {
				t.Errorf("in sync %v", p.InSync)
			}
		})
	}
}

func TestPlanUsersMechanismChangeUpsertsThenDeletes(t *testing.T) {
	p := PlanUsers([]DesiredUser{{Name: "u", Mechanism: SHA512, Iterations: 4096}}, map[string][]info{"u": {ci(SHA256, 4096)}}, acl.Scope{}, false, "")
	if len(p.Changes) != 1 {
		t.Fatalf("%+v", p)
	}
	c := p.Changes[0]
	if !c.Upsert || c.Mechanism != SHA512 || len(c.Delete) != 1 || c.Delete[0] != SHA256 {
		t.Fatalf("%+v", c)
	}
}

func TestPlanChangesAndSummary(t *testing.T) {
	p := PlanUsers([]DesiredUser{{Name: "a", Mechanism: SHA512, Iterations: 4096}, {Name: "b", Mechanism: SHA512, Iterations: 8192}},
		map[string][]info{"b": {ci(SHA512, 4096)}, "c": {ci(SHA256, 4096)}}, testutil.Scope(t, "*"), true, "")
	var got []string
	for _, c := range p.Changes {
		pc := c.PlanChange()
		got = append(got, pc.Action.Mark()+" "+pc.Item+"  "+pc.Detail)
	}
	want := []string{
		"+ User:a  SCRAM-SHA-512, 4096 iterations",
		"~ User:b  iterations 4096 -> 8192",
		"- User:c  SCRAM-SHA-256/4096 (not declared, inside the managed scope)",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if s := p.Summary(); s != "Users: 1 to create, 1 to change, 1 to remove." {
		t.Errorf("summary %q", s)
	}
	if s := PlanUsers(nil, nil, acl.Scope{}, false, "").Summary(); !strings.Contains(s, "No user changes.") {
		t.Errorf("empty summary %q", s)
	}
}

func TestStoreRefusesADirectoryOthersCanRead(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "secrets")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	if _, err := OpenStore(dir, true); err == nil || !strings.Contains(err.Error(), "chmod 700") {
		t.Fatalf("loose dir: %v", err)
	}
}

func TestStoreWritesSecretFilesPrivately(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "secrets")
	s, err := OpenStore(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	cs := ClientSettings{Bootstrap: []string{"k:9093"}, SecurityProtocol: "SASL_SSL", Trust: [][2]string{{"ssl.truststore.type", "PEM"}, {"ssl.truststore.location", "/ca.pem"}}, CALocation: "/ca.pem"}
	if err := s.Write("app", SHA512, "pw-0123456789abc", cs); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(dir)
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %o", fi.Mode().Perm())
	}
	for _, p := range []string{s.PasswordPath("app"), s.PropertiesPath("app"), s.LibrdkafkaPath("app")} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", p, err, fi)
		}
	}
	rdk, _ := os.ReadFile(s.LibrdkafkaPath("app"))
	for _, want := range []string{"bootstrap.servers=k:9093", "security.protocol=sasl_ssl", "sasl.mechanisms=SCRAM-SHA-512", "sasl.username=app", "sasl.password=pw-0123456789abc", "ssl.ca.location=/ca.pem"} {
		if !strings.Contains(string(rdk), want+"\n") {
			t.Errorf("librdkafka file lacks %s", want)
		}
	}
	if pw, err := s.Password("app"); err != nil || pw != "pw-0123456789abc" {
		t.Fatalf("read back: %v", err)
	}
	os.Chmod(s.PasswordPath("app"), 0o644)
	if _, err := s.Password("app"); err == nil {
		t.Fatal("loose password file accepted")
	}
	if _, err := s.Password("nobody"); !errors.Is(err, ErrNoSecret) {
		t.Fatalf("missing: %v", err)
	}
}

// Java reads NAME.properties as ISO-8859-1 (Properties.load(InputStream)):
// a non-ASCII password must be written as \uXXXX escapes, or the client
// logs in with mojibake. librdkafka reads its file as UTF-8: raw there.
func TestClientConfigsCarryANonASCIIPasswordToJavaAndLibrdkafka(t *testing.T) {
	s, err := OpenStore(filepath.Join(t.TempDir(), "secrets"), true)
	if err != nil {
		t.Fatal(err)
	}
	const pw = "GoodPässwörd1234😀"
	cs := ClientSettings{Bootstrap: []string{"k:9093"}, SecurityProtocol: "SASL_SSL", Trust: [][2]string{{"ssl.truststore.type", "PEM"}, {"ssl.truststore.location", "/cä/ca.pem"}}, CALocation: "/cä/ca.pem"}
	if err := s.Write("app2", SHA512, pw, cs); err != nil {
		t.Fatal(err)
	}
	java, err := os.ReadFile(s.PropertiesPath("app2"))
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range java {
		if c != '\n' && (c < 0x20 || c > 0x7e) {
			t.Fatalf("NAME.properties has byte %#x at %d: Java reads it as ISO-8859-1:\n%s", c, i, java)
		}
	}
	if !strings.Contains(string(java), `password="GoodP\u00E4ssw\u00F6rd1234\uD83D\uDE00";`) {
		t.Errorf("NAME.properties does not escape the password as Properties.store would:\n%s", java)
	}
	props, err := cluster.ParseProperties(strings.NewReader(string(java)), "java")
	if err != nil || props["ssl.truststore.location"] != "/cä/ca.pem" {
		t.Errorf("truststore location reads back as %q (%v)", props["ssl.truststore.location"], err)
	}
	// The JAAS password, as the connection config reads it (without TLS:
	// the truststore above does not exist).
	if err := s.WriteClientConfigs("app3", SHA512, pw, ClientSettings{Bootstrap: []string{"k:9092"}, SecurityProtocol: "SASL_PLAINTEXT"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := cluster.LoadConfig("", s.PropertiesPath("app3"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Username != "app3" || cfg.Password() != pw {
		t.Errorf("NAME.properties reads back as user %q and another password", cfg.Username)
	}
	rdk, _ := os.ReadFile(s.LibrdkafkaPath("app2"))
	if !strings.Contains(string(rdk), "\nsasl.password="+pw+"\n") {
		t.Errorf("librdkafka file does not hold the password as UTF-8:\n%s", rdk)
	}
}

func TestReadPasswordFileRejectsEmptyAndUnreadable(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	if _, err := ReadPasswordFile(empty); err == nil || !strings.Contains(err.Error(), empty) {
		t.Errorf("empty: %v", err)
	}
	if _, err := ReadPasswordFile(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing file accepted")
	}
	good := filepath.Join(dir, "good")
	os.WriteFile(good, []byte("a-good-password-1\r\n"), 0o600)
	if pw, err := ReadPasswordFile(good); err != nil || pw != "a-good-password-1" {
		t.Errorf("good: %v", err)
	}
}

// fakeAdmin is an in-memory cluster for apply's error paths.
type fakeAdmin struct {
	creds map[string][]cluster.SCRAMCredentialInfo
	fail  map[string]error
}

func (f *fakeAdmin) DescribeSCRAM(context.Context) (map[string][]cluster.SCRAMCredentialInfo, error) {
	return f.creds, nil
}

func (f *fakeAdmin) AlterSCRAM(_ context.Context, del []cluster.SCRAMDeletion, up []cluster.SCRAMUpsert) ([]cluster.SCRAMResult, error) {
	var out []cluster.SCRAMResult
	for _, u := range up {
		if err := f.fail[u.User]; err != nil {
			out = append(out, cluster.SCRAMResult{User: u.User, Err: err})
			continue
		}
		f.creds[u.User] = append(f.creds[u.User], cluster.SCRAMCredentialInfo{Mechanism: u.Mechanism, Iterations: u.Iterations})
		out = append(out, cluster.SCRAMResult{User: u.User})
	}
	for _, d := range del {
		out = append(out, cluster.SCRAMResult{User: d.User})
	}
	return out, nil
}

func TestApplyLeavesNoSecretWhenTheUpsertFails(t *testing.T) {
	store, _ := OpenStore(filepath.Join(t.TempDir(), "s"), true)
	fa := &fakeAdmin{creds: map[string][]cluster.SCRAMCredentialInfo{}, fail: map[string]error{"bad": errors.New("UNACCEPTABLE_CREDENTIAL")}}
	p := PlanUsers([]DesiredUser{{Name: "bad", Mechanism: SHA512, Iterations: 4096}, {Name: "good", Mechanism: SHA512, Iterations: 4096}}, nil, acl.Scope{}, false, "")
	res := (&Applier{Admin: fa, Store: store}).Apply(context.Background(), p)
	if res[0].Err == nil || res[1].Err != nil {
		t.Fatalf("results %+v", res)
	}
	if store.Has("bad") {
		t.Error("password file of the failed user kept")
	}
	if !store.Has("good") {
		t.Error("password file of the created user missing")
	}
}

func TestApplyReusesAPasswordFilePutInPlace(t *testing.T) {
	store, _ := OpenStore(filepath.Join(t.TempDir(), "s"), true)
	if err := store.WritePassword("mine", "my-own-password-42"); err != nil {
		t.Fatal(err)
	}
	fa := &fakeAdmin{creds: map[string][]cluster.SCRAMCredentialInfo{}}
	p := PlanUsers([]DesiredUser{{Name: "mine", Mechanism: SHA256, Iterations: 4096}}, nil, acl.Scope{}, false, "")
	if res := (&Applier{Admin: fa, Store: store}).Apply(context.Background(), p); res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	if pw, _ := store.Password("mine"); pw != "my-own-password-42" {
		t.Fatal("password file replaced")
	}
}

// countingAdmin counts the credential deletions sent to the cluster.
type countingAdmin struct {
	fakeAdmin
	deleted map[cluster.SCRAMDeletion]int
}

func (c *countingAdmin) AlterSCRAM(ctx context.Context, del []cluster.SCRAMDeletion, up []cluster.SCRAMUpsert) ([]cluster.SCRAMResult, error) {
	for _, d := range del {
		c.deleted[d]++
	}
	return c.fakeAdmin.AlterSCRAM(ctx, del, up)
}

func TestApplySendsEachDeletionOnceWhenAUserSpansABatchEnd(t *testing.T) {
	store, _ := OpenStore(filepath.Join(t.TempDir(), "s"), true)
	// One credential for the first user, two for every other: the batch of
	// BatchSize deletions ends inside a user's pair and is stretched by one.
	var p UserPlan
	want := 0
	for i := 0; want < BatchSize+10; i++ {
		mechs := []string{SHA256, SHA512}
		if i == 0 {
			mechs = mechs[1:]
		}
		p.Changes = append(p.Changes, UserChange{Action: ActionRemove, User: fmt.Sprintf("u%04d", i), Delete: mechs})
		want += len(mechs)
	}
	ca := &countingAdmin{fakeAdmin: fakeAdmin{creds: map[string][]cluster.SCRAMCredentialInfo{}}, deleted: map[cluster.SCRAMDeletion]int{}}
	for _, r := range (&Applier{Admin: ca, Store: store}).Apply(context.Background(), p) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	if len(ca.deleted) != want {
		t.Errorf("%d distinct deletions sent, want %d", len(ca.deleted), want)
	}
	for d, n := range ca.deleted {
		if n != 1 {
			t.Errorf("deletion %v sent %d times", d, n)
		}
	}
}

func BenchmarkDeriveSHA512(b *testing.B) {
	const n = 20 // derivations per iteration, so -benchtime=1x is meaningful
	for b.Loop() {
		for range n {
			if _, err := Derive(SHA512, "correct-horse-battery", 4096); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N*n), "ms/derive")
}

func BenchmarkPlanUsers10k(b *testing.B) {
	const n = 10000
	desired := make([]DesiredUser, n)
	actual := make(map[string][]cluster.SCRAMCredentialInfo, n)
	for i := range n {
		name := "svc-" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + "-" + itoa(i)
		desired[i] = DesiredUser{Name: name, Mechanism: SHA512, Iterations: 4096}
		if i%3 != 0 {
			actual[name] = []cluster.SCRAMCredentialInfo{{Mechanism: SHA512, Iterations: 4096 + 4096*(i%2)}}
		}
		actual["extra-"+itoa(i)] = []cluster.SCRAMCredentialInfo{{Mechanism: SHA256, Iterations: 4096}}
	}
	scope, _ := acl.NewScope("*")
	for b.Loop() {
		PlanUsers(desired, actual, scope, true, "admin")
	}
	b.ReportMetric(float64(2*n*b.N)/b.Elapsed().Seconds(), "users/s")
}

func itoa(i int) string {
	var buf [20]byte
	n := len(buf)
	for {
		n--
		buf[n] = byte('0' + i%10)
		i /= 10
		if i == 0 {
			break
		}
	}
	return string(buf[n:])
}

func TestPrecheckRefusesAnUnusablePasswordFileBeforeAnyChange(t *testing.T) {
	store, _ := OpenStore(filepath.Join(t.TempDir(), "s"), true)
	os.WriteFile(store.PasswordPath("b"), nil, 0o600)
	p := PlanUsers([]DesiredUser{{Name: "a", Mechanism: SHA512, Iterations: 4096}, {Name: "b", Mechanism: SHA512, Iterations: 4096}}, nil, acl.Scope{}, false, "")
	err := Precheck(p, store)
	if err == nil || !strings.Contains(err.Error(), "b.password: empty password") {
		t.Fatalf("precheck: %v", err)
	}
}

// A user left alone for want of prune is typed LeftNotDeclared; the caller
// names its own flag for prune (--prune for 'users plan', --prune-users for
// 'plan' and 'apply'), the package names none.
func TestLeftAloneNamesTheCallersPruneFlag(t *testing.T) {
	actual := map[string][]cluster.SCRAMCredentialInfo{"old": {{Mechanism: SHA512, Iterations: 4096}}}
	scope := testutil.Scope(t, "*")
	p := PlanUsers(nil, actual, scope, false, "admin")
	if len(p.LeftAlone) != 1 || p.LeftAlone[0].Kind != LeftNotDeclared || p.LeftAlone[0].Reason != "not declared" {
		t.Fatalf("PlanUsers: %+v", p.LeftAlone)
	}
	for _, flag := range []string{"--prune", "--prune-users"} {
		q := PlanUsers(nil, actual, scope, false, "admin")
		q.SuggestPrune(flag)
		if want := "not declared (use " + flag + " to remove)"; q.LeftAlone[0].Reason != want {
			t.Errorf("flag %q: reason %q, want %q", flag, q.LeftAlone[0].Reason, want)
		}
	}
}

// cancellingAdmin cancels the apply's context during its first request, as
// a Ctrl-C would; the request itself must still run to its end.
type cancellingAdmin struct {
	fakeAdmin
	cancel context.CancelFunc
	calls  int
}

func (c *cancellingAdmin) AlterSCRAM(ctx context.Context, del []cluster.SCRAMDeletion, up []cluster.SCRAMUpsert) ([]cluster.SCRAMResult, error) {
	c.calls++
	c.cancel()
	if ctx.Err() != nil {
		return nil, ctx.Err() // the request in flight was cancelled
	}
	return c.fakeAdmin.AlterSCRAM(ctx, del, up)
}

// Ctrl-C during users apply: the first batch runs to its end and each of
// its users has a result; no further batch is sent, the passwords generated
// for users never sent are removed again, and the users left are what a
// re-plan shows.
func TestInterruptedApplyFinishesTheBatchInFlight(t *testing.T) {
	store, _ := OpenStore(filepath.Join(t.TempDir(), "s"), true)
	var desired []DesiredUser
	const batch = 5
	for i := range batch + 20 {
		desired = append(desired, DesiredUser{Name: fmt.Sprintf("u%04d", i), Mechanism: SHA512, Iterations: 4096})
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fa := &cancellingAdmin{fakeAdmin: fakeAdmin{creds: map[string][]cluster.SCRAMCredentialInfo{}}, cancel: cancel}
	res := (&Applier{Admin: fa, Store: store, Batch: batch}).Apply(ctx, PlanUsers(desired, nil, acl.Scope{}, false, ""))
	if len(res) != batch || fa.calls != 1 || len(fa.creds) != batch {
		t.Fatalf("%d results, %d requests, %d users on the cluster; want the first batch of %d, whole", len(res), fa.calls, len(fa.creds), batch)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatalf("result %+v", r)
		}
	}
	if store.Has(desired[batch].Name) {
		t.Error("a password was kept for a user never sent to the cluster")
	}
	if !store.Has(desired[0].Name) {
		t.Error("the password of a created user is missing")
	}
	again := PlanUsers(desired, fa.creds, acl.Scope{}, false, "")
	if c, _, _ := again.Counts(); c != 20 {
		t.Errorf("re-plan creates %d, want the 20 not sent", c)
	}
}

func TestLeaveExternalKeepsCredentialsManagedElsewhere(t *testing.T) {
	actual := map[string][]cluster.SCRAMCredentialInfo{
		"ext":   {{Mechanism: SHA256, Iterations: 4096}, {Mechanism: SHA512, Iterations: 8192}},
		"other": {{Mechanism: SHA512, Iterations: 4096}},
	}
	scope, err := acl.NewScope("User:ext", "User:other")
	if err != nil {
		t.Fatal(err)
	}
	p := PlanUsers(nil, actual, scope, true, "").LeaveExternal([]string{"ext"})
	if len(p.Changes) != 1 || p.Changes[0].User != "other" || p.Changes[0].Action != ActionRemove {
		t.Fatalf("changes = %+v, want only the removal of other", p.Changes)
	}
	if len(p.LeftAlone) != 1 || p.LeftAlone[0].User != "ext" || p.LeftAlone[0].Reason != ExternalReason {
		t.Fatalf("left alone = %+v, want ext (external)", p.LeftAlone)
	}
	if q := PlanUsers(nil, actual, scope, false, "").LeaveExternal([]string{"ext"}); q.LeftAlone[0].Reason != ExternalReason {
		t.Errorf("without prune: %+v", q.LeftAlone)
	}
}
