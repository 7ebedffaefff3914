package inventory

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/textsafe"
)

// hostileRune is a character no name in an inventory needs, and one that
// acts on a terminal: C0 and C1 controls, DEL, bidi controls, tab, and
// invalid UTF-8.
func hostileRune(r rune) bool { return r == '\t' || r == utf8.RuneError || textsafe.Unsafe(r) }

func validPrincipalName(name string) error {
	switch {
	case name == "":
		return errors.New("empty name")
	case name == "*":
		return errors.New("\"*\" is not a principal (a grant to everyone uses principal: \"*\")")
	case strings.ContainsFunc(name, hostileRune):
		return errors.New("control characters in the name")
	case strings.HasPrefix(name, "User:"):
		return errors.New("write the name without the \"User:\" prefix")
	}
	return nil
}

// ValidTopicName reports why Kafka would reject a topic name, or nil.
func ValidTopicName(name string) error {
	switch {
	case name == "":
		return errors.New("empty topic name")
	case name == "." || name == "..":
		return fmt.Errorf("topic name %q is not allowed", name)
	case len(name) > 249:
		return fmt.Errorf("topic name is %d characters long (Kafka allows 249)", len(name))
	}
	if r, bad := badTopicRune(name); bad {
		return fmt.Errorf("topic name %q has %q (Kafka allows only a-z, A-Z, 0-9, '.', '_' and '-')", name, r)
	}
	return nil
}

// badTopicRune returns the first character of s that Kafka does not allow
// in a topic name.
func badTopicRune(s string) (rune, bool) {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return r, true
		}
	}
	return 0, false
}

// ValidTopicPattern checks a topic name as written: a name, a prefix with a
// trailing "*", or "*" alone.
func ValidTopicPattern(s string) error {
	name, pt := SplitName(s)
	if s == acl.Wildcard {
		return nil
	}
	if pt == acl.PatternPrefixed {
		if name == "" {
			return errors.New("empty prefix before \"*\"")
		}
		if strings.Contains(name, "*") {
			return fmt.Errorf("%q: only a single trailing \"*\" is allowed", s)
		}
		if len(name) > 249 {
			return fmt.Errorf("prefix is %d characters long (Kafka allows 249)", len(name))
		}
		if r, bad := badTopicRune(name); bad {
			return fmt.Errorf("topic prefix %q has %q (Kafka allows only a-z, A-Z, 0-9, '.', '_' and '-')", name, r)
		}
		return nil
	}
	return ValidTopicName(name)
}

// ValidIDPattern checks a group or transactional id as written. Kafka accepts
// any non-empty id; kafkaguard also rejects spaces and control characters at
// either end, which are always a mistake in YAML.
func ValidIDPattern(kind, s string) error {
	name, pt := SplitName(s)
	switch {
	case s == "":
		return fmt.Errorf("empty %s", kind)
	case s == acl.Wildcard:
		return nil
	case pt == acl.PatternPrefixed && name == "":
		return errors.New("empty prefix before \"*\"")
	case strings.Contains(name, "*"):
		return fmt.Errorf("%s %q: only a single trailing \"*\" is allowed", kind, s)
	case strings.TrimSpace(s) != s:
		return fmt.Errorf("%s %q has leading or trailing spaces", kind, s)
	case strings.ContainsFunc(s, hostileRune):
		return fmt.Errorf("%s %q has control characters", kind, s)
	case len(name) > 32767:
		return fmt.Errorf("%s is longer than Kafka allows", kind)
	}
	return nil
}
