package analysis

import (
	"slices"
	"strings"

	"github.com/kafkaguard/kafkaguard/acl"
)

// classKind says which names a resource class holds.
type classKind uint8

const (
	classLiteral  classKind = iota // the one name
	classPrefixed                  // names under the prefix that no longer prefix or literal of the universe covers
	classOther                     // names no pattern of the universe covers but LITERAL "*"
)

// class is a set of resource names of one type that every binding of the
// universe treats alike: the same patterns cover each of its names, so the
// authorizer gives each of them the same answer. Names are grouped by the
// patterns of the bindings, never enumerated.
type class struct {
	typ  acl.ResourceType
	kind classKind
	name string // the literal name or the prefix; "" for classOther
}

// pattern is how a class is reported: LITERAL name, PREFIXED prefix, or
// LITERAL "*" for the names no other pattern covers.
func (c class) pattern() (name string, pt acl.PatternType) {
	switch c.kind {
	case classPrefixed:
		return c.name, acl.PatternPrefixed
	case classOther:
		return acl.Wildcard, acl.PatternLiteral
	}
	return c.name, acl.PatternLiteral
}

// universe holds the resource patterns of one or more sets, by type: the
// classes of names and a way to name one member of each.
type universe struct {
	types    map[acl.ResourceType]*typePatterns
	examples map[class]string // example's answers: finding one may search
}

type typePatterns struct {
	literal    map[string]bool // LITERAL names except "*"
	prefixed   map[string]bool
	prefixLens []int    // distinct lengths of the prefixes, ascending
	names      []string // literal and prefixed names, sorted, deduplicated: names under a prefix are contiguous
	wildcard   bool     // some binding is LITERAL "*"
}

func newUniverse(sets ...acl.Set) *universe {
	u := &universe{types: map[acl.ResourceType]*typePatterns{}, examples: map[class]string{}}
	for _, s := range sets {
		for _, b := range s.Bindings() {
			u.add(b)
		}
	}
	for _, tp := range u.types {
		slices.Sort(tp.prefixLens)
		tp.prefixLens = slices.Compact(tp.prefixLens)
		slices.Sort(tp.names)
		tp.names = slices.Compact(tp.names)
	}
	return u
}

func (u *universe) add(b acl.Binding) {
	tp := u.types[b.ResourceType]
	if tp == nil {
		tp = &typePatterns{literal: map[string]bool{}, prefixed: map[string]bool{}}
		u.types[b.ResourceType] = tp
	}
	switch {
	case b.PatternType == acl.PatternLiteral && b.ResourceName == acl.Wildcard:
		tp.wildcard = true
	case b.PatternType == acl.PatternLiteral:
		if !tp.literal[b.ResourceName] {
			tp.literal[b.ResourceName] = true
			tp.names = append(tp.names, b.ResourceName)
		}
	case b.PatternType == acl.PatternPrefixed:
		if !tp.prefixed[b.ResourceName] {
			tp.prefixed[b.ResourceName] = true
			tp.names = append(tp.names, b.ResourceName)
			tp.prefixLens = append(tp.prefixLens, len(b.ResourceName))
		}
	}
}

// classesCovered calls fn with every class whose names the pattern of b
// covers (for CLUSTER, the one class of kafka-cluster).
func (u *universe) classesCovered(b acl.Binding, fn func(class)) {
	tp := u.types[b.ResourceType]
	if tp == nil {
		return
	}
	if b.ResourceType == acl.ResourceCluster {
		fn(class{typ: acl.ResourceCluster, kind: classLiteral, name: acl.ClusterName})
		return
	}
	switch {
	case b.PatternType == acl.PatternLiteral && b.ResourceName == acl.Wildcard:
		u.eachClass(b.ResourceType, fn)
	case b.PatternType == acl.PatternLiteral:
		fn(class{typ: b.ResourceType, kind: classLiteral, name: b.ResourceName})
	case b.PatternType == acl.PatternPrefixed:
		i, _ := slices.BinarySearch(tp.names, b.ResourceName)
		for ; i < len(tp.names) && strings.HasPrefix(tp.names[i], b.ResourceName); i++ {
			u.namedClasses(b.ResourceType, tp, tp.names[i], fn)
		}
	}
}

