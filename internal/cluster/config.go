// Package cluster is kafkaguard's only door to a Kafka cluster: it reads Kafka
// client properties files, connects with franz-go, and reads and changes ACLs.
// It is the only package that imports kgo and kadm (besides tests and the dev
// cluster), so everything above it works on acl values and small interfaces.
package cluster

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// Security protocols, as in Kafka's security.protocol.
const (
	ProtocolPlaintext     = "PLAINTEXT"
	ProtocolSSL           = "SSL"
	ProtocolSASLPlaintext = "SASL_PLAINTEXT"
	ProtocolSASLSSL       = "SASL_SSL"
)

// SASL mechanisms kafkaguard speaks.
const (
	MechanismPlain       = "PLAIN"
	MechanismSCRAMSHA256 = "SCRAM-SHA-256"
	MechanismSCRAMSHA512 = "SCRAM-SHA-512"
)

// DefaultTimeout bounds Dial and each request when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Config is how to reach and log in to a cluster. The password is kept
// unexported and never printed: String and GoString redact it.
type Config struct {
	// Warnings are about keys of the properties file a client ignores
	// while one it reads was meant (a misspelling, a byte order mark).
	Warnings []string

	Bootstrap        []string
	SecurityProtocol string
	SASLMechanism    string
	Username         string
	TLS              *tls.Config // nil for PLAINTEXT and SASL_PLAINTEXT
	Source           string      // the properties file, "" when none
	Timeout          time.Duration

	// ClientCert is the leaf of the mTLS client certificate, if any.
	ClientCert *x509.Certificate
	// CertPrincipal maps ClientCert to the Kafka principal the brokers see
	// (the CLI sets pki.PrincipalFromCert with the inventory's
	// ssl.principal.mapping.rules); when nil, Client.Principal is "" for mTLS.
	CertPrincipal func(*x509.Certificate) (string, error)

	password string
}

// String describes the configuration without its secret.
func (c Config) String() string {
	s := fmt.Sprintf("bootstrap=%s protocol=%s", strings.Join(c.Bootstrap, ","), c.SecurityProtocol)
	if c.SASLMechanism != "" {
		s += fmt.Sprintf(" sasl=%s user=%s password=[redacted]", c.SASLMechanism, c.Username)
	}
	if c.ClientCert != nil {
		s += " client-cert=" + c.ClientCert.Subject.String()
	}
	if c.Source != "" {
		s += " from " + c.Source
	}
	return s
}

// GoString redacts the password for %#v too.
func (c Config) GoString() string { return "cluster.Config{" + c.String() + "}" }

// Password returns the SASL password, for code that must log in with it (the
// dev cluster reusing its admin password). Never print or log it.
func (c *Config) Password() string { return c.password }

// HasPassword reports whether a SASL password is configured.
func (c *Config) HasPassword() bool { return c.password != "" }

// WithUser returns a copy of c that logs in as another SASL user with the same
// bootstrap servers and TLS settings (the SCRAM audit logs in as each user).
func (c *Config) WithUser(mechanism, username, password string) *Config {
	n := *c
	n.SASLMechanism = mechanism
	n.Username = username
	n.password = password
	switch c.SecurityProtocol {
	case ProtocolSSL:
		n.SecurityProtocol = ProtocolSASLSSL
	case ProtocolPlaintext:
		n.SecurityProtocol = ProtocolSASLPlaintext
	}
	return &n
}

// NewConfig builds a configuration in code (tests, the dev cluster).
func NewConfig(bootstrap []string, protocol, mechanism, username, password string, tlsCfg *tls.Config) *Config {
	return &Config{Bootstrap: bootstrap, SecurityProtocol: protocol, SASLMechanism: mechanism, Username: username, password: password, TLS: tlsCfg}
}

// LoadConfig reads a Kafka client properties file (Java or librdkafka
// spellings) and combines it with bootstrap, which overrides the file's
// bootstrap.servers. Either may be empty, not both.
func LoadConfig(bootstrap string, propertiesPath string) (*Config, error) {
	props := map[string]property{}
	if propertiesPath != "" {
		f, err := os.Open(propertiesPath)
		if err != nil {
			return nil, fmt.Errorf("read command config: %w", err)
		}
		defer f.Close()
		props, err = parseProperties(f, propertiesPath)
		if err != nil {
			return nil, err
		}
	}
	l := &loader{props: props, source: propertiesPath}
	cfg, err := l.load(bootstrap)
	if err != nil {
		return nil, err
	}
	cfg.Warnings = keyWarnings(props, propertiesPath)
	return cfg, nil
}

type loader struct {
	props  map[string]property
	source string
}

func (l *loader) get(keys ...string) (string, string, bool) {
	for _, k := range keys {
		if p, ok := l.props[k]; ok {
			return strings.TrimSpace(p.value), k, true
		}
	}
	return "", "", false
}

func (l *loader) raw(key string) (string, bool) {
	p, ok := l.props[key]
	return p.value, ok
}

