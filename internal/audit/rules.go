package audit

import (
	"maps"
	"sync"

	"github.com/kafkaguard/kafkaguard/internal/report"
	"github.com/kafkaguard/kafkaguard/policies"
)

// Rule is one stable finding ID. The table is documented in docs/audit.md;
// IDs are never reused for another meaning.
type Rule struct {
	ID       string
	Check    string
	Severity report.Severity
	Title    string
}

// Finding IDs: KG1xx ACL, KG2xx SCRAM, KG3xx certificates, KG4xx broker TLS,
// KG5xx guardrails on the live ACLs. KG6xx are the policy library's
// guardrails on the inventory (policies.LibraryGuardrails), reported as they
// are.
const (
	KGACLMissing   = "KG101"
	KGACLExtra     = "KG102"
	KGACLUnmanaged = "KG103"

	KGUserMissing     = "KG201"
	KGUserExtra       = "KG202"
	KGUserMechanism   = "KG203"
	KGUserIterations  = "KG204"
	KGUserLoginFailed = "KG205"
	KGUserNoSecret    = "KG206"
	KGUserUnmanaged   = "KG207"
	KGRunningAdmin    = "KG208"

	KGCertExpired  = "KG301"
	KGCertExpiring = "KG302"
	KGCertRevoked  = "KG303"

	KGTLSHandshake = "KG401"
	KGTLSChain     = "KG402"
	KGTLSHostname  = "KG403"
	KGTLSExpired   = "KG404"
	KGTLSExpiring  = "KG405"
	KGTLSProtocol  = "KG406"
	KGTLSPlaintext = "KG407"

	KGAllowEveryone  = "KG501"
	KGAllowAnonymous = "KG502"
	KGWildcardTopic  = "KG503"
	KGPolicyDeny     = "KG504"
	KGPolicyWarn     = "KG505"
)

// Rules is the finding ID table, in ID order. It is built on first use:
// the KG6xx rows parse the policy library, which as a package variable cost
// every start of the binary 15-40 ms, whatever the command.
var Rules = sync.OnceValue(func() []Rule {
	return append([]Rule{
		{KGACLMissing, CheckACLDrift, report.SeverityWarning, "ACL binding in policy is missing on the cluster"},
		{KGACLExtra, CheckACLDrift, report.SeverityError, "ACL binding of a managed principal on the cluster is not in policy"},
		{KGACLUnmanaged, CheckACLDrift, report.SeverityInfo, "ACL binding of a principal outside the managed scope"},
		{KGUserMissing, CheckSCRAMDrift, report.SeverityWarning, "SCRAM user in the inventory is missing on the cluster"},
		{KGUserExtra, CheckSCRAMDrift, report.SeverityError, "SCRAM user of a managed principal on the cluster is not in the inventory"},
		{KGUserMechanism, CheckSCRAMDrift, report.SeverityWarning, "SCRAM user has a different mechanism on the cluster"},
		{KGUserIterations, CheckSCRAMDrift, report.SeverityWarning, "SCRAM user has a different iteration count on the cluster"},
		{KGUserLoginFailed, CheckSCRAMDrift, report.SeverityError, "login with the stored password failed"},
		{KGUserNoSecret, CheckSCRAMDrift, report.SeverityWarning, "no stored password to verify the SCRAM user with"},
		{KGUserUnmanaged, CheckSCRAMDrift, report.SeverityInfo, "SCRAM user outside the managed scope"},
		{KGRunningAdmin, CheckSCRAMDrift, report.SeverityInfo, "the running admin's SCRAM credential differs from the inventory (kafkaguard never changes it)"},
		{KGCertExpired, CheckCertificates, report.SeverityError, "certificate has expired"},
		{KGCertExpiring, CheckCertificates, report.SeverityWarning, "certificate expires soon"},
		{KGCertRevoked, CheckCertificates, report.SeverityError, "certificate revoked but its principal still has ACLs or a SCRAM user"},
		{KGTLSHandshake, CheckTLS, report.SeverityError, "TLS handshake with the broker failed"},
		{KGTLSChain, CheckTLS, report.SeverityError, "broker certificate chain does not verify against the CA"},
		{KGTLSHostname, CheckTLS, report.SeverityError, "broker certificate does not match the broker's host name"},
		{KGTLSExpired, CheckTLS, report.SeverityError, "broker certificate has expired"},
		{KGTLSExpiring, CheckTLS, report.SeverityWarning, "broker certificate expires soon"},
		{KGTLSProtocol, CheckTLS, report.SeverityError, "broker negotiated a TLS version below 1.2"},
		{KGTLSPlaintext, CheckTLS, report.SeverityWarning, "connection to the cluster is not encrypted"},
		{KGAllowEveryone, CheckGuardrails, report.SeverityError, "live ACL allows User:* (every principal)"},
		{KGAllowAnonymous, CheckGuardrails, report.SeverityError, "live ACL grants to User:ANONYMOUS (unauthenticated clients)"},
		{KGWildcardTopic, CheckGuardrails, report.SeverityWarning, "live ACL allows the literal * topic (every topic)"},
		{KGPolicyDeny, CheckGuardrails, report.SeverityError, "policy deny rule on the inventory"},
		{KGPolicyWarn, CheckGuardrails, report.SeverityWarning, "policy warn rule on the inventory"},
	}, append(libraryRules(), governanceRules...)...)
})

// libraryRules are the policy library's guardrails (KG6xx), which follow the
// audit's own in Rules so report rule tables (SARIF) have their titles.
func libraryRules() []Rule {
	gs := policies.LibraryGuardrails()
	out := make([]Rule, 0, len(gs))
	for _, g := range gs {
		sev := report.SeverityWarning
		if g.Rule == "deny" {
			sev = report.SeverityError
		}
		out = append(out, Rule{g.ID, g.Check, sev, g.Title})
	}
	return out
}

var rulesByID = sync.OnceValue(func() map[string]Rule {
	m := map[string]Rule{}
	for _, r := range Rules() {
		m[r.ID] = r
	}
	return m
})

var ruleTitles = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for _, r := range Rules() {
		m[r.ID] = r.Title
	}
	return m
})

// RuleTitles maps every finding ID to its title (for report.Report.Rules).
func RuleTitles() map[string]string { return maps.Clone(ruleTitles()) }

// finding builds a finding of rule id with the rule's check and severity.
func finding(id, resource, message, fix, location string) report.Finding {
	r := rulesByID()[id]
	return report.Finding{ID: id, Check: r.Check, Severity: r.Severity, Resource: resource, Message: message, Fix: fix, Location: location}
}
