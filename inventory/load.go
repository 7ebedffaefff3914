package inventory

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/fsutil"
)

// Load reads and validates the inventory from files and directories (every
// *.yaml and *.yml file directly in a directory, or symlink to one, in name
// order; hidden entries skipped, so a mounted ConfigMap loads). Keys that
// the format does not define are errors; every error names file:line.
//
// Roles are not checked here: user policies may add roles, so the policy
// compiler (package policies) checks grant roles against the roles the Rego
// library and the user's policies define.
func Load(paths ...string) (*Inventory, error) {
	return LoadWith(Limits{}, paths...)
}

// ErrNoInventory is returned by LoadWith when no path is given.
var ErrNoInventory = errors.New("no inventory given")

// LoadWith is Load with limits other than the defaults (zero fields keep
// theirs): an inventory over one is a LimitError naming the limit,
// found before the work it would cause.
func LoadWith(limits Limits, paths ...string) (*Inventory, error) {
	limits = limits.WithDefaults()
	if len(paths) == 0 {
		return nil, ErrNoInventory
	}
	files, err := inventoryFiles(paths)
	if err != nil {
		return nil, err
	}
	if size, at := filesSize(files, limits.MaxBytes); size > limits.MaxBytes {
		return nil, &LimitError{Where: at, What: fmt.Sprintf("the inventory files are %s bytes or more", group(size)), Limit: limits.MaxBytes, Kind: LimitBytes}
	}
	l := newLoader(limits)
	var read int64
	for _, f := range files {
		// The sizes above bound regular files; reading at most what is left
		// of the limit also bounds a FIFO, a device (-f /dev/zero, or a
		// clusters file's path) or a file that grew since.
		data, over, err := fsutil.ReadFileAtMost(f, limits.MaxBytes-read)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("read inventory: %w", err)
			}
			return nil, fmt.Errorf("read inventory %s: %w", f, err)
		}
		if read += int64(len(data)); over {
			return nil, &LimitError{Where: f, What: fmt.Sprintf("the inventory files are %s bytes or more", group(limits.MaxBytes+1)), Limit: limits.MaxBytes, Kind: LimitBytes}
		}
		if err := l.parse(f, data); err != nil {
			return nil, err
		}
		l.inv.Files = append(l.inv.Files, f)
	}
	if err := l.finish(); err != nil {
		return nil, err
	}
	return l.inv, nil
}

// Size is the total size in bytes of the files Load would read from paths
// (0 when it cannot tell: Load then reports why). A caller sizes what
// loading will cost by it; nothing is read.
func Size(paths ...string) int64 {
	files, err := inventoryFiles(paths)
	if err != nil {
		return 0
	}
	size, _ := filesSize(files, math.MaxInt64)
	return size
}

// filesSize sums the sizes of files (those it can stat), stopping at the
// first that takes the sum above limit, which it names.
func filesSize(files []string, limit int64) (size int64, at string) {
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil {
			if size += fi.Size(); size > limit {
				return size, f
			}
		}
	}
	return size, ""
}

// inventoryFiles lists the files of paths that Load reads: each file
// given, and the inventory files directly in each directory given.
func inventoryFiles(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("read inventory: %w", err)
		}
		if !fi.IsDir() {
			files = append(files, p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, fmt.Errorf("read inventory directory %s: %w", p, err)
		}
		n := 0
		for _, e := range entries {
			ok, err := inventoryFile(p, e)
			if err != nil {
				return nil, err
			}
			if ok {
				files = append(files, filepath.Join(p, e.Name()))
				n++
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("read inventory directory %s: no *.yaml or *.yml files", p)
		}
	}
	return files, nil
}

// inventoryFile reports whether a directory entry is an inventory file: a
// *.yaml or *.yml regular file, or a symlink to one. A Kubernetes ConfigMap
// volume is made of such symlinks (inventory.yaml -> ..data/inventory.yaml,
// ..data -> ..2026_12_01_...): hidden entries like those are skipped, the
// links are followed. A link to anything but a regular file (a directory, a
// device, a FIFO) is skipped; a dangling one is an error naming it.
func inventoryFile(dir string, e fs.DirEntry) (bool, error) {
	name := e.Name()
	if !IsFileName(name) {
		return false, nil
	}
	switch {
	case e.Type().IsRegular():
		return true, nil
	case e.Type()&fs.ModeSymlink != 0:
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			return false, fmt.Errorf("read inventory %s: %w", filepath.Join(dir, name), err)
		}
		return fi.Mode().IsRegular(), nil
	}
	return false, nil
}

