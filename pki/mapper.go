package pki

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file ports Kafka's SslPrincipalMapper (ssl.principal.mapping.rules):
// the same rule splitting and parsing regular expressions, first match wins,
// DEFAULT = the whole DN, RULE:pattern/replacement/[L|U] where the pattern
// must match the whole DN and the result is DN.replaceAll(pattern,
// replacement) with Java's replacement syntax ($n, ${name}, \ escapes) and
// Kafka's treatment of back references to missing groups as literals.
//
// Patterns are compiled with Go's regexp (RE2): Java-only constructs
// (look-around, back references, possessive quantifiers, class intersection)
// are reported as errors instead of being silently misread.

const rulePattern = `(DEFAULT)|RULE:((\\.|[^\\/])*)/((\\.|[^\\/])*)/([LU]?).*?|(.*?)`

var (
	ruleSplitter = regexp.MustCompile(`\s*(` + rulePattern + `)\s*(,\s*|$)`)
	ruleParser   = regexp.MustCompile(`^(?:` + rulePattern + `)`)
	backRefRE    = regexp.MustCompile(`\$(\d+)`)
)

// Mapper applies ssl.principal.mapping.rules to RFC 2253 DNs.
type Mapper struct {
	rules []mappingRule
}

type mappingRule struct {
	isDefault   bool
	pattern     string         // as written (Java's Rule.toString prints it)
	re          *regexp.Regexp // the pattern, unanchored (for replaceAll)
	full        *regexp.Regexp // \A(?:pattern)\z (for Matcher.matches)
	atEmpty     *regexp.Regexp // ^(?s:.)(?:pattern): the preferred match right after one character
	replacement string
	lower       bool
	upper       bool
}

// ParseMappingRules parses ssl.principal.mapping.rules. An empty string
// means the broker default, "DEFAULT". A malformed rule is an error naming it.
func ParseMappingRules(rules string) (*Mapper, error) {
	if strings.TrimSpace(rules) == "" || rules == "DEFAULT" {
		// The broker default, what most certificates are issued and read
		// under: what parseMappingRules("DEFAULT") returns, without its two
		// regular expressions (an issue checks the rules and maps its
		// certificate's DN, some 40 µs of a 1 ms issue).
		return &Mapper{rules: []mappingRule{{isDefault: true}}}, nil
	}
	return parseMappingRules(rules)
}

func parseMappingRules(rules string) (*Mapper, error) {
	var m Mapper
	for _, r := range splitRules(rules) {
		loc := ruleParser.FindStringSubmatchIndex(r)
		if loc == nil {
			return nil, fmt.Errorf("invalid mapping rule %s", shortQuote(r))
		}
		if loc[1] != len(r) {
			return nil, fmt.Errorf("invalid mapping rule %s: unexpected %s after the rule", shortQuote(r), shortQuote(r[loc[1]:]))
		}
		group := func(i int) (string, bool) {
			if loc[2*i] < 0 {
				return "", false
			}
			return r[loc[2*i]:loc[2*i+1]], true
		}
		if _, ok := group(1); ok {
			m.rules = append(m.rules, mappingRule{isDefault: true})
			continue
		}
		pattern, ok := group(2)
		if !ok {
			continue // empty rules are ignored
		}
		repl, _ := group(4)
		flag, _ := group(6)
		rule := mappingRule{pattern: pattern, replacement: repl, lower: flag == "L", upper: flag == "U"}
		var err error
		if rule.re, err = regexp.Compile(pattern); err != nil {
			return nil, fmt.Errorf("invalid mapping rule %s: pattern: %s", shortQuote(r), regexpError(err))
		}
		// Matching as Java does needs the pattern wrapped in one more group;
		// a pattern already at RE2's nesting limit cannot be, and is refused
		// (MustCompile here once let a pull request's inventory panic).
		if rule.full, err = regexp.Compile(`\A(?:` + pattern + `)\z`); err == nil {
			rule.atEmpty, err = regexp.Compile(`^(?s:.)(?:` + pattern + `)`)
		}
		if err != nil {
			return nil, fmt.Errorf("invalid mapping rule %s: pattern cannot be matched as Kafka does: %s", shortQuote(r), regexpError(err))
		}
		m.rules = append(m.rules, rule)
	}
	return &m, nil
}

// shortQuote quotes s, cut to its first 200 bytes when longer, so an
// error about a huge rule stays one readable line.
func shortQuote(s string) string {
	if len(s) <= 200 {
		return strconv.Quote(s)
	}
	cut := 200
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + fmt.Sprintf("... (%d bytes)", len(s))
}

func regexpError(err error) string {
	var re *syntax.Error
	if errors.As(err, &re) && len(re.Expr) > 100 {
		return fmt.Sprintf("%s: `%s...` (%d bytes)", re.Code, re.Expr[:100], len(re.Expr))
	}
	return strings.TrimPrefix(err.Error(), "error parsing regexp: ")
}

// splitRules is SslPrincipalMapper.splitRules.
func splitRules(rules string) []string {
	rules = strings.TrimFunc(rules, func(r rune) bool { return r <= ' ' })
	var out []string
	for _, m := range ruleSplitter.FindAllStringSubmatch(rules, -1) {
		out = append(out, m[1])
	}
	return out
}

// Map returns the principal name (without "User:") for an RFC 2253 DN. A DN
// no rule matches is an error, as it is a failed authentication on a broker.
func (m *Mapper) Map(dn string) (string, error) {
	for _, r := range m.rules {
		name, ok, err := r.apply(dn)
		if err != nil {
			return "", err
		}
		if ok {
			return name, nil
		}
	}
	return "", fmt.Errorf("no ssl.principal.mapping.rules rule matches %q (rules: %s)", dn, m)
}

