// Package policies is kafkaguard's policy engine: the embedded Rego library
// (roles, the grant expansion and the guardrails) and the Go code that runs
// it over an inventory to produce ACL bindings and findings, and runs Rego
// unit tests with OPA's tester.
package policies

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/kafkaguard/kafkaguard/internal/fsutil"
)

//go:embed *.rego
var library embed.FS

// EmbeddedPrefix is how locations in the embedded library are named.
const EmbeddedPrefix = "kafkaguard:policies/"

// LibraryFiles returns the embedded Rego files, tests included, by name.
func LibraryFiles() (map[string][]byte, error) {
	out := map[string][]byte{}
	err := fs.WalkDir(library, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".rego" {
			return err
		}
		b, err := library.ReadFile(p)
		if err != nil {
			return err
		}
		out[p] = b
		return nil
	})
	return out, err
}

func isTestFile(name string) bool { return strings.HasSuffix(name, "_test.rego") }

// loadModules parses the embedded library and every *.rego file under dirs
// (recursively). Tests (*_test.rego) are included only when withTests is set.
func loadModules(dirs []string, withTests bool) (map[string]*ast.Module, error) {
	mods := map[string]*ast.Module{}
	files, err := LibraryFiles()
	if err != nil {
		return nil, fmt.Errorf("read embedded policies: %w", err)
	}
	for name, src := range files {
		if isTestFile(name) && !withTests {
			continue
		}
		if err := parseInto(mods, EmbeddedPrefix+name, src); err != nil {
			return nil, err
		}
	}
	for _, dir := range dirs {
		fi, err := os.Stat(dir)
		if err != nil {
			return nil, fmt.Errorf("read policies: %w", err)
		}
		if !fi.IsDir() {
			if filepath.Ext(dir) != ".rego" {
				return nil, fmt.Errorf("read policies %s: not a directory or a .rego file", dir)
			}
			if isTestFile(dir) && !withTests {
				continue
			}
			src, err := readPolicyFile(dir)
			if err != nil {
				return nil, fmt.Errorf("read policy: %w", err)
			}
			if err := parseInto(mods, dir, src); err != nil {
				return nil, err
			}
			continue
		}
		n := 0
		err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if p != dir && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if filepath.Ext(p) != ".rego" {
				return nil
			}
			n++
			if isTestFile(p) && !withTests {
				return nil
			}
			src, err := readPolicyFile(p)
			if err != nil {
				return err
			}
			return parseInto(mods, p, src)
		})
		if err != nil {
			var pe *PolicyError
			if errors.As(err, &pe) {
				return nil, err
			}
			return nil, fmt.Errorf("read policies %s: %w", dir, err)
		}
		if n == 0 {
			return nil, fmt.Errorf("read policies %s: no .rego files", dir)
		}
	}
	return mods, nil
}

// maxPolicyFileBytes bounds one .rego file: real ones are a few KB, and a
// pull request can make policies/x.rego a symbolic link to /dev/zero.
const maxPolicyFileBytes = 16 << 20

func readPolicyFile(path string) ([]byte, error) {
	return fsutil.ReadFileLimit(path, maxPolicyFileBytes, "a policy")
}

func parseInto(mods map[string]*ast.Module, name string, src []byte) error {
	m, err := ast.ParseModuleWithOpts(name, string(src), ast.ParserOptions{RegoVersion: ast.RegoV1, ProcessAnnotation: true})
	if err != nil {
		return policyError("parse", err)
	}
	if m == nil {
		return &PolicyError{Op: "parse", Msg: name + ": empty policy file (no package)"}
	}
	mods[name] = m
	return nil
}

// PolicyError is a Rego parse or compile error, located as file:row:col.
type PolicyError struct {
	Op  string // "parse" or "compile"
	Msg string // "file:row:col: message" (and "; N more" when there are more)
	Err error  // the first error's kind (ErrSandboxed), or nil
}

func (e *PolicyError) Error() string { return fmt.Sprintf("policy %s error: %s", e.Op, e.Msg) }
func (e *PolicyError) Unwrap() error { return e.Err }

func policyError(op string, err error) error {
	var errs ast.Errors
	if !errors.As(err, &errs) || len(errs) == 0 {
		return &PolicyError{Op: op, Msg: strings.ReplaceAll(err.Error(), "\n", " ")}
	}
	sorted := append(ast.Errors(nil), errs...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i].Location, sorted[j].Location
		if a == nil || b == nil {
			return a != nil && b == nil // located errors first
		}
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Row != b.Row {
			return a.Row < b.Row
		}
		return a.Col < b.Col
	})
	first := sorted[0]
	msg := first.Message
	if first.Location != nil {
		msg = fmt.Sprintf("%s:%d:%d: %s", first.Location.File, first.Location.Row, first.Location.Col, first.Message)
	}
	if len(sorted) > 1 {
		msg += fmt.Sprintf(" (and %d more)", len(sorted)-1)
	}
	pe := &PolicyError{Op: op, Msg: strings.ReplaceAll(msg, "\n", " ")}
	if first.Code == sandboxErrorCode {
		pe.Err = ErrSandboxed
	}
	return pe
}

// fileRow is loc as "file:row", "" for no location.
func fileRow(loc *ast.Location) string {
	if loc == nil {
		return ""
	}
	return fmt.Sprintf("%s:%d", loc.File, loc.Row)
}

// compileModules compiles modules with caps (the sandbox, or a
// --capabilities file), returning located errors.
func compileModules(mods map[string]*ast.Module, strict bool, caps *capabilities) (*ast.Compiler, error) {
	c := ast.NewCompiler().WithStrict(strict).WithDefaultRegoVersion(ast.RegoV1).WithCapabilities(caps.caps)
	c.Compile(mods)
	if c.Failed() {
		caps.explain(c.Errors)
		return nil, policyError("compile", c.Errors)
	}
	return c, nil
}

// ruleSite is where a package defines a rule with a given name.
type ruleSite struct {
	pkg      ast.Ref // data.x.y
	location string  // file:row of the first definition
	embedded bool
}

// rulesNamed finds every package that defines a rule called name, sorted by
// package path, with the first definition's location.
func rulesNamed(mods map[string]*ast.Module, name string) []ruleSite {
	byPkg := map[string]*ruleSite{}
	files := make([]string, 0, len(mods))
	for f := range mods {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, f := range files {
		m := mods[f]
		for _, r := range m.Rules {
			ref := r.Head.Ref()
			if len(ref) == 0 {
				continue
			}
			v, ok := ref[0].Value.(ast.Var)
			if !ok || string(v) != name {
				continue
			}
			key := m.Package.Path.String()
			loc := fileRow(r.Location)
			s, ok := byPkg[key]
			if !ok {
				s = &ruleSite{pkg: m.Package.Path.Copy(), location: loc, embedded: strings.HasPrefix(f, EmbeddedPrefix)}
				byPkg[key] = s
			} else if s.embedded && !strings.HasPrefix(f, EmbeddedPrefix) {
				// A user file extends a library rule: the user's location tells more.
				s.embedded = false
				s.location = loc
			}
		}
	}
	keys := make([]string, 0, len(byPkg))
	for k := range byPkg {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]ruleSite, 0, len(keys))
	for _, k := range keys {
		out = append(out, *byPkg[k])
	}
	return out
}