// IsFileName says whether a directory's entry of this name is one of its
// inventory files (*.yaml, *.yml, not hidden), if it is a file.
func IsFileName(name string) bool {
	ext := filepath.Ext(name)
	return !strings.HasPrefix(name, ".") && (ext == ".yaml" || ext == ".yml")
}

// Parse reads one inventory document held in memory; name is used in errors.
func Parse(name string, data []byte) (*Inventory, error) {
	limits := Limits{}.WithDefaults()
	if int64(len(data)) > limits.MaxBytes {
		return nil, &LimitError{Where: name, What: fmt.Sprintf("the inventory is %s bytes", group(int64(len(data)))), Limit: limits.MaxBytes, Kind: LimitBytes}
	}
	l := newLoader(limits)
	if err := l.parse(name, data); err != nil {
		return nil, err
	}
	l.inv.Files = []string{name}
	if err := l.finish(); err != nil {
		return nil, err
	}
	return l.inv, nil
}

type loader struct {
	inv        *Inventory
	principals map[string]Principal
	topics     map[string]Topic
	bindings   int64 // the grants' bindings so far (at least)
}

func newLoader(limits Limits) *loader {
	return &loader{inv: &Inventory{Limits: limits}, principals: map[string]Principal{}, topics: map[string]Topic{}}
}

// posError is an error about a place in a file.
type posError struct {
	file string
	line int
	msg  string
}

func (e *posError) Error() string { return fmt.Sprintf("%s:%d: %s", e.file, e.line, e.msg) }

func (l *loader) errf(file string, n *yaml.Node, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &posError{file: file, line: line, msg: fmt.Sprintf(format, args...)}
}

func src(file string, n *yaml.Node) string { return file + ":" + strconv.Itoa(n.Line) }

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (l *loader) parse(file string, data []byte) error {
	doc, err := parseYAML(data)
	if err != nil {
		msg := err.Error()
		if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
			return fmt.Errorf("%s:%s: invalid YAML: %s", file, m[1], m[2])
		}
		return fmt.Errorf("%s: invalid YAML: %s", file, strings.TrimPrefix(msg, "yaml: "))
	}
	if len(doc.Content) == 0 {
		return nil // an empty file declares nothing
	}
	if _, ok := expandedNodes(doc, l.inv.Limits.MaxNodes); !ok {
		return &LimitError{Where: file, What: "the YAML, with its aliases expanded, has too many nodes", Limit: int64(l.inv.Limits.MaxNodes), Kind: LimitNodes}
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil
	}
	var blocks blockRuns
	err = l.mapping(file, root, "the inventory", map[string]func(k, v *yaml.Node) error{
		"cluster":    func(_, v *yaml.Node) error { return l.cluster(file, v) },
		"principals": func(_, v *yaml.Node) error { return l.principalsBlock(file, v) },
		"topics":     func(_, v *yaml.Node) error { return blocks.run(v, func() error { return l.topicsBlock(file, v) }) },
		"grants":     func(_, v *yaml.Node) error { return blocks.run(v, func() error { return l.grantsBlock(file, v) }) },
		"managed":    func(_, v *yaml.Node) error { return l.managed(file, v) },
		"waivers":    func(_, v *yaml.Node) error { return l.waiversBlock(file, v) },
		"quotas":     func(_, v *yaml.Node) error { return l.quotasBlock(file, v) },
	})
	return blocks.wait(err)
}

// finish checks what needs every file: grants and waivers naming declared
// principals.
func (l *loader) finish() error {
	// The topics are sorted while the names are checked (200k topics take
	// a good part of a second): the maps are only read meanwhile.
	var sorted sync.WaitGroup
	sorted.Go(func() {
		l.inv.Topics = make([]Topic, 0, len(l.topics))
		for _, t := range l.topics {
			l.inv.Topics = append(l.inv.Topics, t)
		}
		slices.SortFunc(l.inv.Topics, func(a, b Topic) int { return strings.Compare(a.Name, b.Name) })
	})
	defer sorted.Wait()
	for _, w := range l.inv.Waivers {
		if _, ok := l.principals[w.Principal]; w.Principal != "" && w.Principal != acl.Wildcard && !ok {
			return fmt.Errorf("%s: waiver: principal %q is not declared (declare it under principals:)", w.Source, w.Principal)
		}
	}
	for _, g := range l.inv.Grants {
		if g.Principal == acl.Wildcard {
			continue // User:*: the guardrails decide
		}
		if _, ok := l.principals[g.Principal]; !ok {
			return fmt.Errorf("%s: grant: principal %q is not declared (declare it under principals:)", g.Source, g.Principal)
		}
	}
	l.inv.Principals = make([]Principal, 0, len(l.principals))
	for _, p := range l.principals {
		l.inv.Principals = append(l.inv.Principals, p)
	}
	slices.SortFunc(l.inv.Principals, func(a, b Principal) int { return strings.Compare(a.Name, b.Name) })
	l.inv.Managed.Principals = slices.Compact(l.inv.Managed.Principals)
	slices.SortFunc(l.inv.Quotas, func(a, b Quota) int { return strings.Compare(a.Entity.String(), b.Entity.String()) })
	return nil
}

