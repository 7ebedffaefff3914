// Package inventory reads kafkaguard's declared inventory: the cluster, its
// principals, topics and grants, from one or more strict YAML files. Every
// error names the file and line it is about.
package inventory

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kafkaguard/kafkaguard/acl"
)

// Authentication methods a principal may declare.
const (
	AuthSCRAMSHA256 = "scram-sha-256"
	AuthSCRAMSHA512 = "scram-sha-512"
	AuthMTLS        = "mtls"
	AuthPlain       = "plain"       // SASL/PLAIN: allowed, but never for a superuser
	AuthOAuthBearer = "oauthbearer" // SASL/OAUTHBEARER: allowed, but never for a superuser
	// AuthExternal: the principal's credentials are managed outside
	// kafkaguard (another tool, an identity provider, a certificate
	// authority of its own); kafkaguard manages its ACLs only and the users
	// commands leave it alone. `kafkaguard import` declares principals it
	// sees only in ACLs this way.
	AuthExternal = "external"
)

// Topic classifications, from least to most sensitive.
var Classifications = []string{"public", "internal", "confidential", "restricted"}

// DefaultIterations is the SCRAM iteration count used when none is declared.
const DefaultIterations = 4096

// Inventory is the merged content of every inventory file.
type Inventory struct {
	Cluster    Cluster
	Principals []Principal // sorted by Name
	Topics     []Topic     // sorted by Name
	Grants     []Grant     // in file order, files in load order
	Managed    Managed
	Waivers    []Waiver // in file order
	// Quotas are the client quotas declared (principals.<name>.quotas,
	// quotas.default, quotas.clients), sorted by entity.
	Quotas []Quota
	// QuotasDeclared is true when any file declares a quota: only then does
	// kafkaguard manage the cluster's quotas (plan, apply, audit).
	QuotasDeclared bool
	// QuotaRequiredFor are classifications whose topics' readers and
	// writers must have a quota (quotas.require_for; guardrail KG606).
	QuotaRequiredFor []string
	Files            []string // the files read, in order
	// Limits are the limits it was loaded with (defaults filled in); the
	// policy compiler holds its expansion to them too.
	Limits Limits
}

// Waiver exempts one principal (or topic) from one guardrail until a date,
// with a reason and who approved it. Only an approved waiver that has not
// expired waives; the finding it waives is reported as waived (info).
type Waiver struct {
	Rule       string // a rule ID (KG602) or check name (wildcard-resource)
	Principal  string // the principal it is for ("*" = User:*), or ""
	Topic      string // the topic (as declared) it is for, or ""
	Reason     string
	ApprovedBy string // "" = not approved: does not waive
	Expires    string // YYYY-MM-DD, the last day it waives
	Source     string // "file:line"
}

// Expired reports whether a date (YYYY-MM-DD, the last day something
// applies) is before today's date of now, in UTC. "" never expires.
func Expired(date string, now time.Time) bool {
	return date != "" && date < now.UTC().Format(DateLayout)
}

// DateLayout is how inventory dates are written: 2027-03-31.
const DateLayout = "2006-01-02"

// Cluster describes the cluster the inventory is for.
type Cluster struct {
	Name                     string
	SSLPrincipalMappingRules string
	Source                   string // "file:line" of the cluster block, "" when absent
}

// Principal is one declared Kafka principal, User:<Name>.
type Principal struct {
	Name       string
	Auth       string // "scram-sha-256" | "scram-sha-512" | "mtls" (also "plain", "oauthbearer", "external")
	Team       string
	DN         string // mtls only, optional
	Iterations int    // SCRAM only; 0 = DefaultIterations
	Superuser  bool
	Labels     map[string]string // free-form labels passed to Rego (cost-center, owner, ...)
	Source     string            // "file:line"
}

// KafkaPrincipal is the principal as Kafka names it: "User:" + Name.
func (p Principal) KafkaPrincipal() string { return "User:" + p.Name }

// IsSCRAM reports whether the principal authenticates with SASL/SCRAM.
func (p Principal) IsSCRAM() bool { return p.Auth == AuthSCRAMSHA256 || p.Auth == AuthSCRAMSHA512 }

// Mechanism is the SASL mechanism name of a SCRAM principal, "" otherwise.
func (p Principal) Mechanism() string {
	switch p.Auth {
	case AuthSCRAMSHA256:
		return "SCRAM-SHA-256"
	case AuthSCRAMSHA512:
		return "SCRAM-SHA-512"
	}
	return ""
}

// EffectiveIterations is the SCRAM iteration count, DefaultIterations when unset.
func (p Principal) EffectiveIterations() int {
	if p.Iterations == 0 {
		return DefaultIterations
	}
	return p.Iterations
}

// Topic is one declared topic or, with a trailing "*", a family of topics.
type Topic struct {
	Name           string // as written; "payments.*" is PREFIXED "payments."
	Team           string
	Classification string // public | internal | confidential | restricted ("" = not classified)
	Description    string
	Labels         map[string]string // free-form labels passed to Rego
	Source         string
}

// Pattern returns the Kafka pattern of the topic name.
func (t Topic) Pattern() (name string, pattern acl.PatternType) { return SplitName(t.Name) }

// Resource is an explicit resource in a grant: {type: CLUSTER} or
// {type: TOPIC, name: "x"}.
type Resource struct {
	Type string // Kafka resource type name, upper case (TOPIC, GROUP, CLUSTER, ...)
	Name string // as written (trailing * = PREFIXED); "kafka-cluster" for CLUSTER
}

