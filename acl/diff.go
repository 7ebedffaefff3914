package acl

// Plan is what it takes to turn the cluster's ACLs (actual) into the desired
// ones, within a scope. Every slice is sorted with Compare.
type Plan struct {
	Add       []Binding // desired, not on the cluster
	Remove    []Binding // on the cluster, in scope, not desired
	Unchanged []Binding // desired and on the cluster
	Unmanaged []Binding // on the cluster, outside scope: reported, never removed
}

// Diff compares desired with actual in one merge pass. A binding on the
// cluster that is not desired is removed when its principal is in scope and
// reported as unmanaged otherwise. Desired bindings are added whatever their
// principal.
func Diff(desired, actual Set, scope Scope) Plan {
	var p Plan
	a, b := desired.bs, actual.bs
	i, j := 0, 0
	extra := func(x Binding) {
		if scope.Contains(x.Principal) {
			p.Remove = append(p.Remove, x)
		} else {
			p.Unmanaged = append(p.Unmanaged, x)
		}
	}
	for i < len(a) && j < len(b) {
		switch c := Compare(a[i], b[j]); {
		case c < 0:
			p.Add = append(p.Add, a[i])
			i++
		case c > 0:
			extra(b[j])
			j++
		default:
			if p.Unchanged == nil {
				p.Unchanged = make([]Binding, 0, min(len(a), len(b)))
			}
			p.Unchanged = append(p.Unchanged, a[i])
			i++
			j++
		}
	}
	p.Add = append(p.Add, a[i:]...)
	for ; j < len(b); j++ {
		extra(b[j])
	}
	return p
}

// HasChanges reports whether applying the plan would add or remove anything.
func (p Plan) HasChanges() bool { return len(p.Add) > 0 || len(p.Remove) > 0 }
