package devcluster

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkaguard/kafkaguard/internal/cluster"
)

// The client compatibility tests run real clients (kcat, KafkaJS,
// confluent-kafka for Python) against a dev cluster, logged in as a user
// provisioned with SCRAM-SHA-512 at 16384 iterations (kfake alone only logs
// in 4096) whose ACLs allow topic "orders" and groups "alice-*" and nothing
// on topic "payments".
const (
	clientUser   = "alice"
	allowedTopic = "orders"
	deniedTopic  = "payments"

	clientIterations = 16384
	user8192         = "bob" // same password as alice, 8192 iterations
)

type clientEnv struct {
	addr    string
	ca      string
	rdkPath string // alice's librdkafka properties, as `users apply` writes them

	mu         sync.Mutex
	handshakes []int16 // versions of the SaslHandshake requests kfake received
}

// checkHandshakeV1 asserts that the client sent SaslHandshake v1 only: the
// layer advertises v0 too (librdkafka needs to see it), which would be wrong
// if a client then chose v0, whose raw SASL frames kfake cannot read.
func (e *clientEnv) checkHandshakeV1(t *testing.T) {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.handshakes) == 0 || slices.ContainsFunc(e.handshakes, func(v int16) bool { return v != 1 }) {
		t.Errorf("SaslHandshake versions sent: %v, want only 1", e.handshakes)
	}
}

func startClientEnv(t *testing.T) *clientEnv {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()
	dc, err := Start(ctx, Options{Dir: dir, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("start dev cluster: %v", err)
	}
	t.Cleanup(func() { dc.Close() })

	cfg, err := cluster.LoadConfig("", dc.AdminProperties())
	if err != nil {
		t.Fatalf("admin config: %v", err)
	}
	opts, err := cluster.NewClientOpts(cfg)
	if err != nil {
		t.Fatalf("admin client options: %v", err)
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatalf("admin client: %v", err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)

	if _, err := adm.CreateTopics(ctx, 1, 1, nil, allowedTopic, deniedTopic); err != nil {
		t.Fatalf("create topics: %v", err)
	}
	password := randomPassword(t)
	res, err := adm.AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{{User: clientUser, Mechanism: kadm.ScramSha512, Iterations: clientIterations, Password: password}})
	if err == nil {
		err = res.Error()
	}
	if err != nil {
		t.Fatalf("create SCRAM user %s: %v", clientUser, err)
	}
	// bob, at 8192 iterations, only logs in.
	if res, err := adm.AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{{User: user8192, Mechanism: kadm.ScramSha512, Iterations: 8192, Password: password}}); err != nil || res.Error() != nil {
		t.Fatalf("create SCRAM user %s: %v %v", user8192, err, res.Error())
	}
	for _, b := range []*kadm.ACLBuilder{
		kadm.NewACLs().Allow("User:"+clientUser).AllowHosts("*").Topics(allowedTopic).
			Operations(kadm.OpRead, kadm.OpWrite, kadm.OpDescribe).ResourcePatternType(kadm.ACLPatternLiteral),
		kadm.NewACLs().Allow("User:"+clientUser).AllowHosts("*").Groups(clientUser+"-").
			Operations(kadm.OpRead, kadm.OpDescribe).ResourcePatternType(kadm.ACLPatternPrefixed),
	} {
		results, err := adm.CreateACLs(ctx, b)
		if err != nil {
			t.Fatalf("create ACLs: %v", err)
		}
		for _, r := range results {
			if r.Err != nil {
				t.Fatalf("create ACL %+v: %v", r, r.Err)
			}
		}
	}

	ca, _ := filepath.Abs(dc.CAPath())
	e := &clientEnv{addr: dc.Addr(), ca: ca, rdkPath: filepath.Join(dir, clientUser+".librdkafka.properties")}
	dc.Kfake().ControlKey(int16(kmsg.SASLHandshake), func(req kmsg.Request) (kmsg.Response, error, bool) {
		dc.Kfake().KeepControl()
		e.mu.Lock()
		e.handshakes = append(e.handshakes, req.GetVersion())
		e.mu.Unlock()
		return nil, nil, false
	})
	props := fmt.Sprintf("bootstrap.servers=%s\nsecurity.protocol=sasl_ssl\nsasl.mechanisms=SCRAM-SHA-512\nsasl.username=%s\nsasl.password=%s\nssl.ca.location=%s\n",
		e.addr, clientUser, password, ca)
	if err := os.WriteFile(e.rdkPath, []byte(props), 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}

func randomPassword(t *testing.T) string {
	buf := make([]byte, 18)
	if _, err := rand.Read(buf); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(buf)
}

// run runs a client command with a deadline and returns its stdout, stderr
// and error.
func runClient(t *testing.T, stdin string, name string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("%s timed out: %w", name, ctx.Err())
	}
	return stdout.String(), stderr.String(), err
}

