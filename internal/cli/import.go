package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	ucli "github.com/urfave/cli/v2"

	"github.com/kafkaguard/kafkaguard/internal/app"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/fsutil"
	"github.com/kafkaguard/kafkaguard/internal/importer"
)

func importCommand(e *env) *ucli.Command {
	flags := append([]ucli.Flag{
		&ucli.StringFlag{Name: "from", Usage: "what to import: " + strings.Join(importer.Sources, "|"), EnvVars: envVars("from")},
		&ucli.StringFlag{Name: "out", Usage: "write principals.yaml, topics.yaml and grants.yaml into `DIR` instead of one document on stdout", EnvVars: envVars("out")},
		&ucli.BoolFlag{Name: "force", Usage: "overwrite files that exist in --out DIR"},
		&ucli.IntFlag{Name: "waiver-days", Value: importer.DefaultWaiverDays, Usage: "how many `DAYS` the waivers for guardrails the source breaks last", EnvVars: envVars("waiver-days")},
		&ucli.StringFlag{Name: "ksm-delimiter", Value: ",", Usage: "the delimiter of KSM CSV files (KSM's ACL_PARSER_CSV_DELIMITER)", EnvVars: envVars("ksm-delimiter")},
	}, connFlags()...)
	return &ucli.Command{
		Name:      "import",
		Usage:     "write an inventory from a live cluster or another tool's files, compiling back to exactly their ACLs",
		UsageText: "kafkaguard import --from cluster|kafka-acls|ksm|julie|strimzi [FILE|DIR...] [--out DIR [--force]]",
		Description: `Reads what exists today and writes the inventory that stands for it: every
ACL binding (grants by role where a principal's bindings are exactly a role's
expansion, explicit operations elsewhere; DENY stays DENY), every principal
(SCRAM users with their mechanism and iterations; principals seen only in
ACLs as auth: external, whose credentials kafkaguard leaves alone), the
topics the ACLs name, and managed.principals naming exactly the imported
principals. Before anything is written the inventory is compiled back and
must give exactly the bindings read.

Sources:
  cluster     the cluster of --bootstrap-server/--command-config: all ACLs
              (one DescribeAcls) and SCRAM users (names, mechanisms,
              iterations; never passwords)
  kafka-acls  the output of 'kafka-acls.sh --list' (Kafka 2.x-3.x and 4.x)
  ksm         Kafka Security Manager CSV (header row) and YAML files
  julie       Julie Ops topology descriptors (default configuration)
  strimzi     Kubernetes YAML with Strimzi KafkaUser resources

A summary goes to stderr: principals, grants by role and explicit, topics,
and the guardrail findings of what the source does today.

Examples:
  kafkaguard import --from cluster --command-config admin.properties --out inventory/
  kafka-acls.sh --bootstrap-server kafka:9092 --list > acls.txt
  kafkaguard import --from kafka-acls acls.txt > inventory.yaml
  kafkaguard import --from ksm acls.csv --ksm-delimiter ';'
  kafkaguard import --from strimzi k8s/users/ --out inventory/
  kafkaguard plan -f inventory/ --command-config admin.properties --detailed-exitcode`,
		Flags: flags,
		Action: func(c *ucli.Context) error {
			return e.runImport(c)
		},
	}
}

