package audit

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"math"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/report"
	"github.com/kafkaguard/kafkaguard/internal/scram"
	"github.com/kafkaguard/kafkaguard/policies"
)

// CheckACLs reports ACL drift between the compiled policy (desired) and the
// cluster (live): missing bindings (KG101), extra bindings of managed
// principals (KG102) and bindings of principals outside the scope (KG103). It
// also returns the number of bindings in each state.
// locate gives a binding's location in the inventory ("" when unknown).
func CheckACLs(desired, live acl.Set, scope acl.Scope, locate func(acl.Binding) string, applyHint string) ([]report.Finding, map[string]int) {
	p := acl.Diff(desired, live, scope)
	var out []report.Finding
	for _, b := range p.Add {
		out = append(out, finding(KGACLMissing, b.String(), "binding in policy is missing on the cluster",
			"run "+applyHint+" to create it", where(locate, b)))
	}
	for _, b := range p.Remove {
		out = append(out, finding(KGACLExtra, b.String(), "binding on the cluster is not in policy (added outside kafkaguard?)",
			"run "+applyHint+" to remove it, or declare it in the inventory", where(locate, b)))
	}
	for _, b := range p.Unmanaged {
		out = append(out, finding(KGACLUnmanaged, b.String(), "binding of a principal outside the managed scope",
			"declare "+b.Principal+" in the inventory or add it to managed.principals", ""))
	}
	counts := map[string]int{
		StateInSync: len(p.Unchanged), StateMissing: len(p.Add),
		StateExtra: len(p.Remove), StateUnmanaged: len(p.Unmanaged),
	}
	return out, counts
}

// CheckSCRAM reports SCRAM drift: users missing on the cluster (KG201),
// managed users the inventory does not declare (KG202), a different
// mechanism (KG203) or iteration count (KG204), failed logins with the stored
// password (KG205), users without a stored password (KG206), and users
// outside the scope (KG207). logins may be nil (no --secrets-dir).
//
// The drift is the users plan's (scram.PlanUsers, what 'users plan' shows),
// without prune: one differ for both. runningUser is the SCRAM user the
// audit connects as ("" for none). users apply never changes its
// credentials, so a mechanism or iteration mismatch of that user is KG208
// (info) with a fix that works instead of KG203/KG204.
//
// Users in external (declared auth: external) are left alone: not findings.
func CheckSCRAM(desired []scram.DesiredUser, live []SCRAMCredential, logins []LoginResult, scope acl.Scope, cmds Commands, runningUser string, external ...string) ([]report.Finding, map[string]int) {
	actual := map[string][]cluster.SCRAMCredentialInfo{}
	for _, c := range live {
		actual[c.User] = append(actual[c.User], cluster.SCRAMCredentialInfo{Mechanism: c.Mechanism, Iterations: c.Iterations})
	}
	p := scram.PlanUsers(desired, actual, scope, false, runningUser).LeaveExternal(external)
	changes := map[string]scram.UserChange{}
	for _, c := range p.Changes {
		changes[c.User] = c
	}
	left := map[string]scram.LeftAlone{}
	for _, l := range p.LeftAlone {
		left[l.User] = l
	}
	counts := map[string]int{"in_sync": 0, "missing": 0, "extra": 0, "mismatch": 0, "login_failed": 0, "unmanaged": 0}
	var out []report.Finding
	usersApply := cmds.Line("users apply")
	sources := map[string]string{} // declared user -> where the inventory declares it
	for _, d := range desired {
		sources[d.Name] = d.Source
		res := d.Principal()
		c, changed := changes[d.Name]
		l, admin := left[d.Name]
		switch {
		case changed && c.Action == scram.ActionCreate, admin && len(l.Current) == 0:
			counts["missing"]++
			out = append(out, finding(KGUserMissing, res, fmt.Sprintf("%s user is not on the cluster", d.Mechanism), "run "+usersApply+" to set it", d.Source))
		case admin:
			counts["mismatch"]++
			out = append(out, finding(KGRunningAdmin, res, runningAdminDrift(d, l.Current, l.Drift), runningAdminFix(d, l.Current, l.Drift), d.Source))
		case changed:
			counts["mismatch"]++
			out = append(out, driftFindings(d, c, usersApply)...)
		default:
			counts["in_sync"]++
		}
	}
	for _, l := range p.LeftAlone {
		if l.Declared != nil || l.Kind == scram.LeftExternal {
			continue
		}
		res := "User:" + l.User
		if l.Kind == scram.LeftOutsideScope || (l.Kind == scram.LeftRunningAdmin && !scope.Contains(res)) {
			counts["unmanaged"]++
			out = append(out, finding(KGUserUnmanaged, res, "SCRAM user outside the managed scope",
				"declare it in the inventory or add it to managed.principals", ""))
			continue
		}
		counts["extra"]++
		out = append(out, finding(KGUserExtra, res, "SCRAM user on the cluster is not declared in the inventory (created outside kafkaguard?)",
			"run "+usersApply+" --prune to remove it, or declare it in the inventory", ""))
	}
	for _, l := range logins {
		res := "User:" + l.User
		switch l.Status {
		case LoginWrongPassword:
			counts["login_failed"]++
			out = append(out, finding(KGUserLoginFailed, res, "login with the stored password failed: the password was changed outside kafkaguard",
				"run "+cmds.Line("users rotate "+l.User)+" to set a new password and store it", sources[l.User]))
		case LoginNoSecret:
			out = append(out, finding(KGUserNoSecret, res, "no stored password in the secrets directory, so the login was not verified",
				"run "+cmds.Line("users rotate "+l.User)+" to set a password kafkaguard knows", sources[l.User]))
		case LoginError:
			counts["login_failed"]++
			msg := "login failed"
			if l.Detail != "" {
				msg += ": " + l.Detail
			}
			out = append(out, finding(KGUserLoginFailed, res, msg, "check the user's mechanism and the broker's SASL settings", sources[l.User]))
		}
	}
	return out, counts
}

