// Package importer turns what exists today — a cluster's ACL bindings and
// SCRAM users, or another tool's files (kafka-acls.sh --list output, Kafka
// Security Manager CSV/YAML, Julie Ops topologies, Strimzi KafkaUsers) — into
// a kafkaguard inventory that compiles back to exactly the same bindings.
//
// It is pure: parsers take bytes and return bindings, Build infers roles and
// writes the inventory. Reading a live cluster is internal/cluster's job.
package importer

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/inventory"
)

// Principal is what a source knows about a principal's credentials. Every
// principal of a binding that no Principal describes is declared
// auth: external.
type Principal struct {
	Name       string // without "User:"
	Auth       string // an inventory auth value (inventory.AuthSCRAMSHA512, ...)
	Iterations int    // SCRAM only; 0 = the default
	DN         string // mtls only, optional
	Note       string // a comment written above the principal, "" for none
}

// Input is what one source produced.
type Input struct {
	Source     string // the --from value, named in the header comment
	Bindings   []acl.Binding
	Principals []Principal
	// Quotas are the client quotas read (users, the user default, client
	// ids); QuotasLeftOut the entities the inventory cannot express
	// ("client-id=etl,user=a", "ip=10.0.0.1"), which plan leaves alone.
	Quotas        []inventory.Quota
	QuotasLeftOut []string
}

// Stats summarises an import for the summary line on stderr.
type Stats struct {
	Bindings      int
	Principals    int
	ByAuth        map[string]int
	RoleGrants    map[string]int // grants by role
	ExplicitGrant int            // grants with operations
	Topics        int
}

// Inventory is the inferred inventory, ready to be written.
type Inventory struct {
	Source     string
	Principals []Principal // sorted by name
	Topics     []string    // as written ("orders.*" for a prefix), sorted
	Grants     []Grant
	Managed    []string // Kafka principals, sorted
	Waivers    []Waiver
	Quotas     []inventory.Quota // sorted by entity
	// QuotasLeftOut are the cluster's quota entities not written (plan
	// leaves them alone); NormalizedHosts the binding hosts rewritten to
	// the form a broker compares (plan replaces those bindings).
	QuotasLeftOut   []string
	NormalizedHosts []HostChange
	Stats           Stats
}

// Grant is one grant of the inventory, as the YAML writes it.
type Grant struct {
	Principal        string // name without "User:", or "*"
	Permission       acl.Permission
	Role             string // "" for operations
	Create           bool
	Topics           []string
	Groups           []string
	TransactionalIDs []string
	Operations       []acl.Operation
	Resource         *Resource
	Hosts            []string // nil = every host
}

// Waiver is an inventory waiver (inventory.Waiver) that import writes for
// each guardrail what exists today breaks, so that the inventory plans as
// the cluster is while the team decides; it expires (Options.WaiverDays).
type Waiver struct {
	Rule       string // the guardrail ID
	Principal  string // inventory name ("*" for User:*), or ""
	Topic      string // or the topic it is about
	Reason     string
	ApprovedBy string
	Expires    string // YYYY-MM-DD
}

// Resource is a grant's explicit resource (CLUSTER, USER, DELEGATION_TOKEN).
type Resource struct {
	Type acl.ResourceType
	Name string // as written
}

// PrincipalName returns the inventory name of a Kafka principal: "User:x"
// is "x", "User:*" is "*". Other principal types cannot be declared.
func PrincipalName(p string) (string, error) {
	typ, name, ok := strings.Cut(p, ":")
	if !ok || name == "" {
		return "", fmt.Errorf("principal %q is not in Kafka's Type:name form", p)
	}
	if typ != "User" {
		return "", fmt.Errorf("principal %q: the inventory declares User principals only (type %q)", p, typ)
	}
	if strings.ContainsAny(name, "\n\r\t") {
		return "", fmt.Errorf("principal %q has control characters", p)
	}
	if strings.HasPrefix(name, "User:") {
		return "", fmt.Errorf("principal %q: a name that itself starts with \"User:\" cannot be declared", p)
	}
	return name, nil
}

