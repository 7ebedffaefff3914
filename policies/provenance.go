package policies

import (
	"strconv"
	"strings"
)

// Provenance is what produced a binding: a grant of the inventory or an
// acls rule of a user policy.
type Provenance struct {
	File string // the grant's inventory file, or the rule's policy file
	Line int    // its line; 0 when unknown
	// Rule is the policy rule that produced the binding ("data.acme.acls");
	// "" for a grant.
	Rule string
	// Role is the grant's role; "" for a grant of explicit operations (and
	// for a rule).
	Role string
}

// IsGrant reports whether a grant (not a policy rule) produced the binding.
func (p Provenance) IsGrant() bool { return p.Rule == "" }

// Location is "file:line" ("file" when the line is unknown).
func (p Provenance) Location() string {
	if p.Line <= 0 {
		return p.File
	}
	return p.File + ":" + strconv.Itoa(p.Line)
}

// String is how compile --explain shows it: "grant inventory.yaml:14 (role
// producer)", "grant inventory.yaml:20 (operations)" or "rule
// data.acme.acls (policies/acls.rego:3)".
func (p Provenance) String() string {
	if !p.IsGrant() {
		return "rule " + p.Rule + " (" + p.Location() + ")"
	}
	return "grant " + p.Location() + " (" + p.what() + ")"
}

// what names how a grant gives its access: "role <name>" or "operations".
func (p Provenance) what() string {
	if p.Role == "" {
		return "operations"
	}
	return "role " + p.Role
}

// grantProvenance is the provenance of a grant whose source is "file:line".
func grantProvenance(source, role string) Provenance {
	file, line := splitFileLine(source)
	return Provenance{File: file, Line: line, Role: role}
}

// ruleProvenance is the provenance of the rule called name of a package
// (the rule site's location is "file:row").
func ruleProvenance(s ruleSite, name string) Provenance {
	file, line := splitFileLine(s.location)
	return Provenance{File: file, Line: line, Rule: s.pkg.String() + "." + name}
}

// splitFileLine splits "file:line" at its last colon (a file name may hold
// colons); a location without a line is all file.
func splitFileLine(loc string) (string, int) {
	i := strings.LastIndexByte(loc, ':')
	if i < 0 {
		return loc, 0
	}
	n, err := strconv.Atoi(loc[i+1:])
	if err != nil || n <= 0 {
		return loc, 0
	}
	return loc[:i], n
}
