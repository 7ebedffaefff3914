package policies

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/tester"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/kafkaguard/kafkaguard/internal/location"
)

// TestTimeoutError is a policy test that did not finish within
// TestOptions.Timeout; the other tests were stopped. Its text names no flag:
// the caller says which setting raises the timeout.
type TestTimeoutError struct {
	Test     string // "data.pkg.test_name"
	Location string // "file:row" of the test rule, "" if unknown
	Timeout  time.Duration
}

func (e *TestTimeoutError) Error() string {
	loc := ""
	if e.Location != "" {
		loc = " (" + e.Location + ")"
	}
	return fmt.Sprintf("policy test %s%s did not finish within %s", e.Test, loc, e.Timeout)
}

// Is makes a TestTimeoutError match context.DeadlineExceeded.
func (e *TestTimeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

// TestOptions configures Test.
type TestOptions struct {
	Run       string        // only tests whose package.name matches this regular expression
	Coverage  bool          // measure which policy lines the tests evaluate
	Timeout   time.Duration // per test; 0 = DefaultTimeout
	NoLibrary bool          // skip the embedded library's own tests
	// Capabilities is an OPA capabilities JSON file; "" = the sandbox.
	Capabilities string
}

// TestCase is the outcome of one Rego test rule.
type TestCase struct {
	Package  string        `json:"package"`  // "data.kafkaguard"
	Name     string        `json:"name"`     // "test_producer_writes"
	Location string        `json:"location"` // "file:row" of the test rule
	Pass     bool          `json:"pass"`
	Skip     bool          `json:"skip,omitempty"`
	FailedAt string        `json:"failed_at,omitempty"` // "file:row: expression" of the first failing expression
	Error    string        `json:"error,omitempty"`     // an evaluation error, when the test could not run
	Duration time.Duration `json:"duration_ns"`
	Output   string        `json:"output,omitempty"` // print() output
}

// TestResult is every test's outcome, sorted by location.
type TestResult struct {
	Cases    []TestCase `json:"tests"`
	Coverage *Coverage  `json:"coverage,omitempty"`
}

// Coverage is the share of policy lines the tests evaluated.
type Coverage struct {
	Percent float64                 `json:"percent"`
	Files   map[string]FileCoverage `json:"files"`
}

// FileCoverage is one policy file's coverage.
type FileCoverage struct {
	Percent    float64  `json:"percent"`
	NotCovered []string `json:"not_covered,omitempty"` // "12-14" line ranges
}

// Passed, Failed and Skipped count the cases by outcome.
func (r *TestResult) Passed() int { return r.count(func(c TestCase) bool { return c.Pass && !c.Skip }) }
func (r *TestResult) Failed() int {
	return r.count(func(c TestCase) bool { return !c.Pass && !c.Skip })
}
func (r *TestResult) Skipped() int { return r.count(func(c TestCase) bool { return c.Skip }) }

func (r *TestResult) count(f func(TestCase) bool) int {
	n := 0
	for _, c := range r.Cases {
		if f(c) {
			n++
		}
	}
	return n
}

// Test runs the *_test.rego files of the embedded library and of dirs with
// OPA's tester. Policy parse and compile errors are returned as errors
// (file:row:col), and so is a test that did not finish within the timeout
// (the other tests are stopped then): the tests could not run. Failing
// tests, and tests that stop with an evaluation error, are in the result.
func Test(ctx context.Context, dirs []string, opts TestOptions) (*TestResult, error) {
	if opts.Run != "" {
		if _, err := regexp.Compile(opts.Run); err != nil {
			return nil, fmt.Errorf("test name pattern %q: %w", opts.Run, err)
		}
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	caps, err := loadCapabilities(opts.Capabilities)
	if err != nil {
		return nil, err
	}
	mods, err := loadModules(dirs, true)
	if err != nil {
		return nil, err
	}
	if opts.NoLibrary {
		for name := range mods {
			if strings.HasPrefix(name, EmbeddedPrefix) && isTestFile(name) {
				delete(mods, name)
			}
		}
	}
	runner := tester.NewRunner().
		SetCompiler(ast.NewCompiler().WithEnablePrintStatements(true).WithDefaultRegoVersion(ast.RegoV1).WithCapabilities(caps.caps)).
		SetModules(mods).
		Filter(opts.Run).
		SetTimeout(timeout).
		CapturePrintOutput(true).
		EnableTracing(true)
	var cov *cover.Cover
	if opts.Coverage {
		cov = cover.New()
		runner.SetCoverageQueryTracer(cov)
	}
	// A test that times out stops the run: the others are cancelled through
	// runCtx, and their cancellations are not reported on their own.
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch, err := runner.RunTests(runCtx, nil)
	if err != nil {
		var errs ast.Errors
		if errors.As(err, &errs) {
			caps.explain(errs)
		}
		return nil, policyError("compile", err)
	}
	res := &TestResult{}
	var timedOut error
	for r := range ch {
		if r.Error != nil && topdown.IsCancel(r.Error) {
			if timedOut == nil && ctx.Err() == nil {
				timedOut = &TestTimeoutError{Test: r.Package + "." + r.Name, Location: fileRow(r.Location), Timeout: timeout}
				cancel()
			}
			continue
		}
		c := TestCase{
			Package:  r.Package,
			Name:     r.Name,
			Location: fileRow(r.Location),
			Pass:     r.Pass(),
			Skip:     r.Skip,
			Duration: r.Duration,
			Output:   string(r.Output),
		}
		if r.Error != nil {
			c.Pass = false
			c.Error = strings.ReplaceAll(r.Error.Error(), "\n", " ")
		}
		if r.Fail {
			c.FailedAt = failedAt(r)
		}
		res.Cases = append(res.Cases, c)
	}
	sort.Slice(res.Cases, func(i, j int) bool {
		af, al, _ := location.Split(res.Cases[i].Location)
		bf, bl, _ := location.Split(res.Cases[j].Location)
		if af != bf {
			return af < bf
		}
		return al < bl
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if timedOut != nil {
		return nil, timedOut
	}
	if cov != nil {
		rep := cov.Report(nonTestModules(mods))
		res.Coverage = &Coverage{Percent: rep.Coverage, Files: map[string]FileCoverage{}}
		for f, fr := range rep.Files {
			var rows [][2]int
			for _, rg := range fr.NotCovered {
				rows = append(rows, [2]int{rg.Start.Row, rg.End.Row})
			}
			res.Coverage.Files[f] = FileCoverage{Percent: fr.Coverage, NotCovered: lineRanges(rows)}
		}
	}
	return res, nil
}

// lineRanges merges line ranges (OPA's cover reports one per expression,
// so a line or a multi-line expression may come more than once, and ranges
// may overlap) into sorted, disjoint ranges, adjacent ones joined: "5",
// "7-9", "12".
func lineRanges(rs [][2]int) []string {
	rs = append([][2]int(nil), rs...)
	sort.Slice(rs, func(i, j int) bool { return rs[i][0] < rs[j][0] })
	var merged [][2]int
	for _, r := range rs {
		if r[1] < r[0] {
			r[1] = r[0]
		}
		if n := len(merged); n > 0 && r[0] <= merged[n-1][1]+1 {
			merged[n-1][1] = max(merged[n-1][1], r[1])
			continue
		}
		merged = append(merged, r)
	}
	var out []string
	for _, r := range merged {
		if r[0] == r[1] {
			out = append(out, fmt.Sprint(r[0]))
		} else {
			out = append(out, fmt.Sprintf("%d-%d", r[0], r[1]))
		}
	}
	return out
}

func nonTestModules(mods map[string]*ast.Module) map[string]*ast.Module {
	out := map[string]*ast.Module{}
	for n, m := range mods {
		if !isTestFile(n) {
			out[n] = m
		}
	}
	return out
}

// failedAt locates a failing test: OPA's FailedAt when set, else the last
// expression of the test's file (at or after the test rule) that failed in
// the trace.
func failedAt(r *tester.Result) string {
	if r.FailedAt != nil && r.FailedAt.Location != nil {
		return fmt.Sprintf("%s:%d: %s", r.FailedAt.Location.File, r.FailedAt.Location.Row, r.FailedAt)
	}
	for i := len(r.Trace) - 1; i >= 0 && r.Location != nil; i-- {
		e := r.Trace[i]
		if e.Op != topdown.FailOp || e.Location == nil || e.Location.File != r.Location.File || e.Location.Row < r.Location.Row {
			continue
		}
		if x, ok := e.Node.(*ast.Expr); ok {
			return fmt.Sprintf("%s:%d: %s", e.Location.File, e.Location.Row, x)
		}
	}
	return fileRow(r.Location) + ": test is false or undefined"
}
