package cli

import (
	"bytes"
	"os"
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