// driftFindings are the findings of a declared user the users plan updates:
// KG203 for a mechanism the cluster lacks or one it has besides, KG204 for
// another iteration count.
func driftFindings(d scram.DesiredUser, c scram.UserChange, usersApply string) []report.Finding {
	var out []report.Finding
	res := d.Principal()
	for _, dr := range c.Drift {
		switch dr.Kind {
		case scram.DriftMechanism:
			out = append(out, finding(KGUserMechanism, res,
				fmt.Sprintf("cluster has %s, inventory declares %s", strings.Join(mechanisms(c.Current), ", "), d.Mechanism), "run "+usersApply+" to set it", d.Source))
		case scram.DriftIterations:
			out = append(out, finding(KGUserIterations, res,
				fmt.Sprintf("%s iterations %d on the cluster, %d in the inventory", d.Mechanism, dr.Iterations, d.Iterations), "run "+usersApply+" to set it", d.Source))
		case scram.DriftExtraMechanism:
			out = append(out, finding(KGUserMechanism, res,
				fmt.Sprintf("cluster also has a %s credential the inventory does not declare", dr.Mechanism),
				"run "+usersApply+" --prune to remove it", d.Source))
		}
	}
	return out
}

func mechanisms(creds []cluster.SCRAMCredentialInfo) []string {
	var out []string
	for _, c := range creds {
		out = append(out, c.Mechanism)
	}
	return out
}