// WrittenName is a resource name as the inventory writes it: a trailing "*"
// for PREFIXED. A name that would read back differently is an error.
func WrittenName(b acl.Binding) (string, error) {
	name := b.ResourceName
	if b.PatternType == acl.PatternPrefixed {
		if strings.Contains(name, "*") {
			return "", fmt.Errorf("%s: a PREFIXED name holding \"*\" cannot be written in the inventory", b)
		}
		return name + "*", nil
	}
	if name != acl.Wildcard && strings.HasSuffix(name, "*") {
		return "", fmt.Errorf("%s: a LITERAL name ending in \"*\" cannot be written in the inventory (it would read as a prefix)", b)
	}
	return name, nil
}

// check tells why a binding cannot be carried into an inventory, or nil.
func check(b acl.Binding) error {
	if err := b.ValidateStored(); err != nil {
		return fmt.Errorf("%s: %v", b, err)
	}
	if _, err := PrincipalName(b.Principal); err != nil {
		return fmt.Errorf("%s: %v", b, err)
	}
	w, err := WrittenName(b)
	if err != nil {
		return err
	}
	if b.ResourceType == acl.ResourceTopic && w != acl.Wildcard {
		if err := inventory.ValidTopicPattern(w); err != nil {
			return fmt.Errorf("%s: %v", b, err)
		}
	}
	if b.ResourceType == acl.ResourceGroup || b.ResourceType == acl.ResourceTransactionalID || b.ResourceType == acl.ResourceUser || b.ResourceType == acl.ResourceDelegationToken {
		if err := inventory.ValidIDPattern("resource name", w); err != nil {
			return fmt.Errorf("%s: %v", b, err)
		}
	}
	return nil
}

// Build infers the inventory of in: principals (every principal of a binding
// and every principal in.Principals describes), the topics the bindings
// name, grants by role where a principal's bindings are exactly a role's
// expansion and by operations elsewhere, and managed.principals naming
// exactly the imported principals.
func Build(in Input) (*Inventory, error) {
	set := acl.NewSet(in.Bindings...)
	for _, b := range set.Bindings() {
		if err := check(b); err != nil {
			return nil, err
		}
	}
	out := &Inventory{Source: in.Source}
	known := map[string]Principal{}
	for _, p := range in.Principals {
		if _, err := PrincipalName("User:" + p.Name); err != nil {
			return nil, err
		}
		known[p.Name] = p
	}
	wildcard := false
	topics := map[string]bool{}
	for _, q := range in.Quotas {
		if q.Entity.Type == inventory.QuotaUser && !q.Entity.Default {
			if _, ok := known[q.Entity.Name]; !ok {
				known[q.Entity.Name] = Principal{Name: q.Entity.Name, Auth: inventory.AuthExternal}
			}
		}
	}
	out.Quotas, out.QuotasLeftOut = in.Quotas, in.QuotasLeftOut
	for _, b := range set.Bindings() {
		name, _ := PrincipalName(b.Principal)
		if name == acl.Wildcard {
			wildcard = true
		} else if _, ok := known[name]; !ok {
			known[name] = Principal{Name: name, Auth: inventory.AuthExternal}
		}
		if b.ResourceType == acl.ResourceTopic && !(b.PatternType == acl.PatternLiteral && b.ResourceName == acl.Wildcard) {
			w, _ := WrittenName(b)
			topics[w] = true
		}
	}
	for _, p := range known {
		out.Principals = append(out.Principals, p)
		out.Managed = append(out.Managed, "User:"+p.Name)
	}
	if wildcard {
		out.Managed = append(out.Managed, "User:"+acl.Wildcard)
	}
	slices.SortFunc(out.Principals, func(a, b Principal) int { return strings.Compare(a.Name, b.Name) })
	slices.Sort(out.Managed)
	for t := range topics {
		out.Topics = append(out.Topics, t)
	}
	slices.Sort(out.Topics)
	out.Grants = infer(set.Bindings())

	out.Stats = Stats{Bindings: set.Len(), Principals: len(out.Principals), ByAuth: map[string]int{}, RoleGrants: map[string]int{}, Topics: len(out.Topics)}
	for _, p := range out.Principals {
		out.Stats.ByAuth[p.Auth]++
	}
	for _, g := range out.Grants {
		if g.Role != "" {
			out.Stats.RoleGrants[g.Role]++
		} else {
			out.Stats.ExplicitGrant++
		}
	}
	return out, nil
}
