package audit

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"time"
)

// DialProber probes brokers with crypto/tls. It presents the client
// certificate of Base (brokers with ssl.client.auth=required need one) but
// verifies nothing itself: CheckBrokerTLS does, so each problem becomes its
// own finding. It accepts TLS 1.0 and up, so an old protocol is reported
// rather than refused.
type DialProber struct {
	Base    *tls.Config // the connection's TLS settings; nil = none
	Timeout time.Duration
}

// ProbeTLS performs one handshake with addr.
func (p DialProber) ProbeTLS(ctx context.Context, addr string) (TLSProbe, error) {
	timeout := p.Timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	var cfg *tls.Config
	if p.Base != nil {
		cfg = p.Base.Clone()
	} else {
		cfg = &tls.Config{}
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return TLSProbe{}, fmt.Errorf("broker address %q: %w", addr, err)
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	cfg.InsecureSkipVerify = true //nolint:gosec // verified by CheckBrokerTLS against the CA
	cfg.VerifyPeerCertificate = nil
	cfg.VerifyConnection = nil
	cfg.MinVersion = tls.VersionTLS10
	cfg.MaxVersion = 0
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: timeout}, Config: cfg}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return TLSProbe{}, err
	}
	defer conn.Close()
	st := conn.(*tls.Conn).ConnectionState()
	return TLSProbe{Addr: addr, Version: st.Version, Chain: st.PeerCertificates}, nil
}
