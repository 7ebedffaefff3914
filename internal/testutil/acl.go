package testutil

import (
	"testing"

	"github.com/kafkaguard/kafkaguard/acl"
)

// Binding is the binding for host "*" that acl.FromStrings makes of the
// strings; tb fails when they do not name one.
func Binding(tb testing.TB, principal, resourceType, name, patternType, op, perm string) acl.Binding {
	tb.Helper()
	return HostBinding(tb, principal, "*", resourceType, name, patternType, op, perm)
}

// HostBinding is Binding for a given host.
func HostBinding(tb testing.TB, principal, host, resourceType, name, patternType, op, perm string) acl.Binding {
	tb.Helper()
	b, err := acl.FromStrings(principal, host, resourceType, name, patternType, op, perm)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// Scope is acl.NewScope of patterns; tb fails when one is malformed.
func Scope(tb testing.TB, patterns ...string) acl.Scope {
	tb.Helper()
	s, err := acl.NewScope(patterns...)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}
