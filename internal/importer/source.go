package importer

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/inventory"
	"github.com/kafkaguard/kafkaguard/policies"
)

// DefaultWaiverDays is how long import's waivers last by default.
const DefaultWaiverDays = 90

// Sources are the --from values.
var Sources = []string{"cluster", "kafka-acls", "ksm", "julie", "strimzi"}

// What Import was given does not fit the source (errors.Is); the caller says
// which argument to change.
var (
	// ErrNoSource: Options.From is empty.
	ErrNoSource = errors.New("no source given")
	// ErrNoFiles: a file source was given no paths.
	ErrNoFiles = errors.New("no files to read")
	// ErrNotFiles: the cluster source was given paths.
	ErrNotFiles = errors.New("reads the cluster, not files")
)

// fileParser returns the parser of one file of a file source.
func fileParser(o Options) (func(file string, data []byte) (Input, error), bool) {
	switch o.From {
	case "kafka-acls":
		return func(file string, data []byte) (Input, error) {
			bs, err := ParseKafkaACLs(file, data)
			return Input{Bindings: bs}, err
		}, true
	case "ksm":
		return KSM{Delimiter: o.KSMDelimiter}.Parse, true
	case "julie":
		return Julie{}.Parse, true
	case "strimzi":
		return ParseStrimzi, true
	}
	return nil, false
}

// dirExtensions are the files a directory argument contributes, by source.
var dirExtensions = map[string][]string{
	"kafka-acls": {".txt", ".out", ".log"},
	"ksm":        {".csv", ".yaml", ".yml"},
	"julie":      {".yaml", ".yml", ".json"},
	"strimzi":    {".yaml", ".yml"},
}

// SCRAMUser is a cluster's SCRAM user: its credentials' mechanisms and
// iteration counts (never a password: the cluster has none to give).
type SCRAMUser struct {
	Name        string
	Credentials []SCRAMCredential
}

// SCRAMCredential is one of a user's credentials.
type SCRAMCredential struct {
	Mechanism  string // SCRAM-SHA-256 | SCRAM-SHA-512
	Iterations int
}

// Cluster is what import reads from a live cluster (internal/cluster's
// client, adapted by the caller).
type Cluster interface {
	ACLs(ctx context.Context) ([]acl.Binding, error)
	SCRAMUsers(ctx context.Context) ([]SCRAMUser, error)
	// ClientQuotas are every client quota (one DescribeClientQuotas).
	ClientQuotas(ctx context.Context) ([]cluster.ClientQuota, error)
}

// Options say what to import.
type Options struct {
	From    string
	Paths   []string     // files and directories of a file source
	Cluster Cluster      // for From == "cluster"
	Log     func(string) // -v progress; nil = none
	// KSMDelimiter is the delimiter of KSM CSV files; 0 = ','.
	KSMDelimiter rune
	// Now is the import's time (the waivers' expiry counts from it); zero =
	// time.Now().
	Now time.Time
	// WaiverDays is how long the waivers written for guardrails the source
	// breaks last; 0 = DefaultWaiverDays.
	WaiverDays int
	Timeout    time.Duration // policy evaluation deadline of the round-trip check; 0 = default
	// Limits bound each source file (to Limits.MaxBindingFileBytes); zero
	// fields are the defaults.
	Limits inventory.Limits
	// ValidSCRAMName says whether a SCRAM user name is one the users
	// commands can manage (scram.ValidateUserName); others are imported as
	// auth: external. nil accepts every name.
	ValidSCRAMName func(string) error
}

// Result is an import: the inventory and the compilation that proved it
// round-trips (its guardrail findings are what the source does today).
type Result struct {
	Inventory *Inventory
	Compiled  *policies.Result
}

