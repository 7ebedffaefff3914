package cli

import (
	"fmt"

	"github.com/kafkaguard/kafkaguard/policies"
)

// printExpiries tells on stderr which grants compile left out because they
// expired (KG656) and which expire soon (KG655), and which findings a
// waiver waived: the commands that compile (compile, plan, apply) say so
// even without policy check.
func (e *env) printExpiries(res *policies.Result) {
	for _, f := range res.Warn {
		if f.ID != "KG655" && f.ID != "KG656" {
			continue
		}
		fmt.Fprintf(e.stderr, "kafkaguard: warning: %s\n", f.Message)
	}
	for _, f := range res.Info {
		fmt.Fprintf(e.stderr, "kafkaguard: info: %s %s\n", f.ID, f.Message)
	}
}
