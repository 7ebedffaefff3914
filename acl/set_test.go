package acl

import (
	"slices"
	"testing"
)

func TestNewSetSortsAndDeduplicates(t *testing.T) {
	x := mustBinding(t, "User:b", "TOPIC", "t", "LITERAL", "READ", "ALLOW")
	y := mustBinding(t, "User:a", "TOPIC", "t", "LITERAL", "READ", "ALLOW")
	in := []Binding{x, y, x}
	s := NewSet(in...)
	if got := s.Bindings(); !slices.Equal(got, []Binding{y, x}) {
		t.Fatalf("NewSet = %v, want [a b]", got)
	}
	if in[0] != x || in[1] != y {
		t.Fatal("NewSet modified its argument")
	}
}

func TestSetAlgebra(t *testing.T) {
	a := mustBinding(t, "User:a", "TOPIC", "t", "LITERAL", "READ", "ALLOW")
	b := mustBinding(t, "User:b", "TOPIC", "t", "LITERAL", "READ", "ALLOW")
	c := mustBinding(t, "User:c", "TOPIC", "t", "LITERAL", "READ", "ALLOW")
	ab, bc := NewSet(a, b), NewSet(b, c)
	tests := []struct {
		name string
		got  Set
		want []Binding
	}{
		{"Union", ab.Union(bc), []Binding{a, b, c}},
		{"Intersect", ab.Intersect(bc), []Binding{b}},
		{"Minus", ab.Minus(bc), []Binding{a}},
		{"Minus itself", ab.Minus(ab), nil},
		{"Union with empty", ab.Union(Set{}), []Binding{a, b}},
		{"Filter", ab.Union(bc).Filter(func(x Binding) bool { return x.Principal != "User:b" }), []Binding{a, c}},
	}
	for _, tt := range tests {
		if !tt.got.Equal(NewSet(tt.want...)) {
			t.Errorf("%s = %v, want %v", tt.name, tt.got.Bindings(), tt.want)
		}
	}
	if !ab.Contains(a) || ab.Contains(c) {
		t.Error("Contains is wrong")
	}
}

func TestSetAlgebraLawsOnRandomSets(t *testing.T) {
	g := newRandBindings(11)
	for range 50 {
		x, y := NewSet(g.bindings(60)...), NewSet(g.bindings(60)...)
		u := x.Union(y)
		if !slices.IsSortedFunc(u.Bindings(), Compare) || len(slices.CompactFunc(slices.Clone(u.Bindings()), func(a, b Binding) bool { return a == b })) != u.Len() {
			t.Fatal("Union is not sorted and deduplicated")
		}
		if !u.Equal(NewSet(append(slices.Clone(x.Bindings()), y.Bindings()...)...)) {
			t.Fatal("Union != NewSet of both")
		}
		if got := x.Minus(y).Union(x.Intersect(y)); !got.Equal(x) {
			t.Fatal("(x - y) ∪ (x ∩ y) != x")
		}
		if x.Minus(y).Intersect(y).Len() != 0 {
			t.Fatal("(x - y) ∩ y is not empty")
		}
	}
}
