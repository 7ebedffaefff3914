package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/inventory"
	"github.com/kafkaguard/kafkaguard/policies"
)

// policyInputFlags are the flags every command that compiles the inventory
// shares: the inventory, user policies and the evaluation deadline.
func policyInputFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringSliceFlag{Name: "file", Aliases: []string{"f"}, Usage: "inventory `FILE` or directory of *.yaml (repeatable); required", EnvVars: envVars("file")},
		&ucli.StringSliceFlag{Name: "policy", Usage: "`DIR` (or .rego file) of your own policies: deny/warn rules, roles, acls (repeatable)", EnvVars: envVars("policy")},
		policyDeadlineFlag("timeout", "give up policy evaluation after `DURATION`"),
		capabilitiesFlag(),
	}
}

// capabilitiesFlag opts policies out of the sandbox: by default they run
// without network and runtime builtins (http.send, net.lookup_ip_addr,
// opa.runtime), since a policy may come from a pull request.
func capabilitiesFlag() ucli.Flag {
	return &ucli.StringFlag{Name: "capabilities", Usage: "OPA capabilities JSON `FILE` the policies may use (default: a sandbox without http.send, net.lookup_ip_addr, opa.runtime)", EnvVars: envVars("capabilities")}
}

// compileInventory loads the inventory and compiles it with the policies,
// without what skip names.
func compileInventory(c *ucli.Context, skip policies.Skip) (*inventory.Inventory, *policies.Result, error) {
	w, err := loadSkipping(c, false, skip)
	if err != nil {
		return nil, nil, err
	}
	return w.Inventory, w.Compiled, nil
}

func compileCommand(e *env) *ucli.Command {
	flags := append(policyInputFlags(),
		outputFlag("text", "json", "kafka-acls"),
		&ucli.BoolFlag{Name: "explain", Usage: "show which grant or rule produced each binding (text and json)", EnvVars: envVars("explain")},
		&ucli.StringFlag{Name: "bootstrap-server", Value: "localhost:9092", Usage: "broker address written into -o kafka-acls command lines", EnvVars: envVars("bootstrap-server")},
		&ucli.StringFlag{Name: "command-config", Usage: "client properties `FILE` named in -o kafka-acls command lines (not read)", EnvVars: envVars("command-config")},
	)
	return &ucli.Command{
		Name:      "compile",
		Usage:     "compile the inventory and policies into ACL bindings",
		UsageText: "kafkaguard compile -f INVENTORY [--policy DIR]... [-o text|json|kafka-acls] [--explain] [--timeout 30s]",
		Description: `Expands every grant of the inventory through its role (producer, consumer,
transactional-producer, streams-app, your own) or explicit operations, adds
the bindings of your policies' acls rules, and prints the result sorted by
principal, resource type, resource name, pattern type, operation, permission
and host, without duplicates. Nothing connects to a cluster.

Formats:
  text        one binding per line (--explain adds where it came from)
  json        the documented binding array (docs/design.md); with --explain
              each binding also has "provenance": ["grant inv.yaml:14 (role producer)"]
  kafka-acls  equivalent 'kafka-acls.sh --add' command lines, one per
              principal, host, permission and resource

The guardrails run too: deny findings are printed on stderr and the exit
code is 2 (the bindings are still printed). Use 'kafkaguard policy check'
for the full report.

Examples:
  kafkaguard compile -f inventory.yaml
  kafkaguard compile -f inventory/ --policy policies/ -o json > acls.json
  kafkaguard compile -f inventory.yaml -o json --explain | jq '.[] | select(.principal=="User:orders-api")'
  kafkaguard compile -f inventory.yaml -o kafka-acls --bootstrap-server kafka:9093 --command-config admin.properties > acls.sh`,
		Flags: flags,
		Action: func(c *ucli.Context) error {
			start := time.Now()
			// compile prints only the expiry warnings and waived findings
			// (printExpiries), and provenance with --explain.
			inv, res, err := compileInventory(c, policies.Skip{Provenance: !c.Bool("explain"), Warnings: true})
			if err != nil {
				return err
			}
			bw := bufio.NewWriter(e.stdout)
			switch c.String("output") {
			case "json":
				err = writeCompileJSON(bw, res, c.Bool("explain"))
			case "kafka-acls":
				err = writeKafkaACLs(bw, res.ACLs.Bindings(), c.String("bootstrap-server"), c.String("command-config"))
			default:
				err = writeCompileText(bw, res, c.Bool("explain"))
			}
			if err == nil {
				err = bw.Flush()
			}
			if err != nil {
				return fmt.Errorf("write bindings: %w", err)
			}
			if c.Bool("verbose") || e.stderrTTY {
				fmt.Fprintf(e.stderr, "kafkaguard: %d bindings from %d grants and %d principals in %s\n",
					res.ACLs.Len(), len(inv.Grants), len(inv.Principals), time.Since(start).Round(time.Millisecond))
			}
			e.printExpiries(res)
			e.printDenies(res.Deny)
			if len(res.Deny) > 0 {
				fmt.Fprintf(e.stderr, "kafkaguard: hint: the inventory violates %d policy rule(s); run 'kafkaguard policy check' for details\n", len(res.Deny))
				return errFindings
			}
			return nil
		},
	}
}