// quotasBlock reads the top-level quotas: default (User:<default>), clients
// (client-id quotas; "<default>" is the client-id default) and require_for.
func (l *loader) quotasBlock(file string, n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	l.inv.QuotasDeclared = true
	return l.mapping(file, n, "quotas", map[string]func(k, v *yaml.Node) error{
		"default": func(_, v *yaml.Node) error {
			return l.quota(file, v, "quotas.default", QuotaEntity{Type: QuotaUser, Default: true})
		},
		"clients": func(_, v *yaml.Node) error {
			if v.Kind != yaml.MappingNode {
				return l.errf(file, v, "quotas.clients must be a mapping of client ids to quotas, found %s", kindName(v))
			}
			for i := 0; i+1 < len(v.Content); i += 2 {
				k, qv := v.Content[i], deref(v.Content[i+1])
				if k.Kind != yaml.ScalarNode || k.Value == "" {
					return l.errf(file, k, "quotas.clients: client ids must be non-empty strings")
				}
				if err := ValidIDPattern("client id", k.Value); err != nil || strings.Contains(k.Value, "*") {
					return l.errf(file, k, "quotas.clients: client id %q must be a plain name (or \"<default>\")", k.Value)
				}
				e := QuotaEntity{Type: QuotaClientID, Name: k.Value}
				if k.Value == "<default>" {
					e = QuotaEntity{Type: QuotaClientID, Default: true}
				}
				if err := l.quota(file, qv, "quotas.clients."+k.Value, e); err != nil {
					return err
				}
			}
			return nil
		},
		"require_for": func(_, v *yaml.Node) error {
			var cs []string
			if err := l.strList(file, v, "quotas.require_for", &cs); err != nil {
				return err
			}
			for _, c := range cs {
				if !slices.Contains(Classifications, c) {
					return l.errf(file, v, "quotas.require_for: unknown classification %q (want %s)", c, strings.Join(Classifications, ", "))
				}
			}
			l.inv.QuotaRequiredFor = append(l.inv.QuotaRequiredFor, cs...)
			return nil
		},
	})
}

// quota reads one entity's quota values: producer_byte_rate,
// consumer_byte_rate (bytes per second, whole numbers), request_percentage
// and controller_mutation_rate (positive numbers).
func (l *loader) quota(file string, n *yaml.Node, what string, e QuotaEntity) error {
	if n.Kind != yaml.MappingNode {
		return l.errf(file, n, "%s must be a mapping of quota keys (%s) to numbers, found %s", what, strings.Join(QuotaKeys, ", "), kindName(n))
	}
	q := Quota{Entity: e, Values: map[string]float64{}, Source: src(file, n)}
	handlers := map[string]func(k, v *yaml.Node) error{}
	for _, key := range QuotaKeys {
		handlers[key] = func(_, v *yaml.Node) error {
			if v.Kind != yaml.ScalarNode || (v.Tag != "!!int" && v.Tag != "!!float") {
				return l.errf(file, v, "%s: %s must be a number, found %s", what, key, kindName(v))
			}
			f, err := strconv.ParseFloat(strings.ReplaceAll(v.Value, "_", ""), 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 {
				return l.errf(file, v, "%s: %s must be a positive number, found %s", what, key, v.Value)
			}
			if (key == QuotaProducerByteRate || key == QuotaConsumerByteRate) && (v.Tag != "!!int" || f != math.Trunc(f)) {
				return l.errf(file, v, "%s: %s is bytes per second, a whole number, found %s", what, key, v.Value)
			}
			q.Values[key] = f
			return nil
		}
	}
	if err := l.mapping(file, n, what, handlers); err != nil {
		return err
	}
	if len(q.Values) == 0 {
		return l.errf(file, n, "%s: no quota keys (give one of %s)", what, strings.Join(QuotaKeys, ", "))
	}
	if _, dup := l.inv.QuotaOf(e); dup {
		return l.errf(file, n, "%s: a quota for %s is declared twice", what, e)
	}
	l.inv.QuotasDeclared = true
	l.inv.Quotas = append(l.inv.Quotas, q)
	return nil
}