func TestKcatOverSASLSSLWithSCRAM(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Skip("kcat is not installed (apt-get install kcat; .ci/run installs it in CI)")
	}
	e := startClientEnv(t)
	// As `dev up` prints it: settings as -X flags, the password from -F.
	base := []string{"-b", e.addr, "-X", "security.protocol=SASL_SSL", "-X", "sasl.mechanisms=SCRAM-SHA-512",
		"-X", "sasl.username=" + clientUser, "-X", "ssl.ca.location=" + e.ca, "-F", e.rdkPath, "-m", "15"}
	kc := func(stdin string, args ...string) (string, string, error) {
		return runClient(t, stdin, kcat, append(slices.Clone(base), args...)...)
	}

	t.Run("lists metadata", func(t *testing.T) {
		out, stderr, err := kc("", "-L", "-J")
		if err != nil {
			t.Fatalf("kcat -L: %v\n%s", err, stderr)
		}
		var md struct {
			Topics []struct {
				Topic string `json:"topic"`
			} `json:"topics"`
		}
		if err := json.Unmarshal([]byte(out), &md); err != nil {
			t.Fatalf("kcat -L -J output %q: %v", out, err)
		}
		var names []string
		for _, tp := range md.Topics {
			names = append(names, tp.Topic)
		}
		if !slices.Contains(names, allowedTopic) || slices.Contains(names, deniedTopic) {
			t.Errorf("kcat sees topics %v, want %s and not %s (no DESCRIBE)", names, allowedTopic, deniedTopic)
		}
	})

	t.Run("produces and consumes", func(t *testing.T) {
		if _, stderr, err := kc("one\ntwo\nthree\n", "-P", "-t", allowedTopic); err != nil {
			t.Fatalf("kcat -P: %v\n%s", err, stderr)
		}
		out, stderr, err := kc("", "-C", "-t", allowedTopic, "-o", "beginning", "-c", "3", "-e", "-f", "%s\n")
		if err != nil {
			t.Fatalf("kcat -C: %v\n%s", err, stderr)
		}
		if got := strings.Fields(out); !slices.Equal(got, []string{"one", "two", "three"}) {
			t.Errorf("consumed %q, want one two three", got)
		}
	})

	t.Run("is refused without ACLs", func(t *testing.T) {
		_, stderr, err := kc("secret\n", "-P", "-t", deniedTopic)
		if err == nil || !strings.Contains(strings.ToLower(stderr), "authorization failed") {
			t.Errorf("kcat -P to %s: err=%v, stderr %q; want a topic authorization failure", deniedTopic, err, stderr)
		}
		_, stderr, err = kc("", "-C", "-t", deniedTopic, "-o", "beginning", "-e")
		if err == nil || !strings.Contains(strings.ToLower(stderr), "authorization failed") {
			t.Errorf("kcat -C from %s: err=%v, stderr %q; want a topic authorization failure", deniedTopic, err, stderr)
		}
	})

	e.checkHandshakeV1(t)

	t.Run("a user stored with 8192 iterations logs in", func(t *testing.T) {
		args := slices.Clone(base)
		args[slices.Index(args, "sasl.username="+clientUser)] = "sasl.username=" + user8192
		if _, stderr, err := runClient(t, "", kcat, append(args, "-L")...); err != nil {
			t.Errorf("kcat -L as %s: %v\n%s", user8192, err, stderr)
		}
	})

	t.Run("wrong password is refused", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "bad.properties")
		if err := os.WriteFile(bad, []byte("sasl.password=wrong\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		args := slices.Clone(base)
		args[slices.Index(args, e.rdkPath)] = bad
		args[len(args)-1] = "5" // -m: the metadata wait; kcat retries a failed login until then
		_, stderr, err := runClient(t, "", kcat, append(args, "-L")...)
		// The broker's answer, not a dropped connection ("Broker transport failure").
		if err == nil || !strings.Contains(stderr, "SASL authentication error: "+authFailedMessage("SCRAM-SHA-512")) {
			t.Errorf("kcat with a wrong password: err=%v, stderr %q; want Kafka's SASL authentication failure", err, stderr)
		}
		// librdkafka says how long the login took before the broker's
		// answer: at once, not after a timeout (kcat -L then waits out -m,
		// as against any broker).
		if m := regexp.MustCompile(`after (\d+)ms in state AUTH_REQ`).FindStringSubmatch(stderr); m == nil {
			t.Errorf("kcat does not say when the login failed: %q", stderr)
		} else if ms, _ := strconv.Atoi(m[1]); ms >= 2000 {
			t.Errorf("the failed login took %d ms, want an answer, not a timeout", ms)
		}
	})
}