// Import reads the source, builds the inventory and checks that it compiles
// back to exactly the bindings read; a difference is an error, never a
// written inventory.
func Import(ctx context.Context, o Options) (*Result, error) {
	logf := func(format string, args ...any) {
		if o.Log != nil {
			o.Log(fmt.Sprintf(format, args...))
		}
	}
	var in Input
	var err error
	start := time.Now()
	switch o.From {
	case "cluster":
		if len(o.Paths) > 0 {
			return nil, fmt.Errorf("source cluster %w (got %q)", ErrNotFiles, o.Paths[0])
		}
		in, err = readCluster(ctx, o.Cluster, o.ValidSCRAMName)
	case "":
		return nil, ErrNoSource
	default:
		parse, ok := fileParser(o)
		if !ok {
			return nil, fmt.Errorf("unknown source %q (want one of %s)", o.From, strings.Join(Sources, ", "))
		}
		in, err = readFiles(o.From, o.Paths, o.Limits, parse, logf)
	}
	if err != nil {
		return nil, err
	}
	in.Source = o.From
	var hosts []HostChange
	in.Bindings, hosts = normalizeHosts(in.Bindings)
	logf("read %d ACL bindings and %d principals in %s", len(in.Bindings), len(in.Principals), time.Since(start).Round(time.Millisecond))
	start = time.Now()
	inv, err := Build(in)
	if err != nil {
		return nil, err
	}
	inv.NormalizedHosts = hosts
	logf("inferred %d grants in %s", len(inv.Grants), time.Since(start).Round(time.Millisecond))
	start = time.Now()
	want := acl.NewSet(in.Bindings...)
	res, _, err := verify(ctx, inv, want, o.Timeout)
	if err != nil {
		return nil, err
	}
	if len(res.Deny) > 0 {
		// What the source does today breaks guardrails: record each as
		// a waiver (reviewable, expiring), so that the inventory plans as
		// the cluster is; the summary lists them.
		now := o.Now
		if now.IsZero() {
			now = time.Now()
		}
		days := o.WaiverDays
		if days <= 0 {
			days = DefaultWaiverDays
		}
		addWaivers(inv, res.Deny, now, days)
		if res, _, err = verify(ctx, inv, want, o.Timeout); err != nil {
			return nil, err
		}
		if len(res.Deny) > 0 {
			return nil, fmt.Errorf("the imported inventory still violates %d guardrail(s) that a waiver cannot name (first: %s)", len(res.Deny), res.Deny[0].Message)
		}
	}
	logf("compiled the inventory back to the same %d bindings in %s", res.ACLs.Len(), time.Since(start).Round(time.Millisecond))
	return &Result{Inventory: inv, Compiled: res}, nil
}

// DocumentName is the name the round-trip check gives the inventory in
// findings.
const DocumentName = "import.yaml"

// Verify compiles inv with the policy library and checks that it gives
// exactly want.
func Verify(ctx context.Context, inv *Inventory, want acl.Set, timeout time.Duration) (*policies.Result, error) {
	res, _, err := verify(ctx, inv, want, timeout)
	return res, err
}

func verify(ctx context.Context, inv *Inventory, want acl.Set, timeout time.Duration) (*policies.Result, *inventory.Inventory, error) {
	data, err := inv.YAML()
	if err != nil {
		return nil, nil, err
	}
	parsed, err := inventory.Parse(DocumentName, data)
	if err != nil {
		return nil, nil, fmt.Errorf("the imported inventory does not load (a kafkaguard bug, please report it): %w", err)
	}
	res, err := policies.Compile(ctx, parsed, policies.Options{Timeout: timeout})
	if err != nil {
		return nil, nil, fmt.Errorf("the imported inventory does not compile: %w", err)
	}
	if err := equalQuotas(parsed.Quotas, inv.Quotas); err != nil {
		return nil, nil, err
	}
	if !res.ACLs.Equal(want) {
		missing, extra := want.Minus(res.ACLs), res.ACLs.Minus(want)
		first := ""
		switch {
		case missing.Len() > 0:
			first = "missing " + missing.Bindings()[0].String()
		case extra.Len() > 0:
			first = "extra " + extra.Bindings()[0].String()
		}
		return nil, nil, fmt.Errorf("the imported inventory compiles to %d bindings, not the %d read (%d missing, %d extra; first: %s)",
			res.ACLs.Len(), want.Len(), missing.Len(), extra.Len(), first)
	}
	return res, parsed, nil
}

// ImportApprover is the approved_by of the waivers import writes: not a
// person's approval but the record that the binding existed before
// kafkaguard managed the cluster. Reviewers replace it (or remove the
// binding) before the waiver expires.
const ImportApprover = "kafkaguard import (pre-existing binding)"

// addWaivers writes one waiver per guardrail and principal (or topic) that
// the deny findings name, expiring days after now.
func addWaivers(inv *Inventory, denies []policies.Finding, now time.Time, days int) {
	expires := now.UTC().AddDate(0, 0, days).Format(inventory.DateLayout)
	seen := map[[3]string]bool{}
	for _, f := range denies {
		w := Waiver{Rule: f.ID, ApprovedBy: ImportApprover, Expires: expires,
			Reason: fmt.Sprintf("existed on %s when imported (%s): keep it with a real approval, or remove it", inv.Source, f.Check)}
		switch {
		case strings.HasPrefix(f.Resource, "User:"):
			w.Principal = strings.TrimPrefix(f.Resource, "User:")
		case strings.HasPrefix(f.Resource, "Topic:"):
			w.Topic = strings.TrimPrefix(f.Resource, "Topic:")
		default:
			continue
		}
		k := [3]string{w.Rule, w.Principal, w.Topic}
		if !seen[k] {
			seen[k] = true
			inv.Waivers = append(inv.Waivers, w)
		}
	}
	slices.SortFunc(inv.Waivers, func(a, b Waiver) int {
		return strings.Compare(a.Rule+"\x00"+a.Principal+"\x00"+a.Topic, b.Rule+"\x00"+b.Principal+"\x00"+b.Topic)
	})
}