// eachClass calls fn with every class of typ, the other names included.
func (u *universe) eachClass(typ acl.ResourceType, fn func(class)) {
	tp := u.types[typ]
	if tp == nil {
		return
	}
	if typ == acl.ResourceCluster {
		fn(class{typ: typ, kind: classLiteral, name: acl.ClusterName})
		return
	}
	for _, n := range tp.names {
		u.namedClasses(typ, tp, n, fn)
	}
	fn(class{typ: typ, kind: classOther})
}

// namedClasses calls fn with the classes a name of the universe stands for:
// LITERAL, PREFIXED or both.
func (u *universe) namedClasses(typ acl.ResourceType, tp *typePatterns, name string, fn func(class)) {
	if tp.literal[name] {
		fn(class{typ: typ, kind: classLiteral, name: name})
	}
	if tp.prefixed[name] {
		fn(class{typ: typ, kind: classPrefixed, name: name})
	}
}

// example returns a resource name in c: the literal name; the prefix itself
// unless it is also a LITERAL name (then the prefix and one more character
// that no longer pattern claims); "*" for the other names, which no literal
// or prefix can cover (PREFIXED "*" is invalid and LITERAL "*" is the
// wildcard).
func (u *universe) example(c class) string {
	if n, ok := u.examples[c]; ok {
		return n
	}
	n := u.findExample(c)
	u.examples[c] = n
	return n
}

func (u *universe) findExample(c class) string {
	switch c.kind {
	case classOther:
		return acl.Wildcard
	case classLiteral:
		return c.name
	}
	tp := u.types[c.typ]
	if !tp.literal[c.name] {
		return c.name
	}
	if n, ok := tp.unclaimed(c.name, 4); ok {
		return n
	}
	return c.name // only hostile universes get here; the prefix is a fair stand-in
}

// exampleChars are the characters tried to extend a prefix into a name no
// other pattern claims: valid in every resource name first, then any byte.
var exampleChars = func() []byte {
	cs := []byte("x-_.0123456789abcdefghijklmnopqrstuvwyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
	for b := 1; b < 256; b++ {
		if !slices.Contains(cs, byte(b)) {
			cs = append(cs, byte(b))
		}
	}
	return cs
}()

// unclaimed returns a name that extends base (base excluded), is no LITERAL
// name and is covered by no prefix longer than base, searching depth more
// characters at most. A claimed prefix ends a branch (all its names are
// claimed); a claimed literal name is extended further.
func (tp *typePatterns) unclaimed(base string, depth int) (string, bool) {
	if depth == 0 {
		return "", false
	}
	var literals []string
	for _, ch := range exampleChars {
		n := base + string([]byte{ch})
		switch {
		case tp.prefixed[n]:
		case !tp.literal[n]:
			return n, true
		default:
			literals = append(literals, n)
		}
	}
	for _, n := range literals {
		if got, ok := tp.unclaimed(n, depth-1); ok {
			return got, true
		}
	}
	return "", false
}

// parent returns the next more general class: for a LITERAL name the longest
// prefix of the universe covering it (the name itself included), for a
// prefix the longest shorter prefix covering it, and then the other names.
// The other names, and CLUSTER, have no parent.
func (u *universe) parent(c class) (class, bool) {
	if c.kind == classOther || c.typ == acl.ResourceCluster {
		return class{}, false
	}
	limit := len(c.name)
	if c.kind == classPrefixed {
		limit--
	}
	if p, ok := u.coveringPrefix(c.typ, c.name, limit); ok {
		return class{typ: c.typ, kind: classPrefixed, name: p}, true
	}
	return class{typ: c.typ, kind: classOther}, true
}
