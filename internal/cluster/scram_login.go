package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
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

// LoginSCRAM logs in to cfg's cluster as cfg's SCRAM user (cfg.WithUser)
// with a real SCRAM handshake, client side by xdg-go/scram, and issues one
// Metadata request. nil means the credentials work. Errors never contain the
// password; a refused login wraps ErrLoginRejected, a listener without the
// mechanism ErrSCRAMNotEnabled.
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
	mech := &xdgMechanism{name: cfg.SASLMechanism, hg: hg, user: cfg.Username, pass: cfg.password}
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
	_, err = req.RequestWith(rctx, cl)
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
	return &xdgSession{conv: conv}, []byte(first), nil
}

type xdgSession struct{ conv *xscram.ClientConversation }

func (s *xdgSession) Challenge(in []byte) (bool, []byte, error) {
	out, err := s.conv.Step(string(in))
	if err != nil {
		return false, nil, fmt.Errorf("scram: %w", err)
	}
	if s.conv.Done() {
		if !s.conv.Valid() {
			return false, nil, errors.New("scram: the server's signature does not match")
		}
		return true, nil, nil
	}
	return false, []byte(out), nil
}
