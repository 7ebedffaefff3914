package cluster

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl"
	xscram "github.com/xdg-go/scram"
)

// Login outcomes LoginSCRAM reports with errors.Is.
var (
	// ErrLoginRejected: the broker refused the credentials (wrong password,
	// unknown user, or a credential it cannot use).
	ErrLoginRejected = errors.New("login rejected")
	// ErrSCRAMNotEnabled: the listener does not offer the SCRAM mechanism.
	ErrSCRAMNotEnabled = errors.New("the cluster does not enable this SCRAM mechanism on the listener")
)

// LoginSessions is shared by the logins of one verification run (cfg from
// LoginSessions.Config): they keep the TLS sessions brokers hand out, so that
// logins to a broker after the first resume a session (RFC 8446 PSK
// resumption with TLS 1.3, RFC 5077 session tickets with TLS 1.2) instead of
// doing a full handshake, and they count both. Resumption saves the
// certificate exchange and its signature and verification on both sides,
// and a round trip with TLS 1.2; it needs nothing of the broker beyond what
// Java's TLS stack and Go's do by default. Go's client still checks a
// resumed session's chain against the roots and the host name; the audit's
// broker-tls check does full handshakes of its own.
type LoginSessions struct {
	cache      *ticketPool
	handshakes atomic.Int64
	resumed    atomic.Int64
}

// NewLoginSessions returns an empty session cache for one run of logins.
func NewLoginSessions() *LoginSessions {
	return &LoginSessions{cache: &ticketPool{byKey: map[string][]*tls.ClientSessionState{}}}
}

// ticketsPerBroker bounds the sessions kept per broker: more than any login
// pool runs at once.
const ticketsPerBroker = 256

// ticketPool is a tls.ClientSessionCache that keeps several sessions per
// broker (Go keys them by server name). While it holds more than one, a
// login takes one for itself: RFC 8446 (C.4) says a client should not use a
// TLS 1.3 ticket twice, and a broker may accept each once. It shares the
// last one: a TLS 1.2 session the broker does not renew on resumption
// stays usable. Every login puts back the ticket its handshake brought, so
// concurrent logins keep the pool as full as they are many.
type ticketPool struct {
	mu    sync.Mutex
	byKey map[string][]*tls.ClientSessionState
}

func (p *ticketPool) Get(key string) (*tls.ClientSessionState, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.byKey[key]
	if len(s) == 0 {
		return nil, false
	}
	last := s[len(s)-1]
	if len(s) > 1 {
		s[len(s)-1] = nil
		p.byKey[key] = s[:len(s)-1]
	}
	return last, true
}

// Put adds a session; nil (a resumption that failed, an expired ticket)
// drops the broker's sessions: the others are likely stale too.
func (p *ticketPool) Put(key string, cs *tls.ClientSessionState) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if cs == nil {
		delete(p.byKey, key)
		return
	}
	s := append(p.byKey[key], cs)
	if len(s) > ticketsPerBroker {
		s = s[len(s)-ticketsPerBroker:]
	}
	p.byKey[key] = s
}

// Config returns a copy of cfg whose logins (LoginSCRAM, also after
// WithUser) share s. Without TLS nothing is shared.
func (s *LoginSessions) Config(cfg *Config) *Config {
	n := *cfg
	if cfg.TLS != nil {
		n.TLS = cfg.TLS.Clone()
		n.TLS.ClientSessionCache = s.cache
		// VerifyConnection runs in every handshake, a resumed one too,
		// before the connection is used: the count is exact.
		next := cfg.TLS.VerifyConnection
		n.TLS.VerifyConnection = func(cs tls.ConnectionState) error {
			s.handshakes.Add(1)
			if cs.DidResume {
				s.resumed.Add(1)
			}
			if next != nil {
				return next(cs)
			}
			return nil
		}
	}
	return &n
}

// Stats returns how many TLS handshakes the logins made and how many of
// them resumed a session.
func (s *LoginSessions) Stats() (handshakes, resumed int) {
	return int(s.handshakes.Load()), int(s.resumed.Load())
}