// Grant gives (or, with Permission DENY, takes away) access to a principal.
type Grant struct {
	Principal        string // a declared principal's name, or "*" (User:*)
	Role             string // "" when Operations is used
	Permission       string // "ALLOW" (default) | "DENY"
	Topics           []string
	Groups           []string
	TransactionalIDs []string
	Resource         *Resource
	Operations       []string // upper case Kafka operation names
	Hosts            []string // default ["*"]
	Create           bool     // producer roles: also CREATE on the topics
	Inputs           []string // streams-app, connector (sink), ksqldb: topics it reads
	Outputs          []string // streams-app, connector (source), ksqldb: topics it writes
	ApplicationID    string   // streams-app: the application.id
	ExactlyOnce      bool     // streams-app, connect-worker, connector, ksqldb: exactly-once transactional ids
	Connector        string   // connector: the connector's name
	WorkerGroup      string   // connector: the Connect cluster's group.id (exactly-once source connectors)
	DLQ              string   // connector: the sink's dead letter queue topic
	OffsetsTopic     string   // connector: its own offsets.storage.topic (exactly-once source connectors)
	ServiceID        string   // ksqldb: the ksql.service.id
	Expires          string   // YYYY-MM-DD: the last day the grant applies; "" = no end
	ApprovedBy       string   // who approved cross-team access to restricted topics
	Reason           string
	Source           string // "file:line"
	Index            int    // position in Inventory.Grants
}

// Managed lists whose live ACLs kafkaguard may remove.
type Managed struct {
	Principals []string // Kafka principals; a trailing "*" is a prefix
	Source     string
}

// Principal returns the declared principal called name.
func (inv *Inventory) Principal(name string) (Principal, bool) {
	i, ok := slices.BinarySearchFunc(inv.Principals, name, func(p Principal, n string) int { return strings.Compare(p.Name, n) })
	if !ok {
		return Principal{}, false
	}
	return inv.Principals[i], true
}

// Topic returns the declared topic written as name (e.g. "payments.*").
func (inv *Inventory) Topic(name string) (Topic, bool) {
	i, ok := slices.BinarySearchFunc(inv.Topics, name, func(t Topic, n string) int { return strings.Compare(t.Name, n) })
	if !ok {
		return Topic{}, false
	}
	return inv.Topics[i], true
}

// ManagedPrincipals returns managed.principals, or when none are declared
// User:<name> for every declared principal.
func (inv *Inventory) ManagedPrincipals() []string {
	if len(inv.Managed.Principals) > 0 {
		return slices.Clone(inv.Managed.Principals)
	}
	out := make([]string, 0, len(inv.Principals))
	for _, p := range inv.Principals {
		out = append(out, p.KafkaPrincipal())
	}
	return out
}

// ManagedScope is the scope of principals whose live ACLs plan and apply may
// remove: managed.principals, or when none are declared User:<name> for every
// declared principal.
func (inv *Inventory) ManagedScope() (acl.Scope, error) {
	s, err := acl.NewScope(inv.ManagedPrincipals()...)
	if err != nil {
		if inv.Managed.Source != "" {
			return acl.Scope{}, fmt.Errorf("%s: managed.principals: %w", inv.Managed.Source, err)
		}
		return acl.Scope{}, fmt.Errorf("managed principals: %w", err)
	}
	return s, nil
}

// SplitName turns a name as written into a Kafka resource name and pattern
// type: "orders.*" is PREFIXED "orders.", "*" alone is LITERAL "*" (Kafka's
// wildcard), anything else is LITERAL.
func SplitName(s string) (string, acl.PatternType) {
	if s != acl.Wildcard && strings.HasSuffix(s, "*") {
		return strings.TrimSuffix(s, "*"), acl.PatternPrefixed
	}
	return s, acl.PatternLiteral
}

// Quota keys, as Kafka names them (kafka-configs.sh --add-config).
const (
	QuotaProducerByteRate       = "producer_byte_rate"
	QuotaConsumerByteRate       = "consumer_byte_rate"
	QuotaRequestPercentage      = "request_percentage"
	QuotaControllerMutationRate = "controller_mutation_rate"
)

// QuotaKeys are the client quota keys an inventory may set, sorted.
var QuotaKeys = []string{QuotaConsumerByteRate, QuotaControllerMutationRate, QuotaProducerByteRate, QuotaRequestPercentage}

// Quota entity types, as Kafka names them.
const (
	QuotaUser     = "user"
	QuotaClientID = "client-id"
)

// QuotaEntity is what a client quota applies to: a user or a client id, by
// name, or the default for all of them (Name "" with Default).
type QuotaEntity struct {
	Type    string // QuotaUser or QuotaClientID
	Name    string
	Default bool
}

// String names the entity as kafkaguard shows it: "User:orders-api",
// "User:<default>", "client-id:etl", "client-id:<default>".
func (e QuotaEntity) String() string {
	prefix := "User:"
	if e.Type == QuotaClientID {
		prefix = "client-id:"
	}
	if e.Default {
		return prefix + "<default>"
	}
	return prefix + e.Name
}

// Quota is the quota values declared for one entity.
type Quota struct {
	Entity QuotaEntity
	Values map[string]float64 // by QuotaKeys
	Source string             // "file:line"
}

// QuotaOf returns the quota declared for entity e.
func (inv *Inventory) QuotaOf(e QuotaEntity) (Quota, bool) {
	for _, q := range inv.Quotas {
		if q.Entity == e {
			return q, true
		}
	}
	return Quota{}, false
}