// runningAdminDrift describes how the running admin's credentials differ
// from the inventory.
func runningAdminDrift(d scram.DesiredUser, creds []cluster.SCRAMCredentialInfo, drift []scram.Drift) string {
	var diffs []string
	for _, dr := range drift {
		switch dr.Kind {
		case scram.DriftMechanism:
			var have []string
			for _, c := range creds {
				have = append(have, fmt.Sprintf("%s (%d iterations)", c.Mechanism, c.Iterations))
			}
			diffs = append(diffs, fmt.Sprintf("cluster has %s, inventory declares %s", strings.Join(have, ", "), d.Mechanism))
		case scram.DriftIterations:
			diffs = append(diffs, fmt.Sprintf("%s iterations %d on the cluster, %d in the inventory", d.Mechanism, dr.Iterations, d.Iterations))
		case scram.DriftExtraMechanism:
			diffs = append(diffs, "cluster also has a "+dr.Mechanism+" credential")
		}
	}
	return "the running admin (kafkaguard never changes its own credentials, so users apply leaves it alone): " + strings.Join(diffs, "; ")
}

// runningAdminFix is a fix for KG208 that works: change the credential as
// another admin with Kafka's own tool, or declare what the cluster has.
func runningAdminFix(d scram.DesiredUser, creds []cluster.SCRAMCredentialInfo, drift []scram.Drift) string {
	declare := "or declare the cluster's mechanism (auth: " + strings.ToLower(creds[0].Mechanism) + ") in the inventory"
	if i := slices.IndexFunc(drift, func(dr scram.Drift) bool { return dr.Kind == scram.DriftIterations }); i >= 0 {
		declare = fmt.Sprintf("or declare what the cluster has in the inventory (iterations: %d)", drift[i].Iterations)
	} else if !slices.ContainsFunc(drift, func(dr scram.Drift) bool { return dr.Kind == scram.DriftMechanism }) {
		declare = fmt.Sprintf("or declare what the cluster has in the inventory (iterations: %d)", d.Iterations)
	}
	return fmt.Sprintf("as another admin, run kafka-configs.sh --bootstrap-server HOST:PORT --command-config OTHER-ADMIN.properties --alter --entity-type users --entity-name %s --add-config '%s=[iterations=%d,password=NEW-PASSWORD]' and update this admin's properties file, %s",
		d.Name, d.Mechanism, d.Iterations, declare)
}

// CheckCerts reports CA certificates that expired (KG301) or expire within
// warnWithin (KG302), and revoked ones whose principal still has live ACLs or
// a SCRAM user (KG303). A certificate superseded by a newer valid one for the
// same principal and kind is not reported for expiry or revocation.
// users are the principals ("User:x") with a SCRAM user.
func CheckCerts(certs []Cert, live acl.Set, users []string, now time.Time, warnWithin time.Duration) ([]report.Finding, []CertExpiry) {
	type key struct{ kind, who string }
	who := func(c Cert) key {
		w := c.Principal
		if w == "" {
			w = c.Subject
		}
		return key{c.Kind, w}
	}
	newest := map[key]time.Time{} // latest NotAfter of a non-revoked cert
	for _, c := range certs {
		if !c.Revoked && c.NotAfter.After(newest[who(c)]) {
			newest[who(c)] = c.NotAfter
		}
	}
	active := map[string]bool{}
	for _, b := range live.Bindings() {
		if b.Permission == acl.PermAllow {
			active[b.Principal] = true
		}
	}
	for _, u := range users {
		active[u] = true
	}
	var out []report.Finding
	var exp []CertExpiry
	for _, c := range certs {
		res := certResource(c)
		superseded := c.Superseded || newest[who(c)].After(c.NotAfter)
		left := c.NotAfter.Sub(now)
		if !c.Revoked {
			exp = append(exp, CertExpiry{Name: c.Serial, Kind: c.Kind, Principal: c.Principal, Seconds: math.Round(left.Seconds())})
		}
		switch {
		case c.Revoked:
			if !superseded && c.Principal != "" && active[c.Principal] && left > 0 {
				out = append(out, finding(KGCertRevoked, res,
					fmt.Sprintf("certificate is revoked but %s still has ACLs or a SCRAM user", c.Principal),
					"remove "+c.Principal+" from the inventory and run kafkaguard apply, or issue it a new certificate", ""))
			}
		case superseded:
		case left <= 0:
			out = append(out, finding(KGCertExpired, res,
				expiry(left, c.NotAfter), renewFix(c), ""))
		case left <= warnWithin:
			out = append(out, finding(KGCertExpiring, res,
				expiry(left, c.NotAfter), renewFix(c), ""))
		}
	}
	return out, exp
}

