package inventory

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kafkaguard/kafkaguard/acl"
)

func (l *loader) cluster(file string, n *yaml.Node) error {
	var c Cluster
	err := l.mapping(file, n, "cluster", map[string]func(k, v *yaml.Node) error{
		"name": func(_, v *yaml.Node) error {
			if err := l.str(file, v, "cluster.name", &c.Name); err != nil {
				return err
			}
			if strings.ContainsFunc(c.Name, hostileRune) || strings.Contains(c.Name, "\n") {
				return l.errf(file, v, "cluster.name %q has control characters", c.Name)
			}
			return nil
		},
		"ssl_principal_mapping_rules": func(_, v *yaml.Node) error {
			return l.str(file, v, "cluster.ssl_principal_mapping_rules", &c.SSLPrincipalMappingRules)
		},
	})
	if err != nil {
		return err
	}
	if prev := l.inv.Cluster; prev.Source != "" {
		if c.Name != "" && prev.Name != "" && c.Name != prev.Name {
			return l.errf(file, n, "cluster.name %q differs from %q declared at %s", c.Name, prev.Name, prev.Source)
		}
		if c.SSLPrincipalMappingRules != "" && prev.SSLPrincipalMappingRules != "" && c.SSLPrincipalMappingRules != prev.SSLPrincipalMappingRules {
			return l.errf(file, n, "cluster.ssl_principal_mapping_rules differs from the rules declared at %s", prev.Source)
		}
		if c.Name == "" {
			c.Name = prev.Name
		}
		if c.SSLPrincipalMappingRules == "" {
			c.SSLPrincipalMappingRules = prev.SSLPrincipalMappingRules
		}
		c.Source = prev.Source
	} else {
		c.Source = src(file, n)
	}
	l.inv.Cluster = c
	return nil
}

var validAuth = []string{AuthSCRAMSHA256, AuthSCRAMSHA512, AuthMTLS, AuthPlain, AuthOAuthBearer, AuthExternal}

func (l *loader) principalsBlock(file string, n *yaml.Node) error {
	// One set of handlers serves every entry (a map of closures per entry
	// was a good part of reading 10k principals): they fill in p.
	var (
		p       Principal
		what    string
		hasIter bool
	)
	handlers := map[string]func(k, v *yaml.Node) error{
		"auth":      func(_, v *yaml.Node) error { return l.str(file, v, what+": auth", &p.Auth) },
		"team":      func(_, v *yaml.Node) error { return l.str(file, v, what+": team", &p.Team) },
		"dn":        func(_, v *yaml.Node) error { return l.str(file, v, what+": dn", &p.DN) },
		"superuser": func(_, v *yaml.Node) error { return l.boolean(file, v, what+": superuser", &p.Superuser) },
		"iterations": func(_, v *yaml.Node) error {
			hasIter = true
			return l.integer(file, v, what+": iterations", &p.Iterations)
		},
		"description": func(_, v *yaml.Node) error { var s string; return l.str(file, v, what+": description", &s) },
		"labels":      func(_, v *yaml.Node) error { return l.labels(file, v, what+": labels", &p.Labels) },
		"quotas": func(_, v *yaml.Node) error {
			return l.quota(file, v, what+": quotas", QuotaEntity{Type: QuotaUser, Name: p.Name})
		},
	}
	l.principals = grown(l.principals, len(n.Content)/2)
	return l.namedEntries(file, n, "principals", "name", "principal names", func(k, v *yaml.Node) error {
		name := k.Value
		if err := l.newName(file, k, "principal", validPrincipalName, l.principals[name].Source); err != nil {
			return err
		}
		p, what, hasIter = Principal{Name: name, Source: src(file, k)}, "principal "+strconv.Quote(name), false
		if err := l.mapping(file, v, what, handlers); err != nil {
			return err
		}
		switch {
		case p.Auth == "":
			return l.errf(file, k, "%s: auth is required (one of %s)", what, strings.Join(validAuth, ", "))
		case !slices.Contains(validAuth, p.Auth):
			return l.errf(file, k, "%s: unknown auth %q (want one of %s)", what, p.Auth, strings.Join(validAuth, ", "))
		case p.IsSCRAM() && p.DN != "":
			return l.errf(file, k, "%s: dn is an mtls setting, but auth is %s (remove dn or use auth: mtls)", what, p.Auth)
		case !p.IsSCRAM() && hasIter:
			return l.errf(file, k, "%s: iterations is a SCRAM setting, but auth is %s (remove iterations or use a scram-sha-* auth)", what, p.Auth)
		case hasIter && (p.Iterations < 4096 || p.Iterations > 16384):
			return l.errf(file, k, "%s: iterations %d out of range (Kafka accepts 4096 to 16384)", what, p.Iterations)
		case p.DN != "" && p.Auth != AuthMTLS:
			return l.errf(file, k, "%s: dn is an mtls setting, but auth is %s", what, p.Auth)
		}
		l.principals[name] = p
		return nil
	})
}

// grown is m, or when it is empty a map with room for n entries (a block's
// size, so the map of 50k topics is not rehashed as it fills).
func grown[V any](m map[string]V, n int) map[string]V {
	if len(m) > 0 {
		return m
	}
	return make(map[string]V, n)
}

