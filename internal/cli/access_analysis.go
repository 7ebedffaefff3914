package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/acl/analysis"
	"github.com/kafkaguard/kafkaguard/internal/access"
	"github.com/kafkaguard/kafkaguard/internal/app"
	"github.com/kafkaguard/kafkaguard/inventory"
	"github.com/kafkaguard/kafkaguard/policies"
)

// The access commands read their ACLs from one source: --acls FILE, -f
// INVENTORY (compiled with the policies, as compile does), or the live
// cluster (--bootstrap-server / --command-config). This file holds that
// choice and the analysis commands; access.go holds `access can`.

// accessSourceFlags are the flags that name an access command's ACLs, and
// the broker settings that take part in decisions.
func accessSourceFlags() []ucli.Flag {
	flags := []ucli.Flag{
		&ucli.StringFlag{Name: "acls", Usage: "`FILE` with a JSON array of ACL bindings (the compile -o json format)", EnvVars: envVars("acls")},
		&ucli.StringSliceFlag{Name: "file", Aliases: []string{"f"}, Usage: "inventory `FILE` or directory, compiled with the policies (repeatable)", EnvVars: envVars("file")},
		&ucli.StringSliceFlag{Name: "policy", Usage: "`DIR` (or .rego file) of your own policies, with -f (repeatable)", EnvVars: envVars("policy")},
		policyTimeoutFlag(),
		capabilitiesFlag(),
	}
	flags = append(flags, brokerFlags()...)
	return append(flags, connFlags()...)
}

// brokerFlags are the broker settings that take part in decisions
// (read by brokerOptions).
func brokerFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringSliceFlag{Name: "super-user", Usage: "a `PRINCIPAL` in the broker's super.users (repeatable; ';' separates)", EnvVars: envVars("super-user")},
		&ucli.BoolFlag{Name: "allow-if-no-acl", Usage: "the broker sets allow.everyone.if.no.acl.found=true", EnvVars: envVars("allow-if-no-acl")},
	}
}

// errNoACLSource is the error for an access command given no ACLs.
var errNoACLSource = withHint(errors.New("missing --acls FILE"),
	"give the ACLs with --acls acls.json (from 'kafkaguard compile -f inventory.yaml -o json'), -f inventory.yaml, or --bootstrap-server/--command-config for the live cluster")

// accessSource reads the ACLs of the command line's one source.
func (e *env) accessSource(c *ucli.Context) (*access.Source, error) {
	acls, files := c.String("acls"), c.StringSlice("file")
	live := c.String("bootstrap-server") != "" || c.String("command-config") != ""
	// A source typed on the command line wins over ones that come from the
	// environment (KAFKAGUARD_COMMAND_CONFIG exported for plan and apply must
	// not make `access can --acls acls.json` ambiguous).
	typedACLs, typedFiles := e.typed(c, "acls"), e.typed(c, "file")
	typedLive := e.typed(c, "bootstrap-server") || e.typed(c, "command-config")
	if n := count(typedACLs, typedFiles, typedLive); n == 1 {
		if !typedACLs {
			acls = ""
		}
		if !typedFiles {
			files = nil
		}
		live = typedLive
	}
	given := 0
	for _, set := range []bool{acls != "", len(files) > 0, live} {
		if set {
			given++
		}
	}
	switch {
	case given == 0:
		return nil, errNoACLSource
	case given > 1:
		return nil, withHint(errors.New("more than one ACL source given"), "use one of --acls FILE, -f INVENTORY, or the cluster flags (check KAFKAGUARD_ACLS, KAFKAGUARD_FILE, KAFKAGUARD_COMMAND_CONFIG in the environment)")
	case acls != "":
		src, err := access.ReadBindingFile(acls, acls, inventoryLimits(c))
		if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
			return nil, fmt.Errorf("read ACLs: %w", pe)
		}
		return src, err
	case len(files) > 0:
		inv, set, err := e.compileFor(c)(c.Context, files...)
		if err != nil {
			return nil, err
		}
		return &access.Source{Label: files[0], Set: set, Inventory: inv}, nil
	}
	return e.liveSource(c)
}

