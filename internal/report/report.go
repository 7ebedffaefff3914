// Package report is the findings model shared by `policy check` and `audit`,
// and its renderers: text (for people), json (stable, documented), junit (one
// testcase per check), sarif (SARIF 2.1.0) and github (workflow annotations).
//
// Building a Report is the caller's business; rendering is pure: the same
// Report always renders to the same bytes.
package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Severity ranks a finding. The zero value is SeverityInfo.
type Severity int

const (
	SeverityInfo Severity = iota
	SeverityWarning
	SeverityError
)

// SeverityNone is what Max returns for a report without findings; it is
// below every real severity.
const SeverityNone Severity = -1

var severityNames = []string{"info", "warning", "error"}

// String returns "info", "warning" or "error" ("none" for SeverityNone).
func (s Severity) String() string {
	if s >= 0 && int(s) < len(severityNames) {
		return severityNames[s]
	}
	if s == SeverityNone {
		return "none"
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// MarshalText makes a Severity render as its name in JSON and YAML.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses a severity name (see ParseSeverity).
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseSeverity parses "info", "warning" or "error" (case-insensitive; "warn"
// and "note" are accepted as the spellings other tools use).
func ParseSeverity(s string) (Severity, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "info", "note":
		return SeverityInfo, nil
	case "warning", "warn":
		return SeverityWarning, nil
	case "error":
		return SeverityError, nil
	}
	return SeverityNone, fmt.Errorf("unknown severity %q (want info, warning or error)", s)
}

// Finding is one thing a check found.
type Finding struct {
	ID       string   // stable rule id, e.g. KG101
	Check    string   // the check that produced it, e.g. "acl-drift"
	Severity Severity // info, warning or error
	Resource string   // what it is about, e.g. "User:orders-api" or a binding
	Message  string   // one line: what is wrong
	Fix      string   // one line: what to do about it
	Location string   // "file:line" (or "file") when known
}

// Report is the outcome of one run of one tool against one cluster.
type Report struct {
	Tool     string   // e.g. "kafkaguard audit"
	Cluster  string   // the inventory's cluster name, when there is one
	Checks   []string // every check that ran, so junit can list the passing ones
	Findings []Finding
	Started  time.Time
	Duration time.Duration
	// Rules optionally maps a rule ID to a one-line title, used as the SARIF
	// rule's short description (the check name is used when absent).
	Rules map[string]string
}

// Max returns the highest severity among the findings, SeverityNone when
// there are none.
func (r Report) Max() Severity {
	m := SeverityNone
	for _, f := range r.Findings {
		m = max(m, f.Severity)
	}
	return m
}

// AtLeast returns the findings whose severity is s or higher, in order.
func (r Report) AtLeast(s Severity) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Severity >= s {
			out = append(out, f)
		}
	}
	return out
}

// Count returns how many findings have severity s.
func (r Report) Count(s Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == s {
			n++
		}
	}
	return n
}

// Sort orders the findings by severity (highest first), then check, ID,
// resource and message, so output is stable whatever order checks ran in.
func (r *Report) Sort() {
	slices.SortStableFunc(r.Findings, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(b.Severity, a.Severity),
			cmp.Compare(a.Check, b.Check),
			cmp.Compare(a.ID, b.ID),
			cmp.Compare(a.Resource, b.Resource),
			cmp.Compare(a.Message, b.Message),
		)
	})
}

// AllChecks returns r.Checks followed by any check named only by a finding,
// without duplicates.
func (r Report) AllChecks() []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range r.Checks {
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	var extra []string
	for _, f := range r.Findings {
		if f.Check != "" && !seen[f.Check] {
			seen[f.Check] = true
			extra = append(extra, f.Check)
		}
	}
	slices.Sort(extra)
	return append(out, extra...)
}

// Formats are the names Render accepts, the default first.
var Formats = []string{"text", "json", "junit", "sarif", "github"}

// Render writes r to w in format. color only affects "text".
func Render(w io.Writer, format string, r Report, color bool) error {
	switch format {
	case "", "text":
		return renderText(w, r, color)
	case "json":
		return renderJSON(w, r)
	case "junit":
		return renderJUnit(w, r)
	case "sarif":
		return renderSARIF(w, r)
	case "github":
		return renderGitHub(w, r)
	}
	return fmt.Errorf("unknown report format %q (want one of %s)", format, strings.Join(Formats, ", "))
}

// SplitLocation splits "file:line[:col]" into its parts; line and col are 0
// when absent. A Windows drive letter ("C:\x") is not taken for a line.
func SplitLocation(loc string) (file string, line, col int) {
	file = loc
	nums := []int{}
	for range 2 {
		i := strings.LastIndexByte(file, ':')
		if i < 0 {
			break
		}
		n, ok := atoi(file[i+1:])
		if !ok {
			break
		}
		nums = append(nums, n)
		file = file[:i]
	}
	switch len(nums) {
	case 1:
		line = nums[0]
	case 2:
		line, col = nums[1], nums[0]
	}
	if file == "" {
		return loc, 0, 0
	}
	return file, line, col
}

func atoi(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n > 0
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
