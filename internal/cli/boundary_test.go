package cli

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	ucli "github.com/urfave/cli/v2"

	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/devcluster"
	"github.com/kafkaguard/kafkaguard/internal/fsutil"
	"github.com/kafkaguard/kafkaguard/internal/importer"
	"github.com/kafkaguard/kafkaguard/inventory"
	"github.com/kafkaguard/kafkaguard/pki"
	"github.com/kafkaguard/kafkaguard/policies"
)

// flagRE finds a long flag ("--name") in a string.
var flagRE = regexp.MustCompile(`(?:^|[\s('"=\x60])(--[a-z][a-z0-9-]*)`)

// flagsAllowed are the string literals outside the CLI that may hold a long
// flag because it is not advice from a library to the user of a command:
// another tool's arguments, or a kafkaguard command line that a package runs
// or writes down as data. Keys are slash paths from the module root: a file,
// or a directory ending in "/". Everything else returns a typed error and
// lets internal/cli/errors.go name the flag.
var flagsAllowed = map[string][]string{
	// The demo runs the real commands in-process: these are their arguments.
	"internal/demo/": nil, // every flag
	// git's arguments, for reading a policy tree at a commit.
	"internal/access/source.go": {"--verify", "--quiet", "--show-toplevel", "--format"},
	// The audit's findings carry a remediation command line for the reader
	// to run (kafkaguard's own, and kafka-configs.sh for an admin's
	// credential): report data, pinned byte for byte by the golden reports,
	// not the advice of an error.
	"internal/audit/": {"--secrets-dir", "--command-config", "--prune", "--dir", "--name",
		"--bootstrap-server", "--alter", "--entity-type", "--entity-name", "--add-config"},
	// kafka-acls.sh --list is the format the importer reads.
	"internal/importer/kafkaacls.go": {"--list"},
	// The written inventory's header records the command that wrote it.
	"internal/importer/write.go": {"--from"},
	// 'opa capabilities --current' prints the format --capabilities takes.
	"policies/sandbox.go": {"--current"},
}

// TestLibrariesNameNoFlag keeps the error boundary in one place: no Go
// string outside internal/cli and cmd names a flag (but flagsAllowed).
func TestLibrariesNameNoFlag(t *testing.T) {
	fset := token.NewFileSet()
	files := 0
	forEachSourceFile(t, []string{"internal/cli", "cmd"}, func(path, rel string) error {
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files++
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			for _, m := range flagRE.FindAllStringSubmatch(s, -1) {
				if !flagAllowed(rel, m[1]) {
					p := fset.Position(lit.Pos())
					t.Errorf("%s:%d: %q names the flag %s: return a typed error (errors.Is/As) and word the hint in internal/cli/errors.go", rel, p.Line, s, m[1])
				}
			}
			return true
		})
		return nil
	})
	if files < 100 {
		t.Fatalf("read %d Go files of the module: the walk missed the packages", files)
	}
}

func flagAllowed(file, flag string) bool {
	for key, flags := range flagsAllowed {
		if key != file && !(strings.HasSuffix(key, "/") && strings.HasPrefix(file, key)) {
			continue
		}
		if flags == nil {
			return true
		}
		for _, f := range flags {
			if f == flag {
				return true
			}
		}
	}
	return false
}