// liveSource reads the cluster's ACLs with one DescribeAcls request.
func (e *env) liveSource(c *ucli.Context) (*access.Source, error) {
	cl, err := e.connect(c)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	set, err := cl.DescribeACLs(c.Context)
	if err != nil {
		return nil, connectHint(err, cl.Config())
	}
	return &access.Source{Label: "the cluster at " + cl.Config().String(), Set: set}, nil
}

// compileFor returns app.Load with the command line's policies, for one
// inventory (a side of a diff, or -f). Policy denies do not stop an
// analysis; a note says to run policy check.
func (e *env) compileFor(c *ucli.Context) access.Compile {
	return func(ctx context.Context, paths ...string) (*inventory.Inventory, acl.Set, error) {
		w, err := app.Load(ctx, app.Options{Files: paths, PolicyDirs: c.StringSlice("policy"),
			PolicyTimeout: policyTimeout(c), Capabilities: c.String("capabilities"),
			Skip: policies.Skip{Provenance: true, Warnings: true}}) // prints neither
		if err != nil {
			return nil, acl.Set{}, err
		}
		if n := len(w.Compiled.Deny); n > 0 {
			fmt.Fprintf(e.stderr, "kafkaguard: note: %s violates %d policy rule(s); run 'kafkaguard policy check' for details\n", paths[0], n)
		}
		return w.Inventory, w.Compiled.ACLs, nil
	}
}

// brokerOptions are the broker settings of the command line, with the
// super users an inventory declares.
func brokerOptions(c *ucli.Context, srcs ...*access.Source) (acl.AuthorizerOptions, error) {
	supers := superUserFlags(c)
	for _, p := range supers {
		if err := acl.ValidatePrincipal(p); err != nil {
			return acl.AuthorizerOptions{}, fmt.Errorf("--super-user: %w", err)
		}
	}
	for _, s := range srcs {
		if s != nil && s.Inventory != nil {
			for _, p := range s.Inventory.Principals {
				if p.Superuser {
					supers = append(supers, p.KafkaPrincipal())
				}
			}
		}
	}
	slices.Sort(supers)
	return acl.AuthorizerOptions{SuperUsers: slices.Compact(supers), AllowEveryoneIfNoACL: c.Bool("allow-if-no-acl")}, nil
}

// declared lists the principals an inventory declares, so who-can and the
// graph know them even without a binding.
func declared(src *access.Source) []string {
	if src.Inventory == nil {
		return nil
	}
	var ps []string
	for _, p := range src.Inventory.Principals {
		ps = append(ps, p.KafkaPrincipal())
	}
	return ps
}

// analysisIndex reads the source and indexes it for questions.
func (e *env) analysisIndex(c *ucli.Context) (*analysis.Index, *access.Source, error) {
	src, err := e.accessSource(c)
	if err != nil {
		return nil, nil, err
	}
	opts, err := brokerOptions(c, src)
	if err != nil {
		return nil, nil, err
	}
	return analysis.NewIndex(src.Set, opts, declared(src)...), src, nil
}

// writeResult writes a command's result to stdout through a buffer.
func (e *env) writeResult(write func(io.Writer) error) error {
	w := bufio.NewWriter(e.stdout)
	if err := write(w); err != nil {
		return err
	}
	return w.Flush()
}

const sourceHelp = `ACLs come from one of: --acls FILE (the compile -o json format), -f INVENTORY
(compiled with the policies, as compile does; principals declared
superuser: true count as super users), or the live cluster
(--bootstrap-server / --command-config, one DescribeAcls request).`

func accessWhoCanCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "who-can",
		Usage:     "list every principal that may perform OPERATION on a resource",
		UsageText: "kafkaguard access who-can (--acls FILE | -f INVENTORY | --command-config FILE) OPERATION RESOURCE_TYPE [RESOURCE_NAME] [--host IP] [--explain] [-o text|json]",
		Description: `Asks Kafka's authorizer rules (DENY wins, PREFIXED and LITERAL "*" patterns,
User:*, implied DESCRIBE/DESCRIBE_CONFIGS, hosts, super.users) for every known
principal: those of the bindings, the super users and, with -f, the declared
principals. "anyone" says whether a principal with no binding of its own on
the resource may (through User:* or --allow-if-no-acl); every principal not
listed then gets that answer. --explain shows the decision and the bindings
behind it for anyone and for each principal with its own bindings there.

` + sourceHelp + `

-o json: {"operation", "resource_type", "resource_name", "host",
"principals": [sorted], "anyone": bool}, and with --explain "decisions":
[{"principal", "allowed", "reason", "deciding": [bindings]}].

Examples:
  kafkaguard access who-can --acls acls.json READ TOPIC orders.events
  kafkaguard access who-can -f inventory/ WRITE TOPIC payments.cards --explain
  kafkaguard access who-can --command-config admin.properties ALTER CLUSTER -o json | jq .principals
  kafkaguard access who-can --acls acls.json READ GROUP analytics-daily --host 10.0.0.7`,
		Flags: append(accessSourceFlags(),
			hostFlag(),
			&ucli.BoolFlag{Name: "explain", Usage: "show each decision and the bindings that decide it", EnvVars: envVars("explain")},
			outputFlag("text", "json"),
		),
		Action: withArgs(func(c *ucli.Context, args []string) error {
			// The request without a principal: parse it with a placeholder.
			r, err := parseAccessRequest(append([]string{analysis.Anyone}, args...), c.String("host"))
			if err != nil {
				return withHint(err, "kafkaguard access who-can --acls acls.json READ TOPIC orders.events")
			}
			x, _, err := e.analysisIndex(c)
			if err != nil {
				return err
			}
			res := x.WhoCan(r.Operation, r.ResourceType, r.ResourceName, r.Host)
			return e.writeResult(func(w io.Writer) error {
				if c.String("output") == "json" {
					return access.WriteWhoCanJSON(w, res, c.Bool("explain"))
				}
				return access.WriteWhoCanText(w, res, c.Bool("explain"))
			})
		}),
	}
}

func accessListCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "list",
		Usage:     "a principal's effective permissions, by resource pattern, with what is denied and why",
		UsageText: "kafkaguard access list (--acls FILE | -f INVENTORY | --command-config FILE) PRINCIPAL [--explain] [-o text|json]",
		Description: `Lists what PRINCIPAL may do, decided with Kafka's authorizer rules, grouped by
the resource patterns of its own and User:* bindings: the allowed operations
(implied ones included), and each operation a DENY binding takes away with
that binding. A pattern's row holds for the names it covers that no more
specific listed pattern covers; LITERAL "*" rows are for every other name.
Rows from a specific host are listed only where they differ from host *.

` + sourceHelp + `

-o json: {"principal", "super_user", "permissions": [{"resource_type",
"resource_name", "pattern_type", "host", "allowed": [{"operation", "by":
[bindings]}], "denied": [{"operation", "by": [bindings]}]}]}.

Examples:
  kafkaguard access list --acls acls.json User:orders-api
  kafkaguard access list -f inventory/ User:analytics --explain
  kafkaguard access list --command-config admin.properties User:billing -o json`,
		Flags: append(accessSourceFlags(),
			&ucli.BoolFlag{Name: "explain", Usage: "show the bindings that allow each operation", EnvVars: envVars("explain")},
			outputFlag("text", "json"),
		),
		Action: withArgs(func(c *ucli.Context, args []string) error {
			if len(args) != 1 {
				return withHint(fmt.Errorf("want one PRINCIPAL, got %d argument(s)", len(args)), "kafkaguard access list --acls acls.json User:orders-api")
			}
			if err := acl.ValidatePrincipal(args[0]); err != nil {
				return err
			}
			x, _, err := e.analysisIndex(c)
			if err != nil {
				return err
			}
			l := x.List(args[0])
			return e.writeResult(func(w io.Writer) error {
				if c.String("output") == "json" {
					return access.WriteListJSON(w, l)
				}
				return access.WriteListText(w, l, c.Bool("explain"))
			})
		}),
	}
}