func readCluster(ctx context.Context, c Cluster, validName func(string) error) (Input, error) {
	if c == nil {
		return Input{}, errors.New("source cluster: no cluster connection")
	}
	bs, err := c.ACLs(ctx)
	if err != nil {
		return Input{}, err
	}
	users, err := c.SCRAMUsers(ctx)
	if err != nil {
		return Input{}, err
	}
	cqs, err := c.ClientQuotas(ctx)
	if err != nil {
		return Input{}, err
	}
	qs, leftOut, err := clusterQuotas(cqs)
	if err != nil {
		return Input{}, err
	}
	return Input{Bindings: bs, Principals: scramPrincipals(users, validName), Quotas: qs, QuotasLeftOut: leftOut}, nil
}

// scramPrincipals declares each SCRAM user with its mechanism and
// iterations. A user with credentials of both mechanisms, or with a name
// the users commands cannot manage, is declared auth: external (with a
// comment saying why): declaring one mechanism would make the next plan
// remove the other credential.
func scramPrincipals(users []SCRAMUser, validName func(string) error) []Principal {
	var out []Principal
	for _, u := range users {
		if len(u.Credentials) == 0 {
			continue
		}
		p := Principal{Name: u.Name}
		var why string
		if validName != nil {
			if err := validName(u.Name); err != nil {
				why = err.Error()
			}
		}
		switch {
		case why != "":
			p.Auth, p.Note = inventory.AuthExternal, "SCRAM user left to its current owner: "+why
		case len(u.Credentials) > 1:
			var ms []string
			for _, c := range u.Credentials {
				ms = append(ms, fmt.Sprintf("%s/%d", c.Mechanism, c.Iterations))
			}
			slices.Sort(ms)
			p.Auth, p.Note = inventory.AuthExternal, "SCRAM user with credentials of both mechanisms ("+strings.Join(ms, ", ")+"): declare one scram-sha-* auth to let kafkaguard manage it (plan then removes the other)"
		case u.Credentials[0].Mechanism == "SCRAM-SHA-256":
			p.Auth, p.Iterations = inventory.AuthSCRAMSHA256, u.Credentials[0].Iterations
		case u.Credentials[0].Mechanism == "SCRAM-SHA-512":
			p.Auth, p.Iterations = inventory.AuthSCRAMSHA512, u.Credentials[0].Iterations
		default:
			p.Auth, p.Note = inventory.AuthExternal, "SCRAM user with an unknown mechanism "+u.Credentials[0].Mechanism
		}
		out = append(out, p)
	}
	return out
}

// readFiles parses every file of paths (a directory contributes its files
// with the source's extensions, in name order, recursively), merging their
// bindings and principals. A principal two files describe differently is an
// error. Each file is read up to limits.MaxBindingFileBytes(): a larger
// one, or a device or FIFO giving more, is an *inventory.BindingFileError.
func readFiles(from string, paths []string, limits inventory.Limits, parse func(string, []byte) (Input, error), logf func(string, ...any)) (Input, error) {
	if len(paths) == 0 {
		return Input{}, fmt.Errorf("source %s: %w", from, ErrNoFiles)
	}
	var files []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return Input{}, fmt.Errorf("read %s: %w", p, unwrapPath(err))
		}
		if !fi.IsDir() {
			files = append(files, p)
			continue
		}
		n := 0
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type().IsRegular() && slices.Contains(dirExtensions[from], strings.ToLower(filepath.Ext(path))) {
				files = append(files, path)
				n++
			}
			return nil
		})
		if err != nil {
			return Input{}, fmt.Errorf("read %s: %w", p, err)
		}
		if n == 0 {
			return Input{}, fmt.Errorf("read %s: no %s files in the directory", p, strings.Join(dirExtensions[from], ", "))
		}
	}
	var all Input
	seen := map[string]Principal{}
	for _, f := range files {
		data, err := inventory.ReadBindingFile(f, f, limits, "an import source")
		if tooLarge := (*inventory.BindingFileError)(nil); errors.As(err, &tooLarge) {
			return Input{}, err
		}
		if err != nil {
			return Input{}, fmt.Errorf("read %s: %w", f, unwrapPath(err))
		}
		in, err := parse(f, data)
		if err != nil {
			return Input{}, err
		}
		logf("%s: %d ACL bindings", f, len(in.Bindings))
		all.Bindings = append(all.Bindings, in.Bindings...)
		for _, p := range in.Principals {
			if prev, ok := seen[p.Name]; ok {
				if prev.Auth != p.Auth || prev.DN != p.DN || prev.Iterations != p.Iterations {
					return Input{}, fmt.Errorf("%s: principal %q is declared again with other credentials (auth %s, before %s)", f, p.Name, p.Auth, prev.Auth)
				}
				continue
			}
			seen[p.Name] = p
			all.Principals = append(all.Principals, p)
		}
	}
	return all, nil
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
