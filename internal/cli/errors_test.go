package cli

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/kafkaguard/kafkaguard/policies"
)

// The policy libraries' timeout errors name no flag; the error boundary
// names the one that raises the policy deadline on the command that ran:
// --policy-timeout where the command has it, --timeout where the command
// connects to no cluster (it is the policy's there), none on import (its
// --timeout is the cluster's).
func TestPolicyTimeoutNamesTheCommandsFlag(t *testing.T) {
	a := newApp(&env{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }})
	eval := &policies.TimeoutError{Timeout: time.Second}
	test := &policies.TestTimeoutError{Test: "data.p_test.test_slow", Location: "p_test.rego:3", Timeout: time.Second}
	tests := []struct {
		cmd  []string
		err  error
		want string
	}{
		{[]string{"plan"}, eval, "policy evaluation did not finish within 1s (raise --policy-timeout, or look for a rule that loops over every topic)"},
		{[]string{"apply"}, eval, "(raise --policy-timeout,"},
		{[]string{"audit"}, eval, "(raise --policy-timeout,"},
		{[]string{"access", "who-can"}, eval, "(raise --policy-timeout,"},
		{[]string{"compile"}, eval, "policy evaluation did not finish within 1s (raise --timeout, or look for a rule that loops over every topic)"},
		{[]string{"policy", "check"}, eval, "(raise --timeout,"},
		{[]string{"policy", "test"}, test, "policy test data.p_test.test_slow (p_test.rego:3) did not finish within 1s (raise --timeout, or look for a test that loops over a large range)"},
		{[]string{"import"}, fmt.Errorf("the imported inventory does not compile: %w", eval), "the imported inventory does not compile: policy evaluation did not finish within 1s (look for a rule that loops over every topic)"},
	}
	for _, tt := range tests {
		cmd := findCommand(a.Commands, tt.cmd)
		if cmd == nil {
			t.Fatalf("no command %v", tt.cmd)
		}
		got := explain(&ucli.Context{Command: cmd}, tt.err).Error()
		if !strings.Contains(got, tt.want) {
			t.Errorf("%v: %q, want %q", tt.cmd, got, tt.want)
		}
		if tt.cmd[0] == "import" && strings.Contains(got, "--") {
			t.Errorf("import names a flag that does not raise the policy deadline: %q", got)
		}
	}
}

func findCommand(cmds []*ucli.Command, path []string) *ucli.Command {
	for _, c := range cmds {
		if c.Name != path[0] {
			continue
		}
		if len(path) == 1 {
			return c
		}
		return findCommand(c.Subcommands, path[1:])
	}
	return nil
}
