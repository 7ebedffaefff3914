package inventory

import (
	"fmt"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/kafkaguard/kafkaguard/internal/fsutil"
)

// Limits bound what an inventory may make kafkaguard do, so that a small
// hostile file (a pull request's) cannot exhaust memory: every limit is
// checked before the work it bounds, and exceeding one is an error naming it.
// A zero field means its default.
type Limits struct {
	// MaxBytes bounds the inventory files' total size.
	MaxBytes int64
	// MaxNodes bounds the YAML nodes of each file with every alias
	// expanded (an alias bomb is small as written and huge expanded).
	MaxNodes int
	// MaxGrantBindings bounds the bindings one grant may produce: hosts x
	// resource names x operations.
	MaxGrantBindings int
	// MaxBindings bounds the bindings the whole inventory may produce.
	MaxBindings int
}

// Default limits: far above real inventories (the largest we know of has
// some 20,000 bindings), far below what would exhaust a CI runner.
const (
	DefaultMaxBytes         = 32 << 20
	DefaultMaxNodes         = 2_000_000
	DefaultMaxGrantBindings = 100_000
	DefaultMaxBindings      = 1_000_000
)

// BytesPerBinding is what a file that lists ACL bindings (an ACL JSON file,
// an import source) may hold per binding of MaxBindings: a binding as
// compile -o json writes it is some 160 bytes, 600 with a 249-character
// topic and a long DN principal, so a real file at the binding limit fits
// and /dev/zero stops at 512,000,000 bytes by default.
const BytesPerBinding = 512

// MaxBindingFileBytes bounds the size of each file that lists ACL bindings:
// MaxBindings x BytesPerBinding, raised with the binding limit.
func (l Limits) MaxBindingFileBytes() int64 {
	return int64(l.WithDefaults().MaxBindings) * BytesPerBinding
}

// BindingFileError is a file that lists ACL bindings over
// Limits.MaxBindingFileBytes, or a device or FIFO giving more.
type BindingFileError struct {
	Path  string
	Limit int64
	What  string // "an ACL file": what the file was to be
}

// Error is fsutil.ReadFileLimit's "PATH: larger than N, too large for WHAT",
// with N in bytes, grouped: 512,000,000.
func (e *BindingFileError) Error() string {
	return fmt.Sprintf("%s: larger than %s bytes, too large for %s", e.Path, group(e.Limit), e.What)
}

// ReadBindingFile reads a file that lists ACL bindings, at most
// limits.MaxBindingFileBytes() of it, in one buffer; label names it in a
// *BindingFileError. Errors of the read itself are os.Open's.
func ReadBindingFile(path, label string, limits Limits, what string) ([]byte, error) {
	limit := limits.MaxBindingFileBytes()
	data, over, err := fsutil.ReadFileAtMost(path, limit)
	if err != nil {
		return nil, err
	}
	if over {
		return nil, &BindingFileError{Path: label, Limit: limit, What: what}
	}
	return data, nil
}

// LimitKind says which of the Limits an input is over.
type LimitKind int

const (
	LimitBytes         LimitKind = iota + 1 // Limits.MaxBytes
	LimitNodes                              // Limits.MaxNodes
	LimitGrantBindings                      // Limits.MaxGrantBindings
	LimitBindings                           // Limits.MaxBindings
)

// WithDefaults is l with every zero field set to its default.
func (l Limits) WithDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxNodes <= 0 {
		l.MaxNodes = DefaultMaxNodes
	}
	if l.MaxGrantBindings <= 0 {
		l.MaxGrantBindings = DefaultMaxGrantBindings
	}
	if l.MaxBindings <= 0 {
		l.MaxBindings = DefaultMaxBindings
	}
	return l
}

// LimitError is an input over one of the Limits.
type LimitError struct {
	Where string // "file" or "file:line"
	What  string // what is too big, with its size
	Limit int64
	Kind  LimitKind // which limit, so a caller can say how to raise it
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%s: %s, over the limit of %s", e.Where, e.What, group(e.Limit))
}

// group writes n with thousands separators: 1,000,000.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// expandedNodes counts the nodes of n with aliases expanded, stopping as
// soon as the count passes limit. Each anchor's size is counted once and
// reused, so the count takes time linear in the file, not in its expansion.
// Only anchored nodes are remembered: an alias can reach no other, and a
// map entry for each of a large file's million nodes cost a third of the
// walk.
func expandedNodes(n *yaml.Node, limit int) (int, bool) {
	memo := map[*yaml.Node]int{}
	var count func(n *yaml.Node) int
	count = func(n *yaml.Node) int {
		if n == nil {
			return 0
		}
		if n.Kind == yaml.AliasNode {
			if n.Alias == nil {
				return 1
			}
			return count(n.Alias)
		}
		anchored := n.Anchor != ""
		if anchored {
			if c, ok := memo[n]; ok {
				return c
			}
			memo[n] = limit + 1 // an alias to an enclosing node: refuse
		}
		total := 1
		for _, c := range n.Content {
			total += count(c)
			if total > limit {
				break
			}
		}
		if anchored {
			memo[n] = total
		}
		return total
	}
	c := count(n)
	return c, c <= limit
}

// grantBindings is how many bindings g produces at least: hosts x resource
// names x operations (a role gives each resource at least one operation).
func grantBindings(g *Grant) (total int64, hosts, names, ops int) {
	names = len(g.Topics) + len(g.Groups) + len(g.TransactionalIDs)
	if g.Resource != nil {
		names++
	}
	names = max(names, 1) // streams-app: its application id's resources
	hosts, ops = max(len(g.Hosts), 1), max(len(g.Operations), 1)
	return int64(hosts) * int64(names) * int64(ops), hosts, names, ops
}
