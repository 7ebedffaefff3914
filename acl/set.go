package acl

import "slices"

// Set is an immutable, sorted, deduplicated collection of bindings. The zero
// value is the empty set.
type Set struct {
	bs []Binding
}

// NewSet returns the set of bs (copied, sorted with Compare, deduplicated).
func NewSet(bs ...Binding) Set {
	c := slices.Clone(bs)
	slices.SortFunc(c, Compare)
	c = slices.CompactFunc(c, func(a, b Binding) bool { return a == b })
	return Set{bs: c}
}

// SetOf is NewSet for a slice the caller hands over: it is sorted and
// compacted in place (no copy of a large expansion), and must not be used
// afterwards.
func SetOf(bs []Binding) Set {
	slices.SortFunc(bs, Compare)
	return Set{bs: slices.CompactFunc(bs, func(a, b Binding) bool { return a == b })}
}

// Len is the number of bindings in the set.
func (s Set) Len() int { return len(s.bs) }

// Bindings returns the bindings in order. The caller must not modify them.
func (s Set) Bindings() []Binding { return s.bs }

// Contains reports whether b is in the set.
func (s Set) Contains(b Binding) bool {
	_, ok := slices.BinarySearchFunc(s.bs, b, Compare)
	return ok
}

// Union returns the bindings in s or o.
func (s Set) Union(o Set) Set {
	out := make([]Binding, 0, len(s.bs)+len(o.bs))
	merge(s.bs, o.bs, func(b Binding) { out = append(out, b) }, func(b Binding) { out = append(out, b) }, func(b Binding) { out = append(out, b) })
	return Set{bs: out}
}

// Intersect returns the bindings in both s and o.
func (s Set) Intersect(o Set) Set {
	var out []Binding
	merge(s.bs, o.bs, nil, nil, func(b Binding) { out = append(out, b) })
	return Set{bs: out}
}

// Minus returns the bindings in s and not in o.
func (s Set) Minus(o Set) Set {
	var out []Binding
	merge(s.bs, o.bs, func(b Binding) { out = append(out, b) }, nil, nil)
	return Set{bs: out}
}

// Filter returns the bindings of s for which keep is true.
func (s Set) Filter(keep func(Binding) bool) Set {
	var out []Binding
	for _, b := range s.bs {
		if keep(b) {
			out = append(out, b)
		}
	}
	return Set{bs: out}
}

// Equal reports whether s and o hold the same bindings.
func (s Set) Equal(o Set) bool { return slices.Equal(s.bs, o.bs) }

// merge walks two sorted, deduplicated slices once, calling onlyA, onlyB and
// both (each may be nil) in order.
func merge(a, b []Binding, onlyA, onlyB, both func(Binding)) {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch c := Compare(a[i], b[j]); {
		case c < 0:
			if onlyA != nil {
				onlyA(a[i])
			}
			i++
		case c > 0:
			if onlyB != nil {
				onlyB(b[j])
			}
			j++
		default:
			if both != nil {
				both(a[i])
			}
			i++
			j++
		}
	}
	if onlyA != nil {
		for ; i < len(a); i++ {
			onlyA(a[i])
		}
	}
	if onlyB != nil {
		for ; j < len(b); j++ {
			onlyB(b[j])
		}
	}
}