func writeCompileText(w io.Writer, res *policies.Result, explain bool) error {
	for _, b := range res.ACLs.Bindings() {
		line := fmt.Sprintf("%s %s %s %s %s %s host=%s", b.Principal, b.Permission, b.Operation, b.ResourceType, b.PatternType, b.ResourceName, b.Host)
		if explain {
			line += "  # " + strings.Join(provenanceStrings(res.Provenance[b]), "; ")
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
	}
	return nil
}

// provenanceStrings are how --explain shows where a binding came from,
// never nil.
func provenanceStrings(ps []policies.Provenance) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

// writeCompileJSON streams the bindings as the documented JSON array; with
// explain each binding has its provenance as one more field.
func writeCompileJSON(w io.Writer, res *policies.Result, explain bool) error {
	return acl.WriteJSONFunc(w, res.ACLs.Bindings(), func(dst []byte, b acl.Binding) ([]byte, error) {
		dst = b.AppendJSON(dst)
		if !explain {
			return dst, nil
		}
		p, err := json.Marshal(provenanceStrings(res.Provenance[b]))
		if err != nil {
			return nil, err
		}
		dst = append(dst[:len(dst)-1], `,"provenance":`...)
		dst = append(dst, p...)
		return append(dst, '}'), nil
	})
}

// kafkaACLsOperation is the spelling kafka-acls.sh documents (--operation Write).
var kafkaACLsOperation = map[acl.Operation]string{
	acl.OpAll: "All", acl.OpRead: "Read", acl.OpWrite: "Write", acl.OpCreate: "Create", acl.OpDelete: "Delete",
	acl.OpAlter: "Alter", acl.OpDescribe: "Describe", acl.OpClusterAction: "ClusterAction",
	acl.OpDescribeConfigs: "DescribeConfigs", acl.OpAlterConfigs: "AlterConfigs",
	acl.OpIdempotentWrite: "IdempotentWrite", acl.OpCreateTokens: "CreateTokens", acl.OpDescribeTokens: "DescribeTokens",
}

// writeKafkaACLs prints one kafka-acls.sh --add command per principal, host,
// permission and resource, with all its operations.
func writeKafkaACLs(w io.Writer, bs []acl.Binding, bootstrap, commandConfig string) error {
	type key struct {
		principal, host string
		perm            acl.Permission
		rt              acl.ResourceType
		name            string
		pt              acl.PatternType
	}
	var order []key
	ops := map[key][]acl.Operation{}
	for _, b := range bs {
		k := key{b.Principal, b.Host, b.Permission, b.ResourceType, b.ResourceName, b.PatternType}
		if _, ok := ops[k]; !ok {
			order = append(order, k)
		}
		ops[k] = append(ops[k], b.Operation)
	}
	fmt.Fprintf(w, "#!/bin/sh\n# %d bindings as kafka-acls.sh commands, generated by kafkaguard compile.\nset -e\n", len(bs))
	for _, k := range order {
		var cmd []string
		cmd = append(cmd, "kafka-acls.sh", "--bootstrap-server", shellQuote(bootstrap))
		if commandConfig != "" {
			cmd = append(cmd, "--command-config", shellQuote(commandConfig))
		}
		cmd = append(cmd, "--add")
		side := "allow"
		if k.perm == acl.PermDeny {
			side = "deny"
		}
		cmd = append(cmd, "--"+side+"-principal", shellQuote(k.principal))
		if k.host != acl.Wildcard {
			cmd = append(cmd, "--"+side+"-host", shellQuote(k.host))
		}
		kops := ops[k]
		sort.Slice(kops, func(i, j int) bool { return kops[i] < kops[j] })
		for _, op := range kops {
			cmd = append(cmd, "--operation", kafkaACLsOperation[op])
		}
		switch k.rt {
		case acl.ResourceTopic:
			cmd = append(cmd, "--topic", shellQuote(k.name))
		case acl.ResourceGroup:
			cmd = append(cmd, "--group", shellQuote(k.name))
		case acl.ResourceCluster:
			cmd = append(cmd, "--cluster")
		case acl.ResourceTransactionalID:
			cmd = append(cmd, "--transactional-id", shellQuote(k.name))
		case acl.ResourceDelegationToken:
			cmd = append(cmd, "--delegation-token", shellQuote(k.name))
		case acl.ResourceUser:
			cmd = append(cmd, "--user-principal", shellQuote(k.name))
		}
		if k.rt != acl.ResourceCluster {
			cmd = append(cmd, "--resource-pattern-type", strings.ToLower(k.pt.String()))
		}
		if _, err := fmt.Fprintln(w, strings.Join(cmd, " ")); err != nil {
			return err
		}
	}
	return nil
}

// shellQuote quotes s for a POSIX shell when it has anything but safe
// characters.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-:/=@+,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// printDenies writes each policy deny on stderr as "kafkaguard: deny:
// file:line: message", for commands that stop or exit 2 because of them.
func (e *env) printDenies(denies []policies.Finding) {
	for _, f := range denies {
		loc := ""
		if f.Location != "" {
			loc = f.Location + ": "
		}
		fmt.Fprintf(e.stderr, "kafkaguard: deny: %s%s\n", loc, f.Message)
	}
}