// LoginSCRAM logs in to cfg's cluster as cfg's SCRAM user (cfg.WithUser)
// with a real SCRAM handshake, client side by xdg-go/scram, on a connection
// of its own that it closes afterwards. nil means the credentials work: the
// broker accepted the client's proof and answered with a server signature
// that proves it holds the user's credential (RFC 5802's server-final
// message); the Metadata request that makes the client connect is not
// waited for. Errors never contain the password; a refused login wraps
// ErrLoginRejected, a listener without the mechanism ErrSCRAMNotEnabled.
func LoginSCRAM(ctx context.Context, cfg *Config) error {
	var hg xscram.HashGeneratorFcn
	switch cfg.SASLMechanism {
	case MechanismSCRAMSHA256:
		hg = xscram.SHA256
	case MechanismSCRAMSHA512:
		hg = xscram.SHA512
	default:
		return fmt.Errorf("login as %s: %q is not a SCRAM mechanism", cfg.Username, cfg.SASLMechanism)
	}
	bare := *cfg
	bare.SASLMechanism, bare.password = "", ""
	opts, err := NewClientOpts(&bare)
	if err != nil {
		return err
	}
	hook := &connectHook{}
	mech := &xdgMechanism{name: cfg.SASLMechanism, hg: hg, user: cfg.Username, pass: cfg.password, verified: make(chan struct{})}
	opts = append(opts,
		kgo.SASL(mech),
		kgo.WithHooks(hook),
		kgo.RequestRetries(1),
	)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return fmt.Errorf("login as %s: %w", cfg.Username, err)
	}
	defer cl.Close()
	timeout := cfg.EffectiveTimeout()
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req := kmsg.NewPtrMetadataRequest()
	req.Topics = []kmsg.MetadataRequestTopic{}
	answered := make(chan error, 1)
	go func() {
		_, err := req.RequestWith(rctx, cl)
		answered <- err
	}()
	select {
	case <-mech.verified:
		return nil
	case err = <-answered:
	}
	if err == nil {
		return nil
	}
	addr, connErr := hook.last()
	if addr == "" {
		addr = strings.Join(cfg.Bootstrap, ",")
	}
	if connErr != nil && (errors.Is(err, context.DeadlineExceeded) || isNetErr(err)) {
		err = connErr
	}
	switch {
	case errors.Is(err, kerr.SaslAuthenticationFailed):
		return fmt.Errorf("login as %s with %s at %s: %w: %w", cfg.Username, cfg.SASLMechanism, addr, ErrLoginRejected, err)
	case mech.started.Load() && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)):
		// Some brokers (kfake) close the connection on a failed SCRAM
		// exchange instead of answering SASL_AUTHENTICATION_FAILED.
		return fmt.Errorf("login as %s with %s at %s: %w (the broker closed the connection during the SCRAM exchange): %w", cfg.Username, cfg.SASLMechanism, addr, ErrLoginRejected, err)
	case errors.Is(err, kerr.UnsupportedSaslMechanism), errors.Is(err, kerr.IllegalSaslState),
		strings.Contains(err.Error(), "SASL") && !errors.As(err, new(*net.OpError)):
		return fmt.Errorf("login as %s with %s at %s: %w: %w", cfg.Username, cfg.SASLMechanism, addr, ErrSCRAMNotEnabled, err)
	}
	c := &Client{cfg: cfg, hook: hook}
	return fmt.Errorf("login as %s: %w", cfg.Username, c.explain(err))
}

// xdgMechanism is a franz-go SASL mechanism whose SCRAM conversation is
// xdg-go/scram's client. The password is used as Kafka's clients use it:
// its UTF-8 bytes, without SASLprep.
type xdgMechanism struct {
	started    atomic.Bool // a SCRAM exchange began (client-first sent)
	name       string
	hg         xscram.HashGeneratorFcn
	user, pass string
	// verified is closed once the broker's server-final message carried
	// a valid signature: the login succeeded.
	verified     chan struct{}
	verifiedOnce sync.Once
}

func (m *xdgMechanism) Name() string { return m.name }

func (m *xdgMechanism) Authenticate(context.Context, string) (sasl.Session, []byte, error) {
	cl, err := m.hg.NewClientUnprepped(m.user, m.pass, "")
	if err != nil {
		return nil, nil, fmt.Errorf("scram client for %s: %w", m.user, err)
	}
	conv := cl.NewConversation()
	first, err := conv.Step("")
	if err != nil {
		return nil, nil, fmt.Errorf("scram client-first for %s: %w", m.user, err)
	}
	m.started.Store(true)
	return &xdgSession{conv: conv, mech: m}, []byte(first), nil
}

type xdgSession struct {
	conv           *xscram.ClientConversation
	mech           *xdgMechanism
	sawServerFirst bool
}

// maxServerIterations bounds the iteration count a broker's server-first
// message may ask the client to derive its key with: xdg-go/scram has a
// minimum but no maximum, and a hostile broker asking for 2^31-1 would keep
// each login busy for minutes. Kafka stores at most 16384 (ScramMechanism's
// maxIterations, enforced by AlterUserScramCredentials); the limit is
// franz-go's, which kafkaguard's admin connection already logs in under,
// so a server that allows more than Kafka still works with both.
const maxServerIterations = 1 << 20

// serverIterations is the i= attribute of a SCRAM server-first message
// (RFC 5802: nonce, salt, iteration count, extensions); false when there is
// none or it is not a number, which xdg-go/scram refuses itself (a number
// too large for an int is the largest int).
func serverIterations(msg string) (int, bool) {
	for _, attr := range strings.Split(msg, ",") {
		if v, ok := strings.CutPrefix(attr, "i="); ok {
			n, err := strconv.Atoi(v)
			return n, err == nil || errors.Is(err, strconv.ErrRange)
		}
	}
	return 0, false
}

func (s *xdgSession) Challenge(in []byte) (bool, []byte, error) {
	if !s.sawServerFirst {
		s.sawServerFirst = true
		if n, ok := serverIterations(string(in)); ok && n > maxServerIterations {
			return false, nil, fmt.Errorf("scram: the broker asked for %d iterations, over the limit of %d (Kafka stores at most 16384)", n, maxServerIterations)
		}
	}
	out, err := s.conv.Step(string(in))
	if err != nil {
		return false, nil, fmt.Errorf("scram: %w", err)
	}
	if s.conv.Done() {
		if !s.conv.Valid() {
			return false, nil, errors.New("scram: the server's signature does not match")
		}
		if s.mech.verified != nil {
			s.mech.verifiedOnce.Do(func() { close(s.mech.verified) })
		}
		return true, nil, nil
	}
	return false, []byte(out), nil
}
