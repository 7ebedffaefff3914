package acl

import (
	"slices"
	"strings"
	"testing"
)

func mustBinding(t testing.TB, principal, rt, name, pt, op, perm string) Binding {
	t.Helper()
	b, err := FromStrings(principal, "*", rt, name, pt, op, perm)
	if err != nil {
		t.Fatalf("binding: %v", err)
	}
	return b
}

func TestScopeContains(t *testing.T) {
	s, err := NewScope("User:orders-*", "User:analytics", "User:*")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		principal string
		want      bool
	}{
		{"User:orders-api", true},
		{"User:orders-", true},
		{"User:orders", false},
		{"User:analytics", true},
		{"User:analytics2", false},
		{"User:*", true},            // the literal wildcard principal
		{"User:billing", false},     // User:* is not "every user"
		{"Group:orders-api", false}, // the type is part of the prefix
	}
	for _, tt := range tests {
		if got := s.Contains(tt.principal); got != tt.want {
			t.Errorf("Contains(%q) = %v, want %v", tt.principal, got, tt.want)
		}
	}
}

func TestScopeStarAloneContainsEverything(t *testing.T) {
	s, err := NewScope("*")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"User:a", "User:*", "Group:x"} {
		if !s.Contains(p) {
			t.Errorf("Contains(%q) = false, want true", p)
		}
	}
}

func TestZeroScopeContainsNothing(t *testing.T) {
	var s Scope
	if s.Contains("User:a") || s.Contains("User:*") {
		t.Fatal("zero Scope contains a principal")
	}
}

func TestScopeRejectsMalformedPatterns(t *testing.T) {
	for _, p := range []string{"", "alice", "alice*", "User:", ":alice", "orders-*"} {
		if _, err := NewScope(p); err == nil {
			t.Errorf("NewScope(%q) succeeded, want error", p)
		} else if !strings.Contains(err.Error(), "scope pattern") {
			t.Errorf("NewScope(%q) error %q does not name the pattern", p, err)
		}
	}
}

func TestScopePatternsSortedAndDeduplicated(t *testing.T) {
	s, err := NewScope("User:b", "User:a-*", "User:b")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Patterns(), []string{"User:a-*", "User:b"}; !slices.Equal(got, want) {
		t.Fatalf("Patterns() = %q, want %q", got, want)
	}
}

func TestDiffSortsBindingsIntoAddRemoveUnchangedUnmanaged(t *testing.T) {
	keep := mustBinding(t, "User:orders-api", "TOPIC", "orders", "LITERAL", "WRITE", "ALLOW")
	add := mustBinding(t, "User:orders-api", "TOPIC", "orders", "LITERAL", "DESCRIBE", "ALLOW")
	addOutside := mustBinding(t, "User:zeta", "GROUP", "g", "LITERAL", "READ", "ALLOW")
	remove := mustBinding(t, "User:orders-worker", "TOPIC", "old", "LITERAL", "READ", "ALLOW")
	unmanaged := mustBinding(t, "User:legacy", "TOPIC", "old", "LITERAL", "READ", "ALLOW")
	wildcardUnmanaged := mustBinding(t, "User:*", "TOPIC", "public", "LITERAL", "READ", "ALLOW")
	scope, err := NewScope("User:orders-*")
	if err != nil {
		t.Fatal(err)
	}
	p := Diff(NewSet(keep, add, addOutside), NewSet(keep, remove, unmanaged, wildcardUnmanaged), scope)
	check := func(name string, got []Binding, want ...Binding) {
		t.Helper()
		slices.SortFunc(want, Compare)
		if !slices.Equal(got, want) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("Add", p.Add, add, addOutside)
	check("Remove", p.Remove, remove)
	check("Unchanged", p.Unchanged, keep)
	check("Unmanaged", p.Unmanaged, unmanaged, wildcardUnmanaged)
	if !p.HasChanges() {
		t.Error("HasChanges() = false, want true")
	}
}

func TestDiffOfEqualSetsHasNoChanges(t *testing.T) {
	b := mustBinding(t, "User:a", "TOPIC", "t", "LITERAL", "READ", "ALLOW")
	s := NewSet(b)
	all, _ := NewScope("*")
	p := Diff(s, s, all)
	if p.HasChanges() || len(p.Unchanged) != 1 || len(p.Unmanaged) != 0 {
		t.Fatalf("Diff(s, s) = %+v, want one unchanged binding", p)
	}
}

func TestDiffWithEmptyScopeNeverRemoves(t *testing.T) {
	b := mustBinding(t, "User:a", "TOPIC", "t", "LITERAL", "READ", "ALLOW")
	p := Diff(Set{}, NewSet(b), Scope{})
	if p.HasChanges() || len(p.Unmanaged) != 1 {
		t.Fatalf("Diff with zero scope = %+v, want the binding unmanaged", p)
	}
}

func TestDiffMatchesSetAlgebra(t *testing.T) {
	r := newRandBindings(7)
	desired, actual := NewSet(r.bindings(500)...), NewSet(r.bindings(500)...)
	scope, _ := NewScope("User:u1*", "User:*")
	p := Diff(desired, actual, scope)
	if got, want := NewSet(p.Add...), desired.Minus(actual); !got.Equal(want) {
		t.Errorf("Add != desired - actual")
	}
	if got, want := NewSet(p.Unchanged...), desired.Intersect(actual); !got.Equal(want) {
		t.Errorf("Unchanged != desired ∩ actual")
	}
	extra := actual.Minus(desired)
	if got, want := NewSet(p.Remove...), extra.Filter(func(b Binding) bool { return scope.Contains(b.Principal) }); !got.Equal(want) {
		t.Errorf("Remove != in-scope (actual - desired)")
	}
	if got, want := NewSet(p.Unmanaged...), extra.Filter(func(b Binding) bool { return !scope.Contains(b.Principal) }); !got.Equal(want) {
		t.Errorf("Unmanaged != out-of-scope (actual - desired)")
	}
	for name, s := range map[string][]Binding{"Add": p.Add, "Remove": p.Remove, "Unchanged": p.Unchanged, "Unmanaged": p.Unmanaged} {
		if !slices.IsSortedFunc(s, Compare) {
			t.Errorf("%s is not sorted", name)
		}
	}
}
