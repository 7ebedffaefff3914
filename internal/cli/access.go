package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/kafkaguard/kafkaguard/acl"
)

func accessCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "access",
		Usage:     "answer authorization questions offline, as the broker would; review access changes",
		UsageText: "kafkaguard access can|who-can|list|diff|graph [command options] [arguments...]",
		Description: `Decides requests with the rules of Kafka's StandardAuthorizer (KRaft) and
AclAuthorizer: super users bypass ACLs, DENY wins over ALLOW, User:* and host
* match everyone, LITERAL "*" and PREFIXED patterns match names, ALL matches
every operation, READ/WRITE/DELETE/ALTER imply DESCRIBE and ALTER_CONFIGS
implies DESCRIBE_CONFIGS for ALLOW bindings, and allow.everyone.if.no.acl.found
decides when a resource has no ACL at all. The ACLs come from --acls FILE,
-f INVENTORY (compiled with the policies) or the live cluster.

  can      may PRINCIPAL do OPERATION on a resource? (exit 0 yes, 2 no)
  who-can  every principal that may, and whether anyone may
  list     a principal's effective permissions, with what is denied and why
  diff     who gains or loses what between two ACL sources (pull requests)
  graph    principals -> resources with the operations (dot, mermaid)

Examples:
  kafkaguard compile -f inventory.yaml -o json > acls.json
  kafkaguard access can --acls acls.json User:orders-api WRITE TOPIC orders.events
  kafkaguard access who-can -f inventory/ READ TOPIC payments.cards --explain
  kafkaguard access list -f inventory/ User:analytics
  kafkaguard access diff --base origin/main:inventory/ --head inventory/ -o markdown
  kafkaguard access graph -f inventory/ -o dot | dot -Tsvg > access.svg`,
		Subcommands: []*ucli.Command{accessCanCommand(e), accessWhoCanCommand(e), accessListCommand(e), accessDiffCommand(e), accessGraphCommand(e)},
	}
}

func accessCanCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "can",
		Usage:     "may PRINCIPAL perform OPERATION on a resource? exit 0 allowed, 2 denied",
		UsageText: "kafkaguard access can (--acls FILE | -f INVENTORY | --command-config FILE) PRINCIPAL OPERATION RESOURCE_TYPE [RESOURCE_NAME] [--host HOST] [--super-user PRINCIPAL]... [--allow-if-no-acl] [-o text|json]",
		Description: `Prints ALLOWED or DENIED, the reason, and the bindings that decided it.
Exit code 0 when allowed, 2 when denied, 1 on bad input.

The ACLs come from --acls FILE, -f INVENTORY (compiled with the policies;
declared superuser principals count as super users) or the live cluster
(--bootstrap-server / --command-config). FILE is a JSON array of bindings,
the format of 'kafkaguard compile -o json':
  [{"principal":"User:orders-api","host":"*","resource_type":"TOPIC",
    "resource_name":"orders.events","pattern_type":"LITERAL",
    "operation":"WRITE","permission":"ALLOW"}]

PRINCIPAL has Kafka's Type:name form (User:alice). OPERATION is one concrete
operation (READ, WRITE, DESCRIBE, ...; not ALL) valid for RESOURCE_TYPE
(TOPIC, GROUP, CLUSTER, TRANSACTIONAL_ID, DELEGATION_TOKEN, USER).
RESOURCE_NAME is the literal name asked about; for CLUSTER it may be left out
(it is always kafka-cluster).

--host is the client's address as the broker sees it (an IP address). Without
it the request comes from an unspecified host: only bindings with host *
apply, and a note on stderr lists host-specific bindings that were skipped.

--super-user mirrors the broker's super.users (repeat it, or separate
principals with ';' as super.users does); --allow-if-no-acl mirrors
allow.everyone.if.no.acl.found=true.

Flags may come before or after the arguments; a resource name that begins
with '-' goes after --, as in: User:a READ TOPIC -- -name.

Examples:
  kafkaguard access can --acls acls.json User:orders-api WRITE TOPIC orders.events
  kafkaguard access can --acls acls.json User:analytics DESCRIBE GROUP analytics-daily --host 10.0.0.7
  kafkaguard access can --acls acls.json User:ops DESCRIBE_CONFIGS CLUSTER
  kafkaguard access can --acls acls.json User:admin ALTER CLUSTER --super-user 'User:admin;User:kafka'
  kafkaguard access can --acls acls.json User:billing READ TOPIC invoices -o json | jq .reason`,
		Flags: append(accessSourceFlags(),
			hostFlag(),
			outputFlag("text", "json"),
		),
		Action: withArgs(e.accessCan),
	}
}