// newName checks the name k of a new principal or topic (kind): valid says
// why it is not a valid name, and firstAt where it was declared before (""
// when it was not: every declared entry has its source).
func (l *loader) newName(file string, k *yaml.Node, kind string, valid func(string) error, firstAt string) error {
	if err := valid(k.Value); err != nil {
		return l.errf(file, k, "%s %q: %v", kind, k.Value, err)
	}
	if firstAt != "" {
		return l.errf(file, k, "%s %q declared twice (first at %s)", kind, k.Value, firstAt)
	}
	return nil
}

func (l *loader) topicsBlock(file string, n *yaml.Node) error {
	var t Topic // the entry the handlers fill in, and its name for errors
	var what string
	handlers := map[string]func(k, v *yaml.Node) error{
		"team":           func(_, v *yaml.Node) error { return l.str(file, v, what+": team", &t.Team) },
		"classification": func(_, v *yaml.Node) error { return l.str(file, v, what+": classification", &t.Classification) },
		"description":    func(_, v *yaml.Node) error { return l.str(file, v, what+": description", &t.Description) },
		"labels":         func(_, v *yaml.Node) error { return l.labels(file, v, what+": labels", &t.Labels) },
	}
	l.topics = grown(l.topics, len(n.Content)/2)
	return l.namedEntries(file, n, "topics", "topic name", "topic names", func(k, v *yaml.Node) error {
		name := k.Value
		if name == acl.Wildcard {
			return l.errf(file, k, "topic \"*\": declare topics by name or prefix (\"orders.*\"), not all at once")
		}
		if err := l.newName(file, k, "topic", ValidTopicPattern, l.topics[name].Source); err != nil {
			return err
		}
		t, what = Topic{Name: name, Source: src(file, k)}, "topic "+strconv.Quote(name)
		if !(v.Kind == yaml.ScalarNode && v.Tag == "!!null") {
			if err := l.mapping(file, v, what, handlers); err != nil {
				return err
			}
		}
		if t.Classification != "" && !slices.Contains(Classifications, t.Classification) {
			return l.errf(file, k, "%s: unknown classification %q (want one of %s)", what, t.Classification, strings.Join(Classifications, ", "))
		}
		l.topics[name] = t
		return nil
	})
}

func (l *loader) waiversBlock(file string, n *yaml.Node) error {
	return l.listEntries(file, n, "waivers", func(wn *yaml.Node) error {
		w := Waiver{Source: src(file, wn)}
		err := l.mapping(file, wn, "waiver", map[string]func(k, v *yaml.Node) error{
			"rule":        func(_, v *yaml.Node) error { return l.str(file, v, "waiver: rule", &w.Rule) },
			"principal":   func(_, v *yaml.Node) error { return l.str(file, v, "waiver: principal", &w.Principal) },
			"topic":       func(_, v *yaml.Node) error { return l.str(file, v, "waiver: topic", &w.Topic) },
			"reason":      func(_, v *yaml.Node) error { return l.str(file, v, "waiver: reason", &w.Reason) },
			"approved_by": func(_, v *yaml.Node) error { return l.str(file, v, "waiver: approved_by", &w.ApprovedBy) },
			"expires":     func(_, v *yaml.Node) error { return l.date(file, v, "waiver: expires", &w.Expires) },
		})
		if err != nil {
			return err
		}
		switch {
		case w.Rule == "":
			return l.errf(file, wn, "waiver: rule is required (the guardrail's ID, e.g. KG602, or its check name)")
		case !ruleRE.MatchString(w.Rule):
			return l.errf(file, wn, "waiver: rule %q is not a rule ID (KG602) or check name", w.Rule)
		case w.Principal == "" && w.Topic == "":
			return l.errf(file, wn, "waiver: give the principal (or topic) it is for")
		case w.Principal != "" && w.Topic != "":
			return l.errf(file, wn, "waiver: principal and topic are exclusive (one waiver per subject)")
		case strings.TrimSpace(w.Reason) == "":
			return l.errf(file, wn, "waiver: reason is required")
		case w.Expires == "":
			return l.errf(file, wn, "waiver: expires is required (YYYY-MM-DD): a waiver is temporary")
		}
		if w.Topic != "" {
			if err := ValidTopicPattern(w.Topic); err != nil {
				return l.errf(file, wn, "waiver: topic: %v", err)
			}
		}
		l.inv.Waivers = append(l.inv.Waivers, w)
		return nil
	})
}

var ruleRE = regexp.MustCompile(`^(KG[0-9]{3}|[A-Za-z][A-Za-z0-9_.-]*)$`)

func (l *loader) managed(file string, n *yaml.Node) error {
	var ps []string
	err := l.mapping(file, n, "managed", map[string]func(k, v *yaml.Node) error{
		"principals": func(_, v *yaml.Node) error { return l.strList(file, v, "managed.principals", &ps) },
	})
	if err != nil {
		return err
	}
	if _, err := acl.NewScope(ps...); err != nil {
		return l.errf(file, n, "managed.principals: %v", err)
	}
	if l.inv.Managed.Source == "" {
		l.inv.Managed.Source = src(file, n)
	}
	l.inv.Managed.Principals = append(l.inv.Managed.Principals, ps...)
	return nil
}
