package acl

import (
	"fmt"
	"slices"
	"strings"
)

// Scope is the set of principals whose live ACLs kafkaguard manages: a plan
// may remove their bindings from the cluster. Bindings of principals outside
// the scope are reported as unmanaged and never removed.
//
// A pattern is a principal ("User:analytics"), a principal prefix with a
// trailing * ("User:orders-*" matches User:orders-api and User:orders-),
// or "*" alone for every principal. A name that is exactly "*"
// ("User:*") is Kafka's literal wildcard principal, the one bindings for
// everyone carry: it puts those bindings in scope, not every user. Use "*"
// alone to manage everything.
//
// The zero value contains nothing.
type Scope struct {
	all      bool
	exact    map[string]struct{}
	prefixes []string // sorted, without the trailing *
	patterns []string // sorted, deduplicated, as given
}

// NewScope builds a scope from principal patterns (see Scope). Malformed
// principals are errors naming the pattern.
func NewScope(patterns ...string) (Scope, error) {
	s := Scope{exact: make(map[string]struct{})}
	for _, p := range patterns {
		switch {
		case p == Wildcard:
			s.all = true
		case isPrincipalPrefix(p):
			prefix := strings.TrimSuffix(p, Wildcard)
			if err := ValidatePrincipal(prefix); err != nil {
				return Scope{}, fmt.Errorf("scope pattern %q: %w", p, err)
			}
			s.prefixes = append(s.prefixes, prefix)
		default:
			if err := ValidatePrincipal(p); err != nil {
				return Scope{}, fmt.Errorf("scope pattern %q: %w", p, err)
			}
			s.exact[p] = struct{}{}
		}
		s.patterns = append(s.patterns, p)
	}
	slices.Sort(s.prefixes)
	s.prefixes = slices.Compact(s.prefixes)
	slices.Sort(s.patterns)
	s.patterns = slices.Compact(s.patterns)
	return s, nil
}

// isPrincipalPrefix reports whether p ends in a * that means "prefix": any
// trailing * except the whole name being the literal wildcard ("User:*").
func isPrincipalPrefix(p string) bool {
	if !strings.HasSuffix(p, Wildcard) {
		return false
	}
	_, name, ok := strings.Cut(p, ":")
	return !ok || name != Wildcard
}

// Contains reports whether principal is managed.
func (s Scope) Contains(principal string) bool {
	if s.all {
		return true
	}
	if _, ok := s.exact[principal]; ok {
		return true
	}
	for _, p := range s.prefixes {
		if strings.HasPrefix(principal, p) {
			return true
		}
	}
	return false
}

// Patterns returns the patterns the scope was built from, sorted and
// deduplicated.
func (s Scope) Patterns() []string { return slices.Clone(s.patterns) }

// String renders the scope as its patterns, comma separated.
func (s Scope) String() string { return strings.Join(s.patterns, ", ") }
