package access

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/acl/analysis"
	"github.com/kafkaguard/kafkaguard/internal/textsafe"
)

// DiffReport is the effective access change between two sources.
type DiffReport struct {
	Base, Head string
	Changes    []analysis.Change
}

// jsonChange is one change in the documented JSON form (docs/access.md).
type jsonChange struct {
	Principal string `json:"principal"`
	Operation string `json:"operation"`
	jsonPattern
	Host    string   `json:"host"`
	Change  string   `json:"change"` // gained | lost
	Risk    []string `json:"risk"`
	Example string   `json:"example"`
}

type jsonDiff struct {
	Base    string       `json:"base"`
	Head    string       `json:"head"`
	Summary diffSummary  `json:"summary"`
	Changes []jsonChange `json:"changes"`
}

type diffSummary struct {
	Gained     int `json:"gained"`
	Lost       int `json:"lost"`
	Risky      int `json:"risky"`
	Principals int `json:"principals"`
}

func (r DiffReport) summary() diffSummary {
	var s diffSummary
	principals := map[string]bool{}
	for _, c := range r.Changes {
		if c.Gained {
			s.Gained++
		} else {
			s.Lost++
		}
		if len(c.Risks) > 0 {
			s.Risky++
		}
		principals[c.Principal] = true
	}
	s.Principals = len(principals)
	return s
}

func changeWord(gained bool) string {
	if gained {
		return "gained"
	}
	return "lost"
}

// WriteJSON writes the report as one JSON document.
func (r DiffReport) WriteJSON(w io.Writer) error {
	out := jsonDiff{Base: r.Base, Head: r.Head, Summary: r.summary(), Changes: []jsonChange{}}
	for _, c := range r.Changes {
		risk := c.Risks
		if risk == nil {
			risk = []string{}
		}
		out.Changes = append(out.Changes, jsonChange{
			Principal: c.Principal, Operation: c.Operation.String(), jsonPattern: patternOf(c.ResourceType, c.ResourceName, c.PatternType),
			Host: c.Host, Change: changeWord(c.Gained), Risk: risk, Example: c.Example,
		})
	}
	return writeJSON(w, out)
}

// row is the changes of one principal on one pattern and host in one
// direction (its rowKey): the operations together, as people read them.
type row struct {
	rowKey
	ops   []acl.Operation
	risks []string
}

// rowKey is what the changes of one row share.
type rowKey struct {
	principal string
	typ       acl.ResourceType
	name      string
	pt        acl.PatternType
	host      string
	gained    bool
}

// rows groups the changes by principal, pattern, host and direction. Each
// principal's risky rows come first; principals with a risky row first.
func (r DiffReport) rows() [][]row {
	index := map[rowKey]int{}
	byPrincipal := map[string][]row{}
	var order []string
	for _, c := range r.Changes {
		k := rowKey{c.Principal, c.ResourceType, c.ResourceName, c.PatternType, c.Host, c.Gained}
		if _, ok := byPrincipal[c.Principal]; !ok {
			order = append(order, c.Principal)
		}
		if i, ok := index[k]; ok {
			byPrincipal[c.Principal][i].ops = append(byPrincipal[c.Principal][i].ops, c.Operation)
			continue
		}
		index[k] = len(byPrincipal[c.Principal])
		byPrincipal[c.Principal] = append(byPrincipal[c.Principal], row{k, []acl.Operation{c.Operation}, c.Risks})
	}
	var out [][]row
	for _, p := range order {
		rs := byPrincipal[p]
		slices.SortStableFunc(rs, func(a, b row) int { return cmp.Compare(rank(len(a.risks) > 0), rank(len(b.risks) > 0)) })
		out = append(out, rs)
	}
	slices.SortStableFunc(out, func(a, b []row) int { return cmp.Compare(rank(risky(a)), rank(risky(b))) })
	return out
}

// rank orders risky things first.
func rank(risky bool) int {
	if risky {
		return 0
	}
	return 1
}

func risky(rs []row) bool {
	return slices.ContainsFunc(rs, func(r row) bool { return len(r.risks) > 0 })
}

func opNames(ops []acl.Operation) string {
	names := make([]string, len(ops))
	for i, o := range ops {
		names[i] = o.String()
	}
	return strings.Join(names, ", ")
}

// who names a principal for people: User:* is everyone.
func who(p string) string {
	if p == analysis.Anyone {
		return "User:* (anyone)"
	}
	return p
}

