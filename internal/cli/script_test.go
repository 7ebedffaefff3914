package cli

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/kafkaguard/kafkaguard/internal/gctune"
)

// TestMain lets testscript run kafkaguard in-process as a command named
// "kafkaguard", so CLI tests need no separate build.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"kafkaguard": func() {
			gctune.Enable() // as cmd/kafkaguard does: each command is a process of its own
			os.Exit(Main(os.Args, os.Stdin, os.Stdout, os.Stderr))
		},
	})
}

// TestScripts runs the CLI behaviour files in testdata/script/*.txtar.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "../../testdata/script",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "1")
			return nil
		},
	})
}