func accessDiffCommand(e *env) *ucli.Command {
	flags := []ucli.Flag{
		&ucli.StringFlag{Name: "base", Usage: "the ACLs before: `SOURCE` (file, directory or git REF:PATH); default: the live cluster", EnvVars: envVars("base")},
		&ucli.StringFlag{Name: "head", Usage: "the ACLs after: `SOURCE` (file, directory or git REF:PATH); required", EnvVars: envVars("head")},
		&ucli.StringSliceFlag{Name: "policy", Usage: "`DIR` (or .rego file) of your own policies, for inventory sides (repeatable)", EnvVars: envVars("policy")},
		policyTimeoutFlag(),
		capabilitiesFlag(),
	}
	flags = append(flags, brokerFlags()...)
	flags = append(flags, outputFlag("text", "json", "markdown"))
	return &ucli.Command{
		Name:      "diff",
		Usage:     "the effective access change between two ACL sources (for pull requests); exit 0 none, 2 changes",
		UsageText: "kafkaguard access diff [--base SOURCE] --head SOURCE [--policy DIR]... [-o text|json|markdown]",
		Description: `Reports who gains or loses which operation on which resource pattern, decided
with Kafka's authorizer rules on both sides: not a binding diff. A grant that
changes nobody's answer (a redundant grant, ALL split into the same
operations, a literal under an existing prefix) reports nothing; a DENY added
reports what it takes away; implied operations (READ gives DESCRIBE) are
reported when they change.

A SOURCE is a binding file (*.json, the compile -o json format), an
inventory file (*.yaml) or directory (compiled with --policy), or REF:PATH:
the same at a git revision, read with git as a pull request sees it
(origin/main:inventory/; PATH from the repository's top, or ./PATH from the
current directory). Without --base the live cluster is the base
(--bootstrap-server / --command-config): how the head's access differs from
the cluster's (apply keeps unmanaged principals' bindings, so their losses
here are drift, not what apply would do).

Rows: a principal, or User:* (anyone: every principal without its own
bindings there); host * (every host no host-specific binding names) or a
host; LITERAL name, PREFIXED prefix (names under it that no more specific
row's pattern covers, existing or not) or LITERAL * (every other name). A
row is left out when a more general row says the same. Risks: prefix,
wildcard, anyone, cross-team (a restricted/confidential topic of another
team, from the inventories), breaks-service (a principal that still runs
loses access).

-o json: {"base", "head", "summary": {"gained", "lost", "risky",
"principals"}, "changes": [{"principal", "operation", "resource_type",
"resource_name", "pattern_type", "host", "change": "gained"|"lost",
"risk": [...], "example"}]}. -o markdown: a pull-request comment, one table
per principal, risky rows first.

Exit code: 0 no change, 2 changes (as plan --detailed-exitcode), 1 error.

Examples:
  kafkaguard access diff --base origin/main:inventory/ --head inventory/ -o markdown > access.md
  kafkaguard access diff --base old-acls.json --head new-acls.json
  kafkaguard access diff --base HEAD~1:acls.json --head acls.json -o json | jq '.changes[] | select(.risk | length > 0)'
  kafkaguard access diff --head inventory/ --command-config admin.properties`,
		Flags: append(flags, connFlags()...),
		Action: func(c *ucli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			return e.accessDiff(c)
		},
	}
}