// Each typed error gets its hint on the command that can meet it, and every
// flag a hint names is one that command (or the app) has.
func TestTypedErrorsGetTheirHint(t *testing.T) {
	a := newApp(&env{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }})
	tests := []struct {
		cmd  []string
		err  error
		hint string
		of   []string // the command whose flags the hint names, when not cmd
	}{
		{[]string{"compile"}, &inventory.LimitError{Where: "inv.yaml:3", What: "x", Limit: 10, Kind: inventory.LimitGrantBindings}, "raise it with --max-grant-bindings", nil},
		{[]string{"plan"}, &inventory.LimitError{Kind: inventory.LimitBytes}, "raise it with --max-inventory-bytes", nil},
		{[]string{"audit"}, &inventory.LimitError{Kind: inventory.LimitNodes}, "raise it with --max-yaml-nodes", nil},
		{[]string{"users", "plan"}, &inventory.LimitError{Kind: inventory.LimitBindings}, "raise it with --max-bindings", nil},
		{[]string{"policy", "check"}, &policies.PolicyError{Op: "compile", Msg: "p.rego:4:7: builtin http.send is not allowed", Err: policies.ErrSandboxed}, "allow it with --capabilities FILE", nil},
		{[]string{"policy", "test"}, &policies.PolicyError{Op: "compile", Err: policies.ErrSandboxed}, "allow it with --capabilities FILE", nil},
		{[]string{"pki", "issue", "client"}, &pki.NoCAError{Dir: "ca", CertPath: "ca/ca.pem"}, "create one with 'kafkaguard pki init --dir ca'", nil},
		{[]string{"pki", "renew"}, &pki.NotRenewableError{Name: "c", Reason: pki.FromRequest}, "issue it again with a new request (--csr FILE --force)", []string{"pki", "issue", "client"}},
		{[]string{"pki", "crl"}, fmt.Errorf("write ca/crl.pem: %w", fsutil.ErrExists), "use --force to overwrite", nil},
		{[]string{"plan"}, cluster.ErrNoBootstrap, "set --bootstrap-server or bootstrap.servers in the command config", nil},
		{[]string{"import"}, importer.ErrNoSource, "pass --from " + strings.Join(importer.Sources, "|"), nil},
		{[]string{"import"}, fmt.Errorf("source ksm: %w", importer.ErrNoFiles), "give the files to read (FILE or DIR arguments)", nil},
		{[]string{"import"}, fmt.Errorf("source cluster %w (got %q)", importer.ErrNotFiles, "x"), "drop the FILE arguments, or pass --from with the tool that wrote them", nil},
	}
	for _, tt := range tests {
		cmd := findCommand(a.Commands, tt.cmd)
		if cmd == nil {
			t.Fatalf("no command %v", tt.cmd)
		}
		got := explain(&ucli.Context{Command: cmd}, tt.err)
		var h *hintError
		if !errors.As(got, &h) || h.hint != tt.hint {
			t.Errorf("%v %v: hint %+v, want %q", tt.cmd, tt.err, got, tt.hint)
			continue
		}
		if got.Error() != tt.err.Error() {
			t.Errorf("%v: error %q, want the library's %q unchanged", tt.cmd, got, tt.err)
		}
		of := cmd
		if tt.of != nil {
			of = findCommand(a.Commands, tt.of)
		}
		for _, m := range flagRE.FindAllStringSubmatch(h.hint, -1) {
			name := strings.TrimPrefix(m[1], "--")
			if findFlag(of.Flags, name) == nil && findFlag(a.Flags, name) == nil {
				t.Errorf("%v: the hint %q names %s, which the command does not have", tt.cmd, h.hint, m[1])
			}
		}
	}
	// The dev cluster's note about a credential others could read: the
	// hint names dev up's flags.
	var stderr strings.Builder
	(&env{stderr: &stderr}).devNote(devcluster.Note{Text: "data dir d was mode 0755: changed to 0700 (other local users could read it until now)", Exposed: true})
	if want := "kafkaguard: note: data dir d was mode 0755: changed to 0700 (other local users could read it until now)\nkafkaguard: hint: " + devExposedHint + "\n"; stderr.String() != want {
		t.Errorf("dev note:\n%s\nwant\n%s", stderr.String(), want)
	}
	up := findCommand(a.Commands, []string{"dev", "up"})
	for _, m := range flagRE.FindAllStringSubmatch(devExposedHint, -1) {
		if findFlag(up.Flags, strings.TrimPrefix(m[1], "--")) == nil {
			t.Errorf("the dev note's hint names %s, which dev up does not have", m[1])
		}
	}

	// Without the flag, no advice to use it.
	if got := explain(&ucli.Context{Command: findCommand(a.Commands, []string{"audit"})}, fsutil.ErrExists); errors.As(got, new(*hintError)) {
		t.Errorf("audit has no --force, yet: %v gets a hint", got)
	}
}

// Every inventory limit has the flag that raises it, and the app has it.
func TestEveryLimitHasItsFlag(t *testing.T) {
	a := newApp(&env{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }})
	for k := inventory.LimitBytes; k <= inventory.LimitBindings; k++ {
		name := limitFlagNames[k]
		if name == "" || findFlag(a.Flags, name) == nil {
			t.Errorf("limit kind %d: flag %q is not a global flag", k, name)
		}
	}
}

// TestNoSourceFileOverFiveHundredLines keeps each non-test Go file to one
// concern (issue 12): a file that grows past 500 lines holds several and is
// split by what it does, as pki/recover.go was from pki/txn.go.
func TestNoSourceFileOverFiveHundredLines(t *testing.T) {
	forEachSourceFile(t, nil, func(path, rel string) error {
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if n := strings.Count(string(data), "\n"); n > 500 {
			t.Errorf("%s has %d lines: split it by concern (at most 500)", rel, n)
		}
		return nil
	})
}

// forEachSourceFile calls fn with each non-test Go file of the module (its
// path, and its slash path from the module root), leaving out hidden
// directories, testdata and the directories in skip (slash paths).
func forEachSourceFile(t *testing.T, skip []string, fn func(path, rel string) error) {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || slices.Contains(skip, rel)) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		return fn(path, rel)
	})
	if err != nil {
		t.Fatal(err)
	}
}