// hostFlag is --host, the client address of a request.
func hostFlag() ucli.Flag {
	return &ucli.StringFlag{Name: "host", Value: acl.Wildcard, Usage: "the client's address `HOST` (an IP); * = unspecified: only host * bindings apply", EnvVars: envVars("host")}
}

// withArgs is the action of a command whose flags may follow its arguments:
// run gets the arguments alone (trailingFlags); -h shows the help.
func withArgs(run func(c *ucli.Context, args []string) error) ucli.ActionFunc {
	return func(c *ucli.Context) error {
		args, err := trailingFlags(c)
		if errors.Is(err, errHelpShown) {
			return nil
		}
		if err != nil {
			return err
		}
		return run(c, args)
	}
}

// errHelpShown stops a command after trailingFlags printed its help.
var errHelpShown = errors.New("help shown")

// trailingFlags sets the flags that follow the positional arguments
// (urfave/cli v2 stops parsing flags at the first argument), runs their
// actions (e.g. outputFlag's format check) as urfave/cli does for the flags it
// parses, and returns the positional arguments alone.
func trailingFlags(c *ucli.Context) ([]string, error) {
	in := c.Args().Slice()
	var args []string
	var set []ucli.Flag
	for i := 0; i < len(in); i++ {
		a := in[i]
		if a == "--" {
			args = append(args, in[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			args = append(args, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name == "h" || name == "help" {
			if err := ucli.ShowSubcommandHelp(c); err != nil {
				return nil, err
			}
			return nil, errHelpShown
		}
		fl := findFlag(c.Command.Flags, name)
		if fl == nil {
			err, suggestion := flagTypo(fmt.Errorf("flag provided but not defined: -%s", name), c.Command.Flags)
			return nil, withHint(err, usageHint(suggestion, c.Command.HelpName))
		}
		if _, isBool := fl.(*ucli.BoolFlag); isBool && !hasValue {
			value, hasValue = "true", true
		}
		if !hasValue {
			if i+1 >= len(in) {
				return nil, fmt.Errorf("flag needs an argument: -%s", name)
			}
			i++
			value = in[i]
		}
		if err := c.Set(fl.Names()[0], value); err != nil {
			return nil, fmt.Errorf("invalid value %q for flag -%s: %w", value, name, err)
		}
		set = append(set, fl)
	}
	for _, fl := range set {
		if af, ok := fl.(ucli.ActionableFlag); ok {
			if err := af.RunAction(c); err != nil {
				return nil, err
			}
		}
	}
	return args, nil
}

// findFlag is the flag of flags called name, as its command built it (not
// withNames' wrapper), or nil.
func findFlag(flags []ucli.Flag, name string) ucli.Flag {
	for _, f := range flags {
		if slices.Contains(f.Names(), name) {
			return unwrapNames(f)
		}
	}
	return nil
}

// accessRequest is the request as the JSON output shows it.
type accessRequest struct {
	Principal    string `json:"principal"`
	Host         string `json:"host"`
	Operation    string `json:"operation"`
	ResourceType string `json:"resource_type"`
	ResourceName string `json:"resource_name"`
}

// accessResult is the documented JSON output of `access can`.
type accessResult struct {
	Allowed  bool          `json:"allowed"`
	Decision string        `json:"decision"` // ALLOWED or DENIED
	Reason   string        `json:"reason"`
	Request  accessRequest `json:"request"`
	Deciding []acl.Binding `json:"deciding"`
}

func (e *env) accessCan(c *ucli.Context, args []string) error {
	r, err := parseAccessRequest(args, c.String("host"))
	if err != nil {
		return err
	}
	src, err := e.accessSource(c)
	if err != nil {
		return err
	}
	opts, err := brokerOptions(c, src)
	if err != nil {
		return err
	}
	set := src.Set
	d := acl.NewAuthorizer(set, opts).Authorize(r)

	if !c.IsSet("host") {
		if n, hosts := hostSpecific(set, r); n > 0 {
			fmt.Fprintf(e.stderr, "kafkaguard: note: %d binding(s) on this resource for %s name specific hosts (%s) and were not considered; pass --host to check a client address\n",
				n, r.Principal, strings.Join(hosts, ", "))
		}
	}

	res := accessResult{
		Allowed: d.Allowed, Decision: "DENIED", Reason: d.Reason,
		Request: accessRequest{
			Principal: r.Principal, Host: r.Host, Operation: r.Operation.String(),
			ResourceType: r.ResourceType.String(), ResourceName: r.ResourceName,
		},
		Deciding: d.Deciding,
	}
	if d.Allowed {
		res.Decision = "ALLOWED"
	}
	if res.Deciding == nil {
		res.Deciding = []acl.Binding{}
	}
	if c.String("output") == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		e.printAccessText(c, res)
	}
	return findingsIf(!d.Allowed)
}

func (e *env) printAccessText(c *ucli.Context, res accessResult) {
	verdict := res.Decision
	if e.useColor(c) {
		colour := "\x1b[31m"
		if res.Allowed {
			colour = "\x1b[32m"
		}
		verdict = colour + verdict + "\x1b[0m"
	}
	rq := res.Request
	fmt.Fprintln(e.stdout, verdict)
	fmt.Fprintf(e.stdout, "request: %s %s %s %q from host %s\n", rq.Principal, rq.Operation, rq.ResourceType, rq.ResourceName, rq.Host)
	fmt.Fprintf(e.stdout, "reason:  %s\n", res.Reason)
	if len(res.Deciding) > 0 {
		fmt.Fprintln(e.stdout, "deciding bindings:")
		for _, b := range res.Deciding {
			fmt.Fprintf(e.stdout, "  %s\n", b)
		}
	}
}

// parseAccessRequest reads PRINCIPAL OPERATION RESOURCE_TYPE [RESOURCE_NAME].
func parseAccessRequest(args []string, host string) (acl.Request, error) {
	if len(args) < 3 || len(args) > 4 {
		return acl.Request{}, withHint(fmt.Errorf("want PRINCIPAL OPERATION RESOURCE_TYPE RESOURCE_NAME, got %d argument(s)", len(args)),
			"kafkaguard access can --acls acls.json User:orders-api WRITE TOPIC orders.events")
	}
	if err := acl.ValidatePrincipal(args[0]); err != nil {
		return acl.Request{}, err
	}
	op, err := acl.ParseOperation(args[1])
	if err != nil {
		return acl.Request{}, err
	}
	rt, err := acl.ParseResourceType(args[2])
	if err != nil {
		return acl.Request{}, err
	}
	if op == acl.OpAll {
		return acl.Request{}, fmt.Errorf("a request is for one operation, not ALL (%s has %s)", rt, opNames(rt.Operations()))
	}
	if !rt.Allows(op) {
		return acl.Request{}, fmt.Errorf("operation %s is not valid on resource type %s (valid: %s)", op, rt, opNames(rt.Operations()))
	}
	name := ""
	switch {
	case len(args) == 4:
		name = args[3]
	case rt == acl.ResourceCluster:
		name = acl.ClusterName
	default:
		return acl.Request{}, withHint(fmt.Errorf("missing RESOURCE_NAME for %s", rt),
			"kafkaguard access can --acls acls.json User:orders-api WRITE TOPIC orders.events")
	}
	if name == "" {
		return acl.Request{}, fmt.Errorf("empty resource name for %s", rt)
	}
	if rt == acl.ResourceCluster && name != acl.ClusterName {
		return acl.Request{}, fmt.Errorf("the CLUSTER resource is named %q, not %q", acl.ClusterName, name)
	}
	if host == "" {
		return acl.Request{}, errors.New("empty --host (leave it out for an unspecified host)")
	}
	// The broker sees the client's address as Java prints it; so does the
	// request ("::1" is "0:0:0:0:0:0:0:1").
	host, err = acl.NormalizeHost(host)
	if err != nil {
		return acl.Request{}, fmt.Errorf("--host: %w", err)
	}
	return acl.Request{Principal: args[0], Host: host, Operation: op, ResourceType: rt, ResourceName: name}, nil
}

func opNames(ops []acl.Operation) string {
	names := make([]string, len(ops))
	for i, o := range ops {
		names[i] = o.String()
	}
	return strings.Join(names, ", ")
}

// hostSpecific counts the bindings on r's resource for r's principal (or
// User:*) whose host is neither * nor r's, and lists their distinct hosts.
func hostSpecific(s acl.Set, r acl.Request) (int, []string) {
	var hosts []string
	for _, b := range s.Bindings() {
		if b.Host != acl.Wildcard && b.Host != r.Host &&
			b.MatchesPrincipal(r.Principal) &&
			b.MatchesResource(r.ResourceType, r.ResourceName) {
			hosts = append(hosts, b.Host)
		}
	}
	n := len(hosts)
	slices.Sort(hosts)
	return n, slices.Compact(hosts)
}