func (e *env) runImport(c *ucli.Context) error {
	ctx := c.Context
	if ctx == nil {
		ctx = context.Background()
	}
	from := c.String("from")
	if from == "" {
		return importer.ErrNoSource
	}
	delim, size := utf8.DecodeRuneInString(c.String("ksm-delimiter"))
	if size == 0 || size != len(c.String("ksm-delimiter")) || delim == '"' || delim == '\n' || delim == '\r' {
		return fmt.Errorf("--ksm-delimiter %q: want one character (not a quote or a newline)", c.String("ksm-delimiter"))
	}
	out, force := c.String("out"), c.Bool("force")
	if out != "" && !force {
		// Refuse before reading anything: a re-run must not be lost work.
		for _, name := range importer.FileNames {
			if err := fsutil.CheckNotExist(filepath.Join(out, name)); err != nil {
				return withHint(err, "pass --force to overwrite it, or choose another --out directory")
			}
		}
	}
	opts := importer.Options{From: from, Paths: c.Args().Slice(), KSMDelimiter: delim, WaiverDays: c.Int("waiver-days"), Limits: inventoryLimits(c)}
	if c.Bool("verbose") {
		opts.Log = func(s string) { fmt.Fprintf(e.stderr, "kafkaguard: import: %s\n", s) }
	}
	var client *cluster.Client
	if from == "cluster" {
		var err error
		if client, err = e.connect(c); err != nil {
			return err
		}
		defer client.Close()
	}
	res, err := app.Import(ctx, client, opts)
	if err != nil {
		return err
	}
	inv := res.Inventory
	if out == "" {
		data, err := inv.YAML()
		if err != nil {
			return err
		}
		if _, err := e.stdout.Write(data); err != nil {
			return err
		}
	} else {
		files, err := inv.Files()
		if err != nil {
			return err
		}
		if err := os.MkdirAll(out, 0o755); err != nil {
			return fmt.Errorf("create %s: %w", out, err)
		}
		for _, f := range files {
			if err := fsutil.WriteFileAtomic(filepath.Join(out, f.Name), f.Data, 0o644); err != nil {
				return err
			}
		}
	}
	e.importSummary(inv, res, out)
	return nil
}

// importSummary writes the counts and the guardrail findings on stderr.
func (e *env) importSummary(inv *importer.Inventory, res *importer.Result, out string) {
	s := inv.Stats
	w := e.stderr
	auths := make([]string, 0, len(s.ByAuth))
	for a, n := range s.ByAuth {
		auths = append(auths, fmt.Sprintf("%d %s", n, a))
	}
	sort.Strings(auths)
	roles := make([]string, 0, len(s.RoleGrants))
	byRole := 0
	for r, n := range s.RoleGrants {
		roles = append(roles, fmt.Sprintf("%d %s", n, r))
		byRole += n
	}
	sort.Strings(roles)
	where := "stdout"
	if out != "" {
		where = out
	}
	fmt.Fprintf(w, "Imported %d ACL bindings into %s:\n", s.Bindings, where)
	fmt.Fprintf(w, "  principals: %d (%s)\n", s.Principals, orNone(strings.Join(auths, ", ")))
	fmt.Fprintf(w, "  grants:     %d by role (%s), %d explicit\n", byRole, orNone(strings.Join(roles, ", ")), s.ExplicitGrant)
	fmt.Fprintf(w, "  topics:     %d\n", s.Topics)
	fmt.Fprintf(w, "  quotas:     %d client quotas, %d left out\n", len(inv.Quotas), len(inv.QuotasLeftOut))
	for _, q := range inv.QuotasLeftOut {
		fmt.Fprintf(w, "    left out %s: the inventory cannot express this entity; plan leaves it alone\n", q)
	}
	for _, h := range inv.NormalizedHosts {
		fmt.Fprintf(w, "  host %s written as %s: a broker compares the client's address in that form, so the stored host never matched; plan will replace those bindings\n", h.From, h.To)
	}
	fmt.Fprintf(w, "  guardrails: %d violations waived until %s (see waivers:), %d warnings: what the source does today\n", len(res.Compiled.Info), waiverExpiry(inv), len(res.Compiled.Warn))
	for _, f := range res.Compiled.Info {
		fmt.Fprintf(w, "    waived %s %s: %s\n", f.ID, f.Resource, f.Message)
	}
	for _, f := range res.Compiled.Warn {
		fmt.Fprintf(w, "    warn   %s %s: %s\n", f.ID, f.Resource, f.Message)
	}
}

func waiverExpiry(inv *importer.Inventory) string {
	if len(inv.Waivers) == 0 {
		return "-"
	}
	return inv.Waivers[0].Expires
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