// pattern names a resource pattern for people.
func pattern(typ acl.ResourceType, name string, pt acl.PatternType) string {
	switch {
	case pt == acl.PatternPrefixed:
		return fmt.Sprintf("%s PREFIXED %s (names under it, existing or not)", typ, strconv.Quote(name))
	case name == acl.Wildcard:
		return fmt.Sprintf("%s * (every name no other pattern here covers)", typ)
	}
	return fmt.Sprintf("%s %s", typ, strconv.Quote(name))
}

// WriteText writes the report for a terminal: per principal, + gained and
// - lost operations per pattern, then a summary line.
func (r DiffReport) WriteText(w io.Writer) error {
	s := r.summary()
	if len(r.Changes) == 0 {
		_, err := fmt.Fprintf(w, "No effective access changes from %s to %s.\n", r.Base, r.Head)
		return err
	}
	for _, rs := range r.rows() {
		fmt.Fprintf(w, "%s\n", safe(who(rs[0].principal)))
		for _, x := range rs {
			sign := "-"
			if x.gained {
				sign = "+"
			}
			line := fmt.Sprintf("  %s %s on %s", sign, opNames(x.ops), safe(pattern(x.typ, x.name, x.pt)))
			if x.host != acl.Wildcard {
				line += " from host " + safe(x.host)
			}
			if len(x.risks) > 0 {
				line += "  [risk: " + strings.Join(x.risks, ", ") + "]"
			}
			fmt.Fprintln(w, line)
		}
	}
	_, err := fmt.Fprintf(w, "\nAccess: %d gained, %d lost (%d risky) for %d principal(s), from %s to %s.\n",
		s.Gained, s.Lost, s.Risky, s.Principals, safe(r.Base), safe(r.Head))
	return err
}

// riskText explains each risk kind in a pull-request comment.
var riskText = map[string]string{
	analysis.RiskPrefix:        "prefix: covers topics that do not exist yet",
	analysis.RiskWildcard:      "wildcard: every name of the type",
	analysis.RiskAnyone:        "anyone: every principal (User:*)",
	analysis.RiskCrossTeam:     "cross-team: a restricted or confidential topic of another team",
	analysis.RiskBreaksService: "breaks-service: a principal that still runs loses access",
}

// WriteMarkdown writes the report as a pull-request comment: a summary, then
// one table per principal, risky rows (and principals) first.
func (r DiffReport) WriteMarkdown(w io.Writer) error {
	s := r.summary()
	fmt.Fprintf(w, "### kafkaguard: effective access changes\n\n")
	fmt.Fprintf(w, "From %s to %s, decided with Kafka's authorizer rules.\n\n", textsafe.MarkdownCode(r.Base), textsafe.MarkdownCode(r.Head))
	if len(r.Changes) == 0 {
		_, err := fmt.Fprintf(w, "**No effective access changes.**\n")
		return err
	}
	fmt.Fprintf(w, "**%d gained, %d lost** for %d principal(s); **%d risky**.\n\n", s.Gained, s.Lost, s.Principals, s.Risky)
	for _, rs := range r.rows() {
		fmt.Fprintf(w, "#### %s\n\n", textsafe.Markdown(who(rs[0].principal)))
		fmt.Fprintf(w, "| | Change | Operations | Resource | Pattern | Host | Risk |\n|---|---|---|---|---|---|---|\n")
		for _, x := range rs {
			flag := ""
			if len(x.risks) > 0 {
				flag = "⚠️"
			}
			name := textsafe.MarkdownCodeCell(x.name)
			if x.pt == acl.PatternLiteral && x.name == acl.Wildcard {
				name = "`*` (any other name)"
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s %s | %s | %s | %s |\n", flag, changeWord(x.gained), opNames(x.ops),
				x.typ, name, x.pt, textsafe.MarkdownCodeCell(x.host), strings.Join(x.risks, ", "))
		}
		fmt.Fprintln(w)
	}
	var kinds []string
	for _, c := range r.Changes {
		kinds = append(kinds, c.Risks...)
	}
	slices.Sort(kinds)
	if kinds = slices.Compact(kinds); len(kinds) > 0 {
		fmt.Fprintf(w, "Risks: ")
		for i, k := range kinds {
			if i > 0 {
				fmt.Fprintf(w, "; ")
			}
			fmt.Fprintf(w, "%s", riskText[k])
		}
		fmt.Fprintf(w, ".\n")
	}
	_, err := fmt.Fprintf(w, "\n<sub>A PREFIXED row covers the names under the prefix that no more specific row covers; `User:*` is every principal without its own ACLs there; host `*` is every host. Check one with `kafkaguard access can`.</sub>\n")
	return err
}

// safe makes a name harmless on a terminal: control characters are shown
// escaped, never sent.
func safe(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) && r != ' ' }) {
		return s
	}
	q := strconv.QuoteToGraphic(s)
	return q[1 : len(q)-1]
}