// errorf names the file and line of key.
func (l *loader) errorf(key, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if p, ok := l.props[key]; ok && l.source != "" {
		return fmt.Errorf("%s:%d: %s: %s", l.source, p.line, key, msg)
	}
	if l.source != "" {
		return fmt.Errorf("%s: %s", l.source, msg)
	}
	return errors.New(msg)
}

func (l *loader) load(bootstrap string) (*Config, error) {
	cfg := &Config{Source: l.source}
	if bootstrap == "" {
		bootstrap, _, _ = l.get("bootstrap.servers", "metadata.broker.list")
	}
	for _, s := range strings.Split(bootstrap, ",") {
		if s = strings.TrimSpace(s); s != "" {
			cfg.Bootstrap = append(cfg.Bootstrap, s)
		}
	}
	if len(cfg.Bootstrap) == 0 {
		return nil, ErrNoBootstrap
	}
	proto, key, _ := l.get("security.protocol")
	if proto == "" {
		proto = ProtocolPlaintext
	}
	cfg.SecurityProtocol = strings.ToUpper(proto)
	switch cfg.SecurityProtocol {
	case ProtocolPlaintext, ProtocolSSL, ProtocolSASLPlaintext, ProtocolSASLSSL:
	default:
		return nil, l.errorf(key, "unknown security protocol %q (want PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL)", proto)
	}
	if strings.HasPrefix(cfg.SecurityProtocol, "SASL_") {
		if err := l.loadSASL(cfg); err != nil {
			return nil, err
		}
	}
	if strings.HasSuffix(cfg.SecurityProtocol, "SSL") {
		if err := l.loadTLS(cfg); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

func (l *loader) loadSASL(cfg *Config) error {
	mech, key, _ := l.get("sasl.mechanism", "sasl.mechanisms")
	if mech == "" {
		mech = "GSSAPI" // Java's default
	}
	cfg.SASLMechanism = strings.ToUpper(mech)
	switch cfg.SASLMechanism {
	case MechanismPlain, MechanismSCRAMSHA256, MechanismSCRAMSHA512:
	default:
		return l.errorf(key, "unsupported SASL mechanism %q (want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)", mech)
	}
	if jaas, ok := l.raw("sasl.jaas.config"); ok {
		opts, err := parseJAAS(jaas)
		if err != nil {
			return l.errorf("sasl.jaas.config", "%v", err)
		}
		cfg.Username, cfg.password = opts["username"], opts["password"]
	}
	if u, ok := l.raw("sasl.username"); ok {
		cfg.Username = u
	}
	if p, ok := l.raw("sasl.password"); ok {
		cfg.password = p
	}
	if cfg.Username == "" {
		return l.errorf("", "SASL needs a username: set sasl.jaas.config (username=\"...\" password=\"...\";) or sasl.username")
	}
	if cfg.password == "" {
		return l.errorf("", "SASL user %s has no password: set it in sasl.jaas.config or sasl.password", cfg.Username)
	}
	return nil
}

// parseJAAS reads the options of a JAAS login module line:
// `org...ScramLoginModule required username="alice" password="s3cret";`.
// Error messages never include values.
func parseJAAS(s string) (map[string]string, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, ";")
	fields := strings.Fields(s)
	if len(fields) < 2 {
		return nil, errors.New("want `<LoginModule> required username=\"...\" password=\"...\";`")
	}
	// Skip the module class and the control flag.
	rest := s
	for range 2 {
		rest = strings.TrimLeft(rest, " \t\r\n")
		i := strings.IndexAny(rest, " \t\r\n")
		if i < 0 {
			rest = ""
			break
		}
		rest = rest[i:]
	}
	out := map[string]string{}
	for {
		rest = strings.TrimLeft(rest, " \t\r\n")
		if rest == "" {
			break
		}
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			return nil, fmt.Errorf("malformed option near %q", firstWord(rest))
		}
		name := strings.TrimSpace(rest[:eq])
		rest = strings.TrimLeft(rest[eq+1:], " \t")
		var val string
		if strings.HasPrefix(rest, `"`) {
			var b strings.Builder
			i := 1
			closed := false
			for ; i < len(rest); i++ {
				if rest[i] == '\\' && i+1 < len(rest) {
					i++
					b.WriteByte(rest[i])
					continue
				}
				if rest[i] == '"' {
					closed = true
					break
				}
				b.WriteByte(rest[i])
			}
			if !closed {
				return nil, fmt.Errorf("option %s: unterminated quoted value", name)
			}
			val, rest = b.String(), rest[i+1:]
		} else {
			i := strings.IndexAny(rest, " \t\r\n")
			if i < 0 {
				i = len(rest)
			}
			val, rest = rest[:i], rest[i:]
		}
		out[name] = val
	}
	return out, nil
}

func firstWord(s string) string {
	if i := strings.IndexAny(s, " \t=\""); i > 0 {
		return s[:i]
	}
	if len(s) > 20 {
		return s[:20]
	}
	return s
}