func (e *env) accessDiff(c *ucli.Context) error {
	if c.String("head") == "" {
		return withHint(errors.New("missing --head SOURCE"), "kafkaguard access diff --base origin/main:inventory/ --head inventory/")
	}
	var base *access.Source
	var err error
	if spec := c.String("base"); spec != "" {
		base, err = access.Read(c.Context, spec, inventoryLimits(c), e.compileFor(c))
	} else if c.String("bootstrap-server") != "" || c.String("command-config") != "" {
		base, err = e.liveSource(c)
	} else {
		err = withHint(errors.New("missing --base SOURCE"), "pass --base origin/main:inventory/ (or a file), or the cluster flags to compare with the live cluster")
	}
	if err != nil {
		return err
	}
	head, err := access.Read(c.Context, c.String("head"), inventoryLimits(c), e.compileFor(c))
	if err != nil {
		return err
	}
	opts, err := brokerOptions(c, head)
	if err != nil {
		return err
	}
	rep := access.DiffReport{
		Base: base.Label, Head: head.Label,
		Changes: analysis.Diff(base.Set, head.Set, analysis.DiffOptions{Broker: opts, Meta: access.Metadata(base, head)}),
	}
	err = e.writeResult(func(w io.Writer) error {
		switch c.String("output") {
		case "json":
			return rep.WriteJSON(w)
		case "markdown":
			return rep.WriteMarkdown(w)
		}
		return rep.WriteText(w)
	})
	if err != nil {
		return err
	}
	return findingsIf(len(rep.Changes) > 0)
}

func accessGraphCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "graph",
		Usage:     "the access picture: principals -> resources with the operations, grouped by team (dot, mermaid)",
		UsageText: "kafkaguard access graph (--acls FILE | -f INVENTORY | --command-config FILE) [--principal P]... [--topic NAME]... [-o dot|mermaid|json]",
		Description: `Draws every principal's effective permissions (as access list computes them):
one edge per principal, resource pattern and host, labelled with the
operations (ALL when all of them; DESCRIBE left out when READ, WRITE, DELETE
or ALTER imply it). Writes (WRITE, CREATE, DELETE, ALTER, ALTER_CONFIGS,
CLUSTER_ACTION, IDEMPOTENT_WRITE, CREATE_TOKENS) are bold red in DOT and
thick (==>) in mermaid; reads are plain. With -f, principals and declared
topics are grouped by team.

--principal keeps the principals named (a trailing * is a prefix:
User:orders-*); --topic keeps TOPIC patterns that cover the topic (a trailing
* is a topic family: payments.*), so a large inventory stays readable.

` + sourceHelp + `

Examples:
  kafkaguard access graph -f inventory/ -o dot | dot -Tsvg > access.svg
  kafkaguard access graph -f inventory/ -o mermaid --topic 'payments.*'
  kafkaguard access graph --acls acls.json --principal 'User:orders-*' -o json`,
		Flags: append(accessSourceFlags(),
			&ucli.StringSliceFlag{Name: "principal", Usage: "only this `PRINCIPAL` (trailing * = prefix; repeatable)", EnvVars: envVars("principal")},
			&ucli.StringSliceFlag{Name: "topic", Usage: "only TOPIC patterns covering this `NAME` (trailing * = family; repeatable)", EnvVars: envVars("topic")},
			outputFlag("dot", "mermaid", "json"),
		),
		Action: func(c *ucli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			for _, p := range c.StringSlice("principal") {
				if err := acl.ValidatePrincipal(p); err != nil {
					return fmt.Errorf("--principal: %w", err)
				}
			}
			x, src, err := e.analysisIndex(c)
			if err != nil {
				return err
			}
			g := x.Graph(access.Metadata(src), analysis.GraphFilter{Principals: c.StringSlice("principal"), Topics: c.StringSlice("topic")})
			return e.writeResult(func(w io.Writer) error {
				switch c.String("output") {
				case "mermaid":
					return access.WriteMermaid(w, g)
				case "json":
					return access.WriteGraphJSON(w, g)
				}
				return access.WriteDOT(w, g)
			})
		},
	}
}

// typed reports whether flag name (or an alias) was written on the command
// line, not only taken from the environment.
func (e *env) typed(c *ucli.Context, name string) bool {
	f := findFlag(c.Command.Flags, name)
	if f == nil {
		return false
	}
	for _, a := range e.args {
		if a == "--" {
			break
		}
		tok, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && slices.Contains(f.Names(), tok) {
			return true
		}
	}
	return false
}

func count(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}