// String prints the rules as Kafka's SslPrincipalMapper.toString does inside
// its brackets.
func (m *Mapper) String() string {
	parts := make([]string, len(m.rules))
	for i, r := range m.rules {
		parts[i] = r.String()
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func (r mappingRule) String() string {
	if r.isDefault {
		return "DEFAULT"
	}
	s := "RULE:" + r.pattern + "/" + r.replacement
	if r.lower {
		s += "/L"
	} else if r.upper {
		s += "/U"
	}
	return s
}

func (r mappingRule) apply(dn string) (string, bool, error) {
	if r.isDefault {
		return dn, true, nil
	}
	if !r.full.MatchString(dn) {
		return "", false, nil
	}
	repl := escapeLiteralBackReferences(r.replacement, r.re.NumSubexp())
	out, err := r.replaceAll(dn, repl)
	if err != nil {
		return "", false, fmt.Errorf("mapping rule %s on %q: %w", r, dn, err)
	}
	if r.lower {
		out = strings.ToLower(out)
	} else if r.upper {
		out = strings.ToUpper(out)
	}
	return out, true, nil
}

// escapeLiteralBackReferences is Kafka's (from Apache NiFi), including its
// use of match positions in the original string while inserting backslashes.
func escapeLiteralBackReferences(unescaped string, numGroups int) string {
	if numGroups == 0 {
		return unescaped
	}
	value := unescaped
	for _, loc := range backRefRE.FindAllStringSubmatchIndex(unescaped, -1) {
		num := unescaped[loc[2]:loc[3]]
		if strings.HasPrefix(num, "0") {
			continue
		}
		idx, err := strconv.Atoi(num)
		if err != nil {
			idx = int(^uint(0) >> 1) // larger than any group count
		}
		for idx > numGroups && idx >= 10 {
			idx /= 10
		}
		if idx > numGroups {
			groupStart := loc[2]
			if groupStart-1 <= len(value) {
				value = value[:groupStart-1] + `\` + value[groupStart-1:]
			}
		}
	}
	return value
}

// replaceAll is Java's String.replaceAll: successive matches, where (unlike
// Go's ReplaceAll) an empty match right after a non-empty one also counts.
func (r mappingRule) replaceAll(s, repl string) (string, error) {
	var b strings.Builder
	last := 0 // end of the text copied so far
	emit := func(groups []int) error {
		b.WriteString(s[last:groups[0]])
		if err := appendReplacement(&b, s, groups, repl, r.re); err != nil {
			return err
		}
		last = groups[1]
		return nil
	}
	// emptyAt reports the match Java finds at e when Go skipped it: the
	// preferred match starting at e, if it is empty.
	emptyAt := func(e int) []int {
		if e == 0 {
			return nil
		}
		_, w := utf8.DecodeLastRuneInString(s[:e])
		loc := r.atEmpty.FindStringSubmatchIndex(s[e-w:])
		if loc == nil || loc[1] != w {
			return nil
		}
		for i := range loc {
			if loc[i] >= 0 {
				loc[i] += e - w
			}
		}
		loc[0] = e
		return loc
	}
	prevEnd := -1
	for _, m := range r.re.FindAllStringSubmatchIndex(s, -1) {
		if prevEnd >= 0 && m[0] != prevEnd {
			if e := emptyAt(prevEnd); e != nil {
				if err := emit(e); err != nil {
					return "", err
				}
			}
		}
		if err := emit(m); err != nil {
			return "", err
		}
		prevEnd = -1
		if m[1] > m[0] {
			prevEnd = m[1]
		}
	}
	if prevEnd >= 0 {
		if e := emptyAt(prevEnd); e != nil {
			if err := emit(e); err != nil {
				return "", err
			}
		}
	}
	b.WriteString(s[last:])
	return b.String(), nil
}

// appendReplacement is java.util.regex.Matcher.appendReplacement's
// replacement syntax: \x is a literal x, $n the longest group number that
// exists, ${name} a named group.
func appendReplacement(b *strings.Builder, s string, groups []int, repl string, re *regexp.Regexp) error {
	n := re.NumSubexp()
	group := func(i int) {
		if groups[2*i] >= 0 {
			b.WriteString(s[groups[2*i]:groups[2*i+1]])
		}
	}
	for i := 0; i < len(repl); {
		c := repl[i]
		switch c {
		case '\\':
			i++
			if i >= len(repl) {
				return errors.New("character to be escaped is missing at the end of the replacement")
			}
			_, w := utf8.DecodeRuneInString(repl[i:])
			b.WriteString(repl[i : i+w])
			i += w
		case '$':
			i++
			if i >= len(repl) {
				return errors.New("illegal group reference: group index is missing")
			}
			if repl[i] == '{' {
				end := strings.IndexByte(repl[i:], '}')
				if end < 0 {
					return errors.New("named capturing group is missing trailing '}'")
				}
				name := repl[i+1 : i+end]
				idx := re.SubexpIndex(name)
				if name == "" || idx < 0 {
					return fmt.Errorf("no group with name {%s}", name)
				}
				group(idx)
				i += end + 1
				continue
			}
			if repl[i] < '0' || repl[i] > '9' {
				return errors.New("illegal group reference")
			}
			ref := int(repl[i] - '0')
			i++
			for i < len(repl) && repl[i] >= '0' && repl[i] <= '9' {
				next := ref*10 + int(repl[i]-'0')
				if next > n {
					break
				}
				ref = next
				i++
			}
			if ref > n {
				return fmt.Errorf("no group %d", ref)
			}
			group(ref)
		default:
			b.WriteByte(c)
			i++
		}
	}
	return nil
}
