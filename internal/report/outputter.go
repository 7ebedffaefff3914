package report

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Kind is what a command has to show. A format shows one kind or more; a
// command offers the formats of the kinds it shows (FormatsFor).
type Kind uint8

const (
	// KindFindings are a Report's findings and check outcomes: policy
	// check, audit.
	KindFindings Kind = 1 << iota
	// KindMetrics are an audit's numbers per cluster (Report.Metrics).
	KindMetrics
	// KindTests are Rego test results (Report.Tests): policy test.
	KindTests
)

// Outputter renders a Report in one format. Rendering is pure: the same
// Report always renders to the same bytes.
type Outputter interface {
	Render(w io.Writer, r Report, o Options) error
}

// OutputFunc adapts a function to an Outputter.
type OutputFunc func(w io.Writer, r Report, o Options) error

// Render calls f.
func (f OutputFunc) Render(w io.Writer, r Report, o Options) error { return f(w, r, o) }

// Options tune rendering.
type Options struct {
	Color   bool // ANSI colours, for a terminal (text only)
	Verbose bool // test results: list passing and skipped tests too (text only)
}

// Format is one -o value.
type Format struct {
	Name  string // the -o value
	Usage string // what it is for, a few words for -o's help
	Kinds Kind   // what it shows
	Outputter
}

// Render renders r with the format's Outputter through one buffer, so
// that a renderer can write piece by piece and w sees few large writes.
func (f Format) Render(w io.Writer, r Report, o Options) error {
	bw := bufio.NewWriter(w)
	if err := f.Outputter.Render(bw, r, o); err != nil {
		return err
	}
	return bw.Flush()
}

// plain adapts a renderer that takes no options.
func plain(render func(w io.Writer, r Report) error) OutputFunc {
	return func(w io.Writer, r Report, _ Options) error { return render(w, r) }
}

// testsOr renders policy test results (a Report with Tests) with tests,
// and findings with findings: the formats of KindFindings | KindTests.
func testsOr(tests, findings OutputFunc) OutputFunc {
	return func(w io.Writer, r Report, o Options) error {
		if r.Tests != nil {
			return tests(w, r, o)
		}
		return findings(w, r, o)
	}
}

// formats is the registry. Each format's file registers itself (init), so
// a new format is one file.
var formats = map[string]Format{}

func register(f Format) {
	if _, dup := formats[f.Name]; dup {
		panic("report: format " + f.Name + " registered twice")
	}
	formats[f.Name] = f
}

// Lookup returns the format called name.
func Lookup(name string) (Format, bool) {
	f, ok := formats[name]
	return f, ok
}

// FormatsFor returns the formats that show one of kinds: text first (the
// default), then json, then the others by name.
func FormatsFor(kinds Kind) []Format {
	var out []Format
	for _, f := range formats {
		if f.Kinds&kinds != 0 {
			out = append(out, f)
		}
	}
	rank := func(f Format) int {
		switch f.Name {
		case "text":
			return 0
		case "json":
			return 1
		}
		return 2
	}
	slices.SortFunc(out, func(a, b Format) int { return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(a.Name, b.Name)) })
	return out
}

// Names returns the names of fs.
func Names(fs []Format) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Name
	}
	return out
}

// Render writes r to w in the format called name ("" is text). color only
// affects text.
func Render(w io.Writer, name string, r Report, color bool) error {
	if name == "" {
		name = "text"
	}
	f, ok := formats[name]
	if !ok {
		return fmt.Errorf("unknown report format %q (want one of %s)", name, strings.Join(Names(FormatsFor(KindFindings|KindMetrics|KindTests)), ", "))
	}
	return f.Render(w, r, Options{Color: color})
}
