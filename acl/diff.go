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
	merge(desired.bs, actual.bs,
		func(b Binding) { p.Add = append(p.Add, b) },
		func(b Binding) {
			if scope.Contains(b.Principal) {
				p.Remove = append(p.Remove, b)
			} else {
				p.Unmanaged = append(p.Unmanaged, b)
			}
		},
		func(b Binding) {
			if p.Unchanged == nil {
				p.Unchanged = make([]Binding, 0, min(desired.Len(), actual.Len()))
			}
			p.Unchanged = append(p.Unchanged, b)
		})
	return p
}

// HasChanges reports whether applying the plan would add or remove anything.
func (p Plan) HasChanges() bool { return len(p.Add) > 0 || len(p.Remove) > 0 }