// kafkaJS returns node and the KafkaJS test client's directory, or skips.
func kafkaJS(t *testing.T) (node, dir string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: the KafkaJS test needs node and npm")
	}
	dir, _ = filepath.Abs(filepath.Join("testdata", "kafkajs"))
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "kafkajs")); err != nil {
		t.Skipf("KafkaJS is not installed: run 'npm install' in %s (.ci/run does it in CI)", dir)
	}
	return node, dir
}

func TestKafkaJSOverSASLSSLWithSCRAM(t *testing.T) {
	node, dir := kafkaJS(t)
	e := startClientEnv(t)
	in, _ := json.Marshal(map[string]any{
		"brokers": []string{e.addr}, "ca": e.ca, "username": clientUser, "passwordFile": e.rdkPath,
		"topic": allowedTopic, "deniedTopic": deniedTopic, "groupId": clientUser + "-kafkajs",
		"messages": []string{"one", "two", "three"},
	})
	out, stderr, err := runClient(t, "", node, filepath.Join(dir, "client.js"), string(in))
	if err != nil {
		t.Fatalf("KafkaJS: %v\n%s", err, stderr)
	}
	var got struct {
		MetadataTopics []string `json:"metadataTopics"`
		Produced       int      `json:"produced"`
		Consumed       []string `json:"consumed"`
		DeniedProduce  string   `json:"deniedProduce"`
		DeniedConsume  string   `json:"deniedConsume"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("KafkaJS output %q: %v", out, err)
	}
	if !slices.Equal(got.MetadataTopics, []string{allowedTopic}) {
		t.Errorf("metadata topics %v, want [%s]", got.MetadataTopics, allowedTopic)
	}
	if !slices.Equal(got.Consumed, []string{"one", "two", "three"}) {
		t.Errorf("consumed %q, want one two three", got.Consumed)
	}
	if got.DeniedProduce != "TOPIC_AUTHORIZATION_FAILED" {
		t.Errorf("producing to %s failed with %q, want TOPIC_AUTHORIZATION_FAILED", deniedTopic, got.DeniedProduce)
	}
	if got.DeniedConsume != "TOPIC_AUTHORIZATION_FAILED" {
		t.Errorf("consuming from %s failed with %q, want TOPIC_AUTHORIZATION_FAILED", deniedTopic, got.DeniedConsume)
	}
	e.checkHandshakeV1(t)
}

func TestKafkaJSLoginsAtAnyIterationCountAndWrongPasswordFails(t *testing.T) {
	node, dir := kafkaJS(t)
	e := startClientEnv(t)
	bad := filepath.Join(t.TempDir(), "bad.properties")
	if err := os.WriteFile(bad, []byte("sasl.password=wrong-password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, user, passwordFile, want string }{
		{"right password", clientUser, e.rdkPath, "no error"},
		{"8192 iterations", user8192, e.rdkPath, "no error"},
		{"wrong password", clientUser, bad, "SASL_AUTHENTICATION_FAILED"},
	} {
		in, _ := json.Marshal(map[string]any{"brokers": []string{e.addr}, "ca": e.ca, "username": tc.user, "passwordFile": tc.passwordFile, "loginOnly": true})
		out, stderr, err := runClient(t, "", node, filepath.Join(dir, "client.js"), string(in))
		if err != nil {
			t.Fatalf("%s: KafkaJS: %v\n%s", tc.name, err, stderr)
		}
		var got struct{ Login string }
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("KafkaJS output %q: %v", out, err)
		}
		if !strings.Contains(got.Login, tc.want) && !(tc.want != "no error" && strings.Contains(got.Login, authFailedMessage("SCRAM-SHA-512"))) {
			t.Errorf("%s: KafkaJS login: %q, want %s", tc.name, got.Login, tc.want)
		}
	}
}

// confluentKafkaScript is the confluent-kafka (Python, librdkafka) client: it
// configures itself from the user's librdkafka properties file as it is.
const confluentKafkaScript = `
import json, sys
from confluent_kafka import Consumer, KafkaError, Producer
from confluent_kafka.admin import AdminClient

cfg = json.loads(sys.argv[1])
conf = {}
for line in open(cfg["properties"]):
    line = line.strip()
    if line and not line.startswith("#"):
        k, v = line.split("=", 1)
        conf[k] = v
out = {}
out["metadataTopics"] = sorted(t for t in AdminClient(conf).list_topics(timeout=20).topics if not t.startswith("__"))

errors = []
def report(err, msg):
    if err is not None:
        errors.append(err.name())
p = Producer(dict(conf, **{"message.timeout.ms": 10000}))
for m in cfg["messages"]:
    p.produce(cfg["topic"], m.encode(), on_delivery=report)
p.flush(30)
out["produceErrors"] = errors
errors = []
p.produce(cfg["deniedTopic"], b"no", on_delivery=report)
p.flush(30)
out["deniedProduce"] = errors[0] if errors else "no error"

c = Consumer(dict(conf, **{"group.id": cfg["groupId"], "auto.offset.reset": "earliest"}))
c.subscribe([cfg["topic"]])
got = []
for _ in range(60):
    msg = c.poll(0.5)
    if msg is None:
        continue
    if msg.error():
        out["consumeError"] = msg.error().name()
        break
    got.append(msg.value().decode())
    if len(got) == len(cfg["messages"]):
        break
c.close()
out["consumed"] = got
print(json.dumps(out))
`

func TestConfluentKafkaPythonOverSASLSSLWithSCRAM(t *testing.T) {
	python := ""
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if path, err := exec.LookPath(p); err == nil && exec.Command(path, "-c", "import confluent_kafka").Run() == nil {
			python = path
			break
		}
	}
	if python == "" {
		t.Skip("confluent-kafka for Python is not installed (optional: apt-get install python3-confluent-kafka)")
	}
	e := startClientEnv(t)
	in, _ := json.Marshal(map[string]any{
		"properties": e.rdkPath, "topic": allowedTopic, "deniedTopic": deniedTopic,
		"groupId": clientUser + "-python", "messages": []string{"one", "two", "three"},
	})
	out, stderr, err := runClient(t, "", python, "-c", confluentKafkaScript, string(in))
	if err != nil {
		t.Fatalf("confluent-kafka: %v\n%s", err, stderr)
	}
	var got struct {
		MetadataTopics []string `json:"metadataTopics"`
		ProduceErrors  []string `json:"produceErrors"`
		DeniedProduce  string   `json:"deniedProduce"`
		Consumed       []string `json:"consumed"`
		ConsumeError   string   `json:"consumeError"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("confluent-kafka output %q: %v", out, err)
	}
	if !slices.Equal(got.MetadataTopics, []string{allowedTopic}) {
		t.Errorf("metadata topics %v, want [%s]", got.MetadataTopics, allowedTopic)
	}
	if len(got.ProduceErrors) > 0 || got.ConsumeError != "" || !slices.Equal(got.Consumed, []string{"one", "two", "three"}) {
		t.Errorf("produce errors %v, consume error %q, consumed %q; want one two three", got.ProduceErrors, got.ConsumeError, got.Consumed)
	}
	if got.DeniedProduce != "TOPIC_AUTHORIZATION_FAILED" {
		t.Errorf("producing to %s failed with %q, want TOPIC_AUTHORIZATION_FAILED", deniedTopic, got.DeniedProduce)
	}
	e.checkHandshakeV1(t)
}
