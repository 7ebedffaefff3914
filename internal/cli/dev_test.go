package cli

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kafkaguard/kafkaguard/internal/devcluster"
)

// syncBuffer is a bytes.Buffer safe for a writer and a polling reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var bootstrapLine = regexp.MustCompile(`(?m)^Bootstrap server:\s+(\S+)$`)

// TestDevUpStopsCleanlyOnSignal runs `dev up` in-process, waits for it to
// serve, connects, then sends the process SIGTERM, which the command handles:
// it must exit 0, stop listening, leave its files, and print no password.
func TestDevUpStopsCleanlyOnSignal(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dev")
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Main([]string{"kafkaguard", "dev", "up", "--dir", dir, "--listen", "127.0.0.1:0"}, strings.NewReader(""), &stdout, &stderr)
	}()

	var addr string
	deadline := time.Now().Add(30 * time.Second)
	for addr == "" {
		if m := bootstrapLine.FindStringSubmatch(stdout.String()); m != nil && strings.Contains(stderr.String(), "press Ctrl-C") {
			addr = m[1]
			break
		}
		select {
		case code := <-done:
			t.Fatalf("dev up exited with %d before serving\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("dev up did not print its bootstrap address in 30s\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
		}
	}
	if c, err := net.DialTimeout("tcp", addr, 5*time.Second); err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	} else {
		c.Close()
	}

	rdk := filepath.Join(dir, adminLibrdkafkaFile)
	fi, err := os.Stat(rdk)
	if err != nil {
		t.Fatalf("dev up did not write %s: %v", rdk, err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", rdk, fi.Mode().Perm())
	}
	props, err := os.ReadFile(rdk)
	if err != nil {
		t.Fatal(err)
	}
	password := regexp.MustCompile(`(?m)^sasl\.password=(.+)$`).FindSubmatch(props)
	if password == nil {
		t.Fatalf("%s has no sasl.password:\n%s", rdk, props)
	}
	for _, want := range []string{addr, filepath.Join(dir, devcluster.AdminPropertiesFile), rdk, "kcat -b " + addr, "-F " + rdk, "sasl.mechanisms=SCRAM-SHA-512", "new Kafka({", "--command-config"} {
		abs, _ := filepath.Abs(want)
		if !strings.Contains(stdout.String(), want) && !strings.Contains(stdout.String(), abs) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
		}
	}
	if out := stdout.String() + stderr.String(); strings.Contains(out, string(password[1])) {
		t.Errorf("dev up printed the admin password")
	}

	// With kcat at hand, the printed command itself must work.
	if kcat, err := exec.LookPath("kcat"); err == nil {
		line := regexp.MustCompile(`(?m)^\s+(kcat -b .*)$`).FindStringSubmatch(stdout.String())
		if line == nil {
			t.Fatalf("no kcat command in:\n%s", stdout.String())
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		out, err := exec.CommandContext(ctx, kcat, strings.Fields(line[1])[1:]...).CombinedOutput()
		cancel()
		if err != nil || !strings.Contains(string(out), "1 brokers:") {
			t.Errorf("the printed kcat command failed: %v\n%s", err, out)
		}
	}

	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != ExitOK {
			t.Fatalf("dev up exited with %d after SIGTERM, want 0\nstderr:\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("dev up did not stop within 30s of SIGTERM")
	}
	if !strings.Contains(stderr.String(), "dev cluster stopped") {
		t.Errorf("stderr lacks the shutdown message:\n%s", stderr.String())
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after shutdown", addr)
	}
	for _, f := range []string{rdk, filepath.Join(dir, devcluster.AdminPropertiesFile)} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("%s is gone after shutdown: %v", f, err)
		}
	}
}

// TestDevUpReusesDirAcrossRestarts checks the second start in the same
// directory keeps the admin password and rewrites the librdkafka file for the
// new address.
func TestDevUpReusesDirAcrossRestarts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dev")
	e := &env{stdin: strings.NewReader(""), getenv: func(string) string { return "" }}
	var passwords []string
	for range 2 {
		var stdout, stderr syncBuffer
		e.stdout, e.stderr = &stdout, &stderr
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() { errc <- devUp(ctx, e, devcluster.Options{Dir: dir, Listen: "127.0.0.1:0"}) }()
		for !strings.Contains(stderr.String(), "press Ctrl-C") {
			select {
			case err := <-errc:
				t.Fatalf("dev up: %v", err)
			case <-time.After(20 * time.Millisecond):
			}
		}
		cancel()
		if err := <-errc; err != nil {
			t.Fatalf("dev up: %v", err)
		}
		props, err := os.ReadFile(filepath.Join(dir, adminLibrdkafkaFile))
		if err != nil {
			t.Fatal(err)
		}
		m := bootstrapLine.FindStringSubmatch(stdout.String())
		if m == nil || !strings.Contains(string(props), "bootstrap.servers="+m[1]+"\n") {
			t.Fatalf("%s does not name the printed bootstrap server:\n%s", adminLibrdkafkaFile, props)
		}
		passwords = append(passwords, regexp.MustCompile(`(?m)^sasl\.password=(.+)$`).FindStringSubmatch(string(props))[1])
	}
	if passwords[0] != passwords[1] {
		t.Errorf("the admin password changed across restarts in the same --dir")
	}
}
