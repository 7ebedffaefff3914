package devcluster

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Kafka API keys the compatibility layer handles.
const (
	keyMetadata          int16 = 3
	keySASLHandshake     int16 = 17
	keyApiVersions       int16 = 18
	keySASLAuthenticate  int16 = 36
	keyDescribeUserSCRAM int16 = 50
	keyAlterUserSCRAM    int16 = 51
)

// CompatOptions configure the compatibility layer.
type CompatOptions struct {
	// TLS, when set, is the server side of every client connection.
	TLS *tls.Config
	// Mechanisms are the SASL mechanisms listed in SaslHandshake answers.
	Mechanisms []string
	// Auth, when set, makes the layer authenticate clients itself (SCRAM
	// and mTLS) and log in to kfake on their behalf; nil leaves SASL to
	// kfake, with only the ApiVersions and SaslHandshake answers fixed.
	Auth *Authenticator
	// HandshakeTimeout bounds the TLS handshake and authentication of a
	// connection; DefaultHandshakeTimeout when zero.
	HandshakeTimeout time.Duration
	// Logf, when set, receives one line per refused connection.
	Logf func(format string, args ...any)
}

// NewCompatListener returns a listener for kfake's ListenFn option: the
// layer between clients and kfake that makes the dev cluster behave like an
// Apache Kafka broker. Each accepted connection is a proxy session:
//
//   - TLS (opts.TLS) is terminated here, so kfake is started without its
//     TLS option; a client certificate is verified here;
//   - frames are size-checked before kfake sees them: over MaxPreAuthFrame
//     before authentication, or over MaxFrame at any time, the connection is
//     closed, as Kafka does, and kfake never allocates for it; the TLS
//     handshake and authentication must finish within HandshakeTimeout;
//   - with opts.Auth, SASL/SCRAM and mTLS are answered by the layer (see
//     Authenticator), which then logs in to kfake as the same principal;
//   - ApiVersions answers advertise SaslHandshake from v0 (librdkafka needs
//     it) and SaslHandshake answers list the mechanisms (KafkaJS needs it).
//
// Garbage never reaches kfake: a connection is handed to kfake only when
// the layer forwards its first request. Every forwarded request and every
// response not listed above passes byte for byte. Addr is inner's address,
// which kfake advertises in metadata, so clients always come back here.
func NewCompatListener(inner net.Listener, opts CompatOptions) net.Listener {
	if opts.HandshakeTimeout <= 0 {
		opts.HandshakeTimeout = DefaultHandshakeTimeout
	}
	opts.Mechanisms = slices.Clone(opts.Mechanisms)
	l := &compatListener{inner: inner, opts: opts, conns: make(chan net.Conn), done: make(chan struct{})}
	if opts.Auth != nil {
		opts.Auth.attach(l)
	}
	go l.acceptLoop()
	return l
}

// CompatListenFn returns a function for kfake.ListenFn that listens with
// net.Listen and wraps the listener with NewCompatListener.
func CompatListenFn(opts CompatOptions) func(network, address string) (net.Listener, error) {
	return func(network, address string) (net.Listener, error) {
		ln, err := net.Listen(network, address)
		if err != nil {
			return nil, err
		}
		return NewCompatListener(ln, opts), nil
	}
}

type compatListener struct {
	inner     net.Listener
	opts      CompatOptions
	conns     chan net.Conn // kfake's ends of the sessions' pipes
	done      chan struct{}
	closeOnce sync.Once
}

func (l *compatListener) acceptLoop() {
	for {
		c, err := l.inner.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			_ = l.Close()
			return
		}
		go l.serve(c)
	}
}

func (l *compatListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *compatListener) Close() error {
	var err error
	l.closeOnce.Do(func() {
		close(l.done)
		err = l.inner.Close()
	})
	return err
}

func (l *compatListener) Addr() net.Addr { return l.inner.Addr() }

