package cli

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// A CI job with stdin from /dev/null must not be treated as a person at a
// terminal: /dev/null is a character device but not a terminal.
func TestDevNullIsNotATerminal(t *testing.T) {
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Fatalf("isTerminal(%s) = true, want false", os.DevNull)
	}
	if isTerminal(&bytes.Buffer{}) {
		t.Fatal("isTerminal(buffer) = true, want false")
	}
}

func TestEnvVarsNamesFlagsAsKafkaguardVariables(t *testing.T) {
	got := envVars("command-config")
	if len(got) != 1 || got[0] != "KAFKAGUARD_COMMAND_CONFIG" {
		t.Fatalf("envVars(command-config) = %v", got)
	}
}

// panicWriter panics on the first write: a stand-in for any bug that panics
// inside a command.
type panicWriter struct{}

func (panicWriter) Write([]byte) (int, error) { panic("boom\nsecond line") }

// A panic anywhere in a command is an internal error with exit 1, never the
// runtime's exit 2 (which means findings or changes).
func TestPanicIsInternalErrorExit1(t *testing.T) {
	var stderr bytes.Buffer
	code := Main([]string{"kafkaguard", "version"}, strings.NewReader(""), panicWriter{}, &stderr)
	if code != ExitError {
		t.Fatalf("exit code = %d, want %d", code, ExitError)
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "kafkaguard: error: internal error: boom second line (at internal/cli/app_test.go:") ||
		!strings.HasPrefix(lines[1], "kafkaguard: hint: ") {
		t.Fatalf("stderr = %q", stderr.String())
	}
}
