package inventory

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// mapping walks a YAML mapping, calling the handler of each key; unknown and
// duplicate keys are errors.
func (l *loader) mapping(file string, n *yaml.Node, what string, handlers map[string]func(k, v *yaml.Node) error) error {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		return l.errf(file, n, "%s must be a mapping, found %s", what, kindName(n))
	}
	// The keys seen so far: an entry's handlers are few, and a map per
	// entry cost more than the search.
	var seenKeys [32]string
	seen := seenKeys[:0]
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return l.errf(file, k, "%s: keys must be strings", what)
		}
		if k.Value == "<<" {
			return l.errf(file, k, "%s: YAML merge keys (<<) are not supported", what)
		}
		h, ok := handlers[k.Value]
		if !ok {
			return l.errf(file, k, "%s: unknown key %q (valid: %s)", what, k.Value, keyList(handlers))
		}
		if slices.Contains(seen, k.Value) {
			return l.errf(file, k, "%s: key %q given twice", what, k.Value)
		}
		seen = append(seen, k.Value)
		if err := h(k, deref(v)); err != nil {
			return err
		}
	}
	return nil
}

func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func keyList[V any](m map[string]V) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "null"
		case "!!bool":
			return "a boolean (" + n.Value + ")"
		case "!!int", "!!float":
			return "a number (" + n.Value + ")"
		}
		return fmt.Sprintf("the string %q", n.Value)
	}
	return "something else"
}

func (l *loader) str(file string, n *yaml.Node, what string, dst *string) error {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		return l.errf(file, n, "%s must be a string, found %s", what, kindName(n))
	}
	*dst = n.Value
	return nil
}

func (l *loader) boolean(file string, n *yaml.Node, what string, dst *bool) error {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		return l.errf(file, n, "%s must be true or false, found %s", what, kindName(n))
	}
	return n.Decode(dst)
}

func (l *loader) integer(file string, n *yaml.Node, what string, dst *int) error {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		return l.errf(file, n, "%s must be an integer, found %s", what, kindName(n))
	}
	if err := n.Decode(dst); err != nil {
		return l.errf(file, n, "%s: %v", what, err)
	}
	return nil
}

// strList accepts a list of strings, or a single string as a one-item list.
func (l *loader) strList(file string, n *yaml.Node, what string, dst *[]string) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		*dst = []string{n.Value}
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return l.errf(file, n, "%s must be a list of strings, found %s", what, kindName(n))
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		c = deref(c)
		if c.Kind != yaml.ScalarNode || c.Tag != "!!str" {
			return l.errf(file, c, "%s must be a list of strings, found %s in it", what, kindName(c))
		}
		out = append(out, c.Value)
	}
	*dst = out
	return nil
}

// date accepts a YAML date (2027-03-31, plain or quoted) and stores it as
// YYYY-MM-DD.
func (l *loader) date(file string, n *yaml.Node, what string, dst *string) error {
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!str" && n.Tag != "!!timestamp") {
		return l.errf(file, n, "%s must be a date (YYYY-MM-DD), found %s", what, kindName(n))
	}
	t, err := time.Parse(DateLayout, n.Value)
	if err != nil {
		return l.errf(file, n, "%s: %q is not a date (want YYYY-MM-DD, e.g. 2027-03-31)", what, n.Value)
	}
	*dst = t.Format(DateLayout)
	return nil
}

// labels accepts a mapping of label names to strings (numbers and booleans
// are taken as written).
func (l *loader) labels(file string, n *yaml.Node, what string, dst *map[string]string) error {
	if n.Kind != yaml.MappingNode {
		return l.errf(file, n, "%s must be a mapping of names to values, found %s", what, kindName(n))
	}
	out := make(map[string]string, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		if k.Kind != yaml.ScalarNode || k.Value == "" || strings.ContainsFunc(k.Value, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return l.errf(file, k, "%s: label names must be non-empty strings without control characters", what)
		}
		if _, dup := out[k.Value]; dup {
			return l.errf(file, k, "%s: label %q given twice", what, k.Value)
		}
		if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
			return l.errf(file, v, "%s: label %q must be a string, found %s", what, k.Value, kindName(v))
		}
		out[k.Value] = v.Value
	}
	*dst = out
	return nil
}

// namedEntries calls each with the key and the (dereferenced) value of every
// entry of a mapping block such as principals or topics; a null block has
// none. block, key and keys name the block, what its keys are and them in
// the plural in errors ("principals", "name", "principal names").
func (l *loader) namedEntries(file string, n *yaml.Node, block, key, keys string, each func(k, v *yaml.Node) error) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return l.errf(file, n, "%s must be a mapping of %s to settings, found %s", block, key, kindName(n))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			return l.errf(file, k, "%s must be strings", keys)
		}
		if err := each(k, v); err != nil {
			return err
		}
	}
	return nil
}

// listEntries calls each with every (dereferenced) item of a list block
// such as grants or waivers; a null block has none.
func (l *loader) listEntries(file string, n *yaml.Node, block string, each func(item *yaml.Node) error) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return l.errf(file, n, "%s must be a list, found %s", block, kindName(n))
	}
	for _, item := range n.Content {
		if err := each(deref(item)); err != nil {
			return err
		}
	}
	return nil
}
