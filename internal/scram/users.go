// Package scram manages Kafka's SASL/SCRAM users (KIP-554): the desired users
// from the inventory, credential derivation with xdg-go/scram, the secrets
// store, the users plan (pure data) and its rendering, apply, verification by
// logging in, and rotation.
//
// Passwords never leave this package except into the secrets store and the
// cluster's SCRAM handshake: no error, plan, log line or result carries one.
package scram

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/kafkaguard/kafkaguard/inventory"
)

// SCRAM mechanisms, as Kafka names them.
const (
	SHA256 = "SCRAM-SHA-256"
	SHA512 = "SCRAM-SHA-512"
)

// Iteration bounds Kafka enforces, and the default of Kafka's own tools.
const (
	MinIterations     = 4096
	MaxIterations     = 16384
	DefaultIterations = 4096
)

// MaxNameLength bounds user names (Kafka has no hard limit; file names do).
const MaxNameLength = 200

// DesiredUser is one SCRAM user the inventory declares.
type DesiredUser struct {
	Name       string `json:"user"`
	Mechanism  string `json:"mechanism"`
	Iterations int    `json:"iterations"`
	Source     string `json:"source,omitempty"` // "file:line" in the inventory
}

// Principal is the Kafka principal of the user.
func (d DesiredUser) Principal() string { return "User:" + d.Name }

// ValidateMechanism accepts SCRAM-SHA-256 and SCRAM-SHA-512.
func ValidateMechanism(m string) error {
	switch m {
	case SHA256, SHA512:
		return nil
	}
	return fmt.Errorf("unknown SCRAM mechanism %q (want %s or %s)", m, SHA256, SHA512)
}

// ValidateIterations checks Kafka's bounds.
func ValidateIterations(n int) error {
	if n < MinIterations || n > MaxIterations {
		return fmt.Errorf("iterations %d outside %d-%d (Kafka's bounds)", n, MinIterations, MaxIterations)
	}
	return nil
}

// ValidateUserName rejects names Kafka would refuse (empty) and names that
// cannot be carried safely into a SCRAM handshake, a JAAS config and a file
// name: kafkaguard's SCRAM users are letters, digits and . _ - @, not "." or
// "..", at most MaxNameLength bytes.
func ValidateUserName(name string) error {
	switch {
	case name == "":
		return errors.New("empty SCRAM user name (Kafka rejects it)")
	case name == "." || name == "..":
		return fmt.Errorf("SCRAM user name %q is not allowed", name)
	case len(name) > MaxNameLength:
		return fmt.Errorf("SCRAM user name %.20q... longer than %d bytes", name, MaxNameLength)
	case !utf8.ValidString(name):
		return fmt.Errorf("SCRAM user name %q is not valid UTF-8", name)
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			r == '.' || r == '_' || r == '-' || r == '@'
		if !ok {
			return fmt.Errorf("SCRAM user name %q has character %q (use letters, digits and . _ - @)", name, r)
		}
	}
	return nil
}

// Validate checks a desired user completely.
func (d DesiredUser) Validate() error {
	where := ""
	if d.Source != "" {
		where = d.Source + ": "
	}
	if err := ValidateUserName(d.Name); err != nil {
		return fmt.Errorf("%s%w", where, err)
	}
	if err := ValidateMechanism(d.Mechanism); err != nil {
		return fmt.Errorf("%suser %s: %w", where, d.Name, err)
	}
	if err := ValidateIterations(d.Iterations); err != nil {
		return fmt.Errorf("%suser %s: %w", where, d.Name, err)
	}
	return nil
}

// DesiredFromInventory returns the SCRAM principals of inv as desired users,
// sorted by name and validated (bad names and iteration counts are errors
// naming the inventory file and line).
func DesiredFromInventory(inv *inventory.Inventory) ([]DesiredUser, error) {
	var out []DesiredUser
	for _, p := range inv.Principals {
		if !p.IsSCRAM() {
			continue
		}
		d := DesiredUser{Name: p.Name, Mechanism: p.Mechanism(), Iterations: p.EffectiveIterations(), Source: p.Source}
		if err := d.Validate(); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// ExternalFromInventory returns the names of the principals inv declares
// with auth: external, whose credentials the users commands leave alone.
func ExternalFromInventory(inv *inventory.Inventory) []string {
	var out []string
	for _, p := range inv.Principals {
		if p.Auth == inventory.AuthExternal {
			out = append(out, p.Name)
		}
	}
	return out
}

// Select returns the desired users named in names (all when names is empty),
// failing for a name the inventory does not declare as a SCRAM user.
func Select(desired []DesiredUser, names []string) ([]DesiredUser, error) {
	if len(names) == 0 {
		return desired, nil
	}
	byName := make(map[string]DesiredUser, len(desired))
	for _, d := range desired {
		byName[d.Name] = d
	}
	var out []DesiredUser
	seen := map[string]bool{}
	for _, n := range names {
		n = strings.TrimPrefix(n, "User:")
		d, ok := byName[n]
		if !ok {
			return nil, fmt.Errorf("user %s is not a SCRAM principal in the inventory", n)
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