func (l *compatListener) logf(format string, args ...any) {
	if l.opts.Logf != nil {
		l.opts.Logf(format, args...)
	}
}

// kfakeConn is kfake's end of a session's pipe. It reports the client's
// address, which kfake matches against ACL hosts.
type kfakeConn struct {
	net.Conn
	remote net.Addr
}

func (c kfakeConn) RemoteAddr() net.Addr { return c.remote }

// dial hands kfake a new connection from remote and returns the layer's end.
func (l *compatListener) dial(ctx context.Context, remote net.Addr) (net.Conn, error) {
	ours, theirs := net.Pipe()
	select {
	case l.conns <- kfakeConn{theirs, remote}:
		return ours, nil
	case <-l.done:
	case <-ctx.Done():
	}
	ours.Close()
	theirs.Close()
	return nil, net.ErrClosed
}

// errClosed ends a session quietly: the client went away, or the layer
// closed the connection as a broker would and has nothing more to say.
var errClosed = errors.New("connection closed")

// session is one client connection and, once the layer forwards something,
// its connection to kfake.
type session struct {
	l      *compatListener
	raw    net.Conn
	client net.Conn // raw, or TLS over raw
	cr     *bufio.Reader
	cert   *x509.Certificate // the verified client certificate, if any

	kf  net.Conn // nil until the first forwarded request
	kfr *bufio.Reader

	mu      sync.Mutex
	pending map[int32][]noted // forwarded requests whose answers the layer rewrites

	buf       []byte // copy buffer, client → kfake
	closeOnce sync.Once

	login *kfakeLogin // whom the layer logged in to kfake as, with Auth
}

// kfakeLogin is a session's identity toward kfake.
type kfakeLogin struct {
	mechanism, user string
	cred            scramCred
}

// noted is a forwarded request whose response may need a rewrite.
type noted struct {
	key, version int16
	req          kmsg.Request // decoded, for the requests the rewrite needs
}

func (l *compatListener) serve(raw net.Conn) {
	s := &session{l: l, raw: raw, client: raw, pending: make(map[int32][]noted)}
	defer s.close()
	_ = raw.SetDeadline(time.Now().Add(l.opts.HandshakeTimeout))
	if l.opts.TLS != nil {
		tc := tls.Server(raw, l.opts.TLS)
		if err := tc.Handshake(); err != nil {
			l.logf("dev cluster: refused a connection from %s: TLS handshake: %v", raw.RemoteAddr(), err)
			return
		}
		if chains := tc.ConnectionState().VerifiedChains; len(chains) > 0 && len(chains[0]) > 0 {
			s.cert = chains[0][0]
		}
		s.client = tc
	}
	s.cr = bufio.NewReaderSize(s.client, 16<<10)
	var first []byte
	if l.opts.Auth != nil {
		var err error
		if first, err = s.authenticate(); err != nil {
			if !errors.Is(err, errClosed) && !errors.Is(err, io.EOF) {
				l.logf("dev cluster: closed a connection from %s: %v", raw.RemoteAddr(), err)
			}
			return
		}
	}
	_ = raw.SetDeadline(time.Time{})
	if err := s.connectKfake(); err != nil {
		return
	}
	answered := make(chan struct{})
	go func() {
		defer close(answered)
		defer s.close()
		_ = s.responses()
	}()
	if err := s.requests(first); err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, errClosed) {
		l.logf("dev cluster: closed a connection from %s: %v", raw.RemoteAddr(), err)
	}
	s.close()
	<-answered
}

func (s *session) close() {
	s.closeOnce.Do(func() {
		s.client.Close()
		s.raw.Close()
		if s.kf != nil {
			s.kf.Close()
		}
	})
}

func (s *session) connectKfake() error {
	if s.kf != nil {
		return nil
	}
	kf, err := s.l.dial(context.Background(), s.raw.RemoteAddr())
	if err != nil {
		return err
	}
	s.kf, s.kfr = kf, bufio.NewReaderSize(kf, 16<<10)
	return nil
}