func certResource(c Cert) string {
	s := c.Kind + " certificate " + c.Serial
	if c.Principal != "" {
		s += " (" + c.Principal + ")"
	} else if c.Subject != "" {
		s += " (" + c.Subject + ")"
	}
	return strings.TrimSpace(s)
}

func renewFix(c Cert) string {
	if c.Name == "" {
		return "renew certificate " + c.Serial + " with kafkaguard pki renew"
	}
	dir := c.CADir
	if dir == "" {
		dir = "CA_DIR"
	}
	return "run kafkaguard pki renew --dir " + dir + " --name " + c.Name
}

// expiry says when a certificate with left time left (negative: expired)
// expired or expires: "certificate expires in 12 days (2026-01-02)".
func expiry(left time.Duration, notAfter time.Time) string {
	date := notAfter.UTC().Format(time.DateOnly)
	if left <= 0 {
		return fmt.Sprintf("certificate expired %s ago (%s)", days(-left), date)
	}
	return fmt.Sprintf("certificate expires in %s (%s)", days(left), date)
}

// days renders a duration as whole days ("1 day", "12 days", "less than a day").
func days(d time.Duration) string {
	n := int(d / (24 * time.Hour))
	switch n {
	case 0:
		return "less than a day"
	case 1:
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

// CheckBrokerTLS turns one TLS probe into findings: a failed handshake
// (KG401), a chain that does not verify against roots (KG402), a host name
// mismatch (KG403), an expired (KG404) or expiring (KG405) certificate, or a
// protocol below TLS 1.2 (KG406). It returns the leaf's time left when the
// handshake succeeded.
func CheckBrokerTLS(addr string, p TLSProbe, probeErr error, roots *x509.CertPool, now time.Time, warnWithin time.Duration) ([]report.Finding, *CertExpiry) {
	res := "broker " + addr
	if probeErr != nil {
		return []report.Finding{finding(KGTLSHandshake, res, "TLS handshake failed: "+oneLine(probeErr.Error()),
			"check that the broker listens with TLS on this port and that the client properties match it", "")}, nil
	}
	if len(p.Chain) == 0 {
		return []report.Finding{finding(KGTLSHandshake, res, "broker sent no certificate", "configure ssl.keystore on the broker", "")}, nil
	}
	var out []report.Finding
	leaf := p.Chain[0]
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	inter := x509.NewCertPool()
	for _, c := range p.Chain[1:] {
		inter.AddCert(c)
	}
	// Verify the chain at a time inside the validity window, so an expired
	// certificate is reported as expired (KG404), not as a bad chain.
	at := now
	if at.After(leaf.NotAfter) {
		at = leaf.NotAfter.Add(-time.Second)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		out = append(out, finding(KGTLSChain, res, "certificate chain does not verify against the CA: "+oneLine(err.Error()),
			"issue the broker certificate from this CA (kafkaguard pki issue broker) or point ssl.truststore at the right CA", ""))
	}
	if err := leaf.VerifyHostname(host); err != nil {
		out = append(out, finding(KGTLSHostname, res, "certificate does not match host "+host+": "+oneLine(err.Error()),
			"reissue the broker certificate with "+host+" among its DNS names or IP addresses", ""))
	}
	left := leaf.NotAfter.Sub(now)
	switch {
	case left <= 0:
		out = append(out, finding(KGTLSExpired, res, expiry(left, leaf.NotAfter),
			"renew the broker certificate (kafkaguard pki renew) and reload the broker's keystore", ""))
	case left <= warnWithin:
		out = append(out, finding(KGTLSExpiring, res, expiry(left, leaf.NotAfter),
			"renew the broker certificate (kafkaguard pki renew) and reload the broker's keystore", ""))
	}
	if p.Version != 0 && p.Version < tls.VersionTLS12 {
		out = append(out, finding(KGTLSProtocol, res, "broker negotiated "+tls.VersionName(p.Version),
			"set ssl.enabled.protocols=TLSv1.2,TLSv1.3 on the broker", ""))
	}
	return out, &CertExpiry{Name: addr, Kind: "broker", Seconds: math.Round(left.Seconds())}
}

func plaintextFindings(brokers []string) []report.Finding {
	res := "cluster connection"
	if len(brokers) > 0 {
		res = "broker " + strings.Join(brokers, ",")
	}
	return []report.Finding{finding(KGTLSPlaintext, res, "the client properties connect without TLS, so credentials and data cross the network in clear",
		"use security.protocol=SASL_SSL or SSL with a TLS listener", "")}
}

// CheckGuardrailsOn evaluates the guardrails on the live ACLs: ALLOW to
// User:* (KG501), any ALLOW to User:ANONYMOUS (KG502), ALLOW on the literal
// topic * (KG503). DENY bindings only take access away and are not reported.
func CheckGuardrailsOn(live acl.Set, applyHint string) []report.Finding {
	var out []report.Finding
	for _, b := range live.Bindings() {
		if b.Permission != acl.PermAllow {
			continue
		}
		switch b.Principal {
		case "User:" + acl.Wildcard:
			out = append(out, finding(KGAllowEveryone, b.String(), "ALLOW to User:* lets every authenticated principal in",
				"grant the principals that need it instead, then run "+applyHint, ""))
		case "User:ANONYMOUS":
			out = append(out, finding(KGAllowAnonymous, b.String(), "ALLOW to User:ANONYMOUS lets unauthenticated clients in",
				"remove the binding and close PLAINTEXT listeners", ""))
		}
		if b.ResourceType == acl.ResourceTopic && b.PatternType == acl.PatternLiteral && b.ResourceName == acl.Wildcard {
			out = append(out, finding(KGWildcardTopic, b.String(), "ALLOW on the literal topic * covers every topic, present and future",
				"grant named topics or a PREFIXED pattern instead", ""))
		}
	}
	return out
}

func where(locate func(acl.Binding) string, b acl.Binding) string {
	if locate == nil {
		return ""
	}
	return locate(b)
}

// policyFindings brings in the policy's own findings. The library's IDs
// (KG6xx) and a user policy's own IDs are kept as they are: the library's
// range is disjoint from the audit's, so one report carries both. A user ID
// that is one of the audit's own (KG101 ... KG505) would mean two things in
// one report (SARIF rules, dashboards): it becomes "policy/<ID>". Without an
// ID a finding becomes KG504 (deny) or KG505 (warn).
func policyFindings(fs []report.Finding) []report.Finding {
	var out []report.Finding
	for _, f := range fs {
		switch {
		case f.ID == "":
			f.ID = KGPolicyWarn
			if f.Severity >= report.SeverityError {
				f.ID = KGPolicyDeny
			}
		case isAuditID(f.ID):
			f.ID = "policy/" + f.ID
		}
		if f.Check == "" {
			f.Check = CheckGuardrails
		}
		if f.Fix == "" {
			f.Fix = "change the inventory so the policy passes (kafkaguard policy check)"
		}
		out = append(out, f)
	}
	return out
}

// isAuditID reports whether id is one of the audit's own finding IDs (not
// the policy library's).
func isAuditID(id string) bool {
	r, ok := rulesByID()[id]
	return ok && policies.LibraryChecks()[r.ID] == ""
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
