package policies

import (
	"bytes"
	"context"
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"
)

var fmtLibrary = flag.Bool("fmt", false, "rewrite the embedded .rego files as opa fmt does")

// TestLibraryIsOPAFormatted asserts every embedded file is as `opa fmt`
// writes it.
func TestLibraryIsOPAFormatted(t *testing.T) {
	files, err := LibraryFiles()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 8 {
		t.Fatalf("only %d embedded files", len(files))
	}
	for name, src := range files {
		out, err := format.Source(name, src)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !bytes.Equal(out, src) && *fmtLibrary {
			if err := os.WriteFile(name, out, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if !bytes.Equal(out, src) {
			t.Errorf("%s is not formatted as opa fmt does; want:\n%s", name, out)
		}
	}
}

// TestLibraryPassesStrictCheck is `opa check --strict` on the library and
// its tests.
func TestLibraryPassesStrictCheck(t *testing.T) {
	mods, err := loadModules(nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := compileModules(mods, true, sandbox()); err != nil {
		t.Fatal(err)
	}
}

// TestLibraryTestsPass runs the embedded *_test.rego files and requires
// every rule of the library files to be covered.
func TestLibraryTestsPass(t *testing.T) {
	res, err := Test(context.Background(), nil, TestOptions{Coverage: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cases) < 30 {
		t.Errorf("only %d library tests", len(res.Cases))
	}
	for _, c := range res.Cases {
		if !c.Pass {
			t.Errorf("%s %s.%s: failed at %s %s", c.Location, c.Package, c.Name, c.FailedAt, c.Error)
		}
	}
	for f, fc := range res.Coverage.Files {
		if strings.HasPrefix(f, EmbeddedPrefix) && len(fc.NotCovered) > 0 {
			t.Errorf("%s: lines not covered by tests: %s", f, strings.Join(fc.NotCovered, ", "))
		}
	}
}

func TestParseErrorsNameFileRowCol(t *testing.T) {
	mods := map[string]*ast.Module{}
	err := parseInto(mods, "bad.rego", []byte("package x\n\ndeny contains msg if {\n  msg := \n}\n"))
	if err == nil || !regexp.MustCompile(`^policy parse error: bad\.rego:\d+:\d+: `).MatchString(err.Error()) {
		t.Errorf("err = %v", err)
	}
}
