package devcluster

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kerr"
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

// Frame limits, as Apache Kafka's broker defaults.
const (
	// MaxPreAuthFrame is sasl.server.max.receive.size: the largest frame a
	// client may send before it has authenticated.
	MaxPreAuthFrame = 512 * 1024
	// MaxFrame is socket.request.max.bytes: the largest request frame.
	MaxFrame = 100 * 1024 * 1024
	// DefaultHandshakeTimeout bounds the TLS handshake and the SASL
	// exchange of one connection: a client that has not authenticated by
	// then is disconnected.
	DefaultHandshakeTimeout = 10 * time.Second
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

// frameTooLargeError is a frame over the limit; Kafka closes the
// connection (InvalidReceiveException).
type frameTooLargeError struct {
	size  int64
	limit int
}

func (e *frameTooLargeError) Error() string {
	return fmt.Sprintf("invalid receive (size = %d larger than %d)", e.size, e.limit)
}

// readSize reads a frame's size prefix and checks it against limit.
func readSize(r io.Reader, hdr []byte, limit int) (int, error) {
	if _, err := io.ReadFull(r, hdr[:4]); err != nil {
		return 0, err
	}
	size := int64(int32(binary.BigEndian.Uint32(hdr)))
	if size < 0 || size > int64(limit) {
		return 0, &frameTooLargeError{size, limit}
	}
	return int(size), nil
}

// readFrame reads a whole frame, size prefix included, of at most limit
// bytes after the prefix.
func readFrame(r io.Reader, limit int) ([]byte, error) {
	var hdr [4]byte
	size, err := readSize(r, hdr[:], limit)
	if err != nil {
		return nil, err
	}
	frame := make([]byte, 4+size)
	copy(frame, hdr[:])
	if _, err := io.ReadFull(r, frame[4:]); err != nil {
		return nil, err
	}
	return frame, nil
}

// requestHeader is the start of a request frame: size, key, version and
// correlation id.
func requestHeader(frame []byte) (key, version int16, corr int32, ok bool) {
	if len(frame) < 12 {
		return 0, 0, 0, false
	}
	return int16(binary.BigEndian.Uint16(frame[4:])), int16(binary.BigEndian.Uint16(frame[6:])), int32(binary.BigEndian.Uint32(frame[8:])), true
}

// decodeRequest decodes a whole request frame as kfake does.
func decodeRequest(frame []byte) (kmsg.Request, int32, error) {
	if len(frame) < 12 {
		return nil, 0, errors.New("request shorter than its header")
	}
	r := kbin.Reader{Src: frame[4:]}
	key, version, corr := r.Int16(), r.Int16(), r.Int32()
	r.NullableString() // client id
	req := kmsg.RequestForKey(key)
	if req == nil {
		return nil, corr, fmt.Errorf("unknown request key %d", key)
	}
	req.SetVersion(version)
	if req.IsFlexible() {
		kmsg.SkipTags(&r)
	}
	if err := r.Complete(); err != nil {
		return nil, corr, err
	}
	if err := req.ReadFrom(r.Src); err != nil {
		return nil, corr, err
	}
	return req, corr, nil
}

// encodeResponse frames resp as the answer to corr.
func encodeResponse(resp kmsg.Response, corr int32) []byte {
	b := make([]byte, 8, 64)
	if resp.IsFlexible() && resp.Key() != keyApiVersions {
		b = append(b, 0) // empty header tagged fields; ApiVersions responses always use header v0
	}
	b = resp.AppendTo(b)
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	binary.BigEndian.PutUint32(b[4:], uint32(corr))
	return b
}

// roundTrip sends frame to kfake and returns its response frame,
// rewritten as the pass-through would.
func (s *session) roundTrip(frame []byte, n noted) ([]byte, error) {
	if err := s.connectKfake(); err != nil {
		return nil, err
	}
	if _, err := s.kf.Write(frame); err != nil {
		return nil, err
	}
	resp, err := readFrame(s.kfr, MaxFrame)
	if err != nil {
		return nil, err
	}
	return s.rewrite(n, resp), nil
}

// requests copies the client's requests to kfake, checking each frame's
// size before kfake reads it and noting the requests whose answers the
// layer rewrites. first, when set, is a request the layer already read.
func (s *session) requests(first []byte) error {
	if first != nil {
		if err := s.forward(first); err != nil {
			return err
		}
	}
	var hdr [12]byte
	s.buf = make([]byte, 32<<10)
	for {
		size, err := readSize(s.cr, hdr[:], MaxFrame)
		if err != nil {
			return err
		}
		if size < 8 { // shorter than a request header: Kafka closes the connection
			return fmt.Errorf("request of %d bytes is shorter than a request header", size)
		}
		if _, err := io.ReadFull(s.cr, hdr[4:12]); err != nil {
			return err
		}
		key := int16(binary.BigEndian.Uint16(hdr[4:]))
		if s.rewrites(key) {
			frame := make([]byte, 4+size)
			copy(frame, hdr[:])
			if _, err := io.ReadFull(s.cr, frame[12:]); err != nil {
				return err
			}
			if err := s.forward(frame); err != nil {
				return err
			}
			continue
		}
		if err := copyFrame(s.kf, s.cr, hdr[:], size-8, s.buf); err != nil {
			return err
		}
	}
}

// rewrites reports whether the answers to key pass through the layer's
// rewrite.
func (s *session) rewrites(key int16) bool {
	switch key {
	case keyApiVersions, keySASLHandshake:
		return true
	case keyDescribeUserSCRAM, keyAlterUserSCRAM:
		return s.l.opts.Auth != nil
	case keyMetadata:
		return s.l.opts.Auth != nil && s.l.opts.Auth.autoCreate
	}
	return false
}

// forward notes a whole request frame and sends it to kfake.
func (s *session) forward(frame []byte) error {
	key, version, corr, ok := requestHeader(frame)
	if ok && s.rewrites(key) {
		n := noted{key: key, version: version}
		if key == keyAlterUserSCRAM || key == keyDescribeUserSCRAM || key == keyMetadata {
			n.req, _, _ = decodeRequest(frame) // nil when malformed: kfake answers that
		}
		s.mu.Lock()
		s.pending[corr] = append(s.pending[corr], n)
		s.mu.Unlock()
	}
	_, err := s.kf.Write(frame)
	return err
}

// copyFrame writes hdr and then n bytes from src to dst, in writes of up to
// len(buf) bytes, the header sharing the first write.
func copyFrame(dst io.Writer, src io.Reader, hdr []byte, n int, buf []byte) error {
	k := copy(buf, hdr)
	for {
		m := min(n, len(buf)-k)
		if m > 0 {
			if _, err := io.ReadFull(src, buf[k:k+m]); err != nil {
				return err
			}
		}
		n -= m
		if _, err := dst.Write(buf[:k+m]); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		k = 0
	}
}

// takeRequest returns and forgets the oldest noted request with corr.
func (s *session) takeRequest(corr int32) (noted, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.pending[corr]
	if len(q) == 0 {
		return noted{}, false
	}
	if len(q) == 1 {
		delete(s.pending, corr)
	} else {
		s.pending[corr] = q[1:]
	}
	return q[0], true
}

// responses copies kfake's responses to the client, rewriting the noted
// ones.
func (s *session) responses() error {
	var hdr [8]byte
	buf := make([]byte, 64<<10)
	for {
		size, err := readSize(s.kfr, hdr[:], 1<<31-1)
		if err != nil {
			return err
		}
		if size < 4 {
			return fmt.Errorf("kfake sent a response of %d bytes", size)
		}
		if _, err := io.ReadFull(s.kfr, hdr[4:8]); err != nil {
			return err
		}
		n, ok := s.takeRequest(int32(binary.BigEndian.Uint32(hdr[4:])))
		if !ok || size > MaxFrame {
			if err := copyFrame(s.client, s.kfr, hdr[:], size-4, buf); err != nil {
				return err
			}
			continue
		}
		frame := make([]byte, 4+size)
		copy(frame, hdr[:])
		if _, err := io.ReadFull(s.kfr, frame[8:]); err != nil {
			return err
		}
		if _, err := s.client.Write(s.rewrite(n, frame)); err != nil {
			return err
		}
	}
}

// rewrite returns frame (size, correlation id, response) with the layer's
// changes applied, or frame itself when it needs none or cannot be decoded.
func (s *session) rewrite(n noted, frame []byte) []byte {
	resp := kmsg.ResponseForKey(n.key)
	if resp == nil {
		return frame
	}
	resp.SetVersion(n.version)
	hdrLen := 8
	if resp.IsFlexible() && n.key != keyApiVersions {
		hdrLen++ // empty header tagged fields; ApiVersions responses always use header v0
	}
	if len(frame) < hdrLen {
		return frame
	}
	body := frame[hdrLen:]
	// An ApiVersions answer to a too-new version is a v0 body whatever the
	// request's version (KIP-511): leave it alone.
	if n.key == keyApiVersions && len(body) >= 2 && int16(binary.BigEndian.Uint16(body)) == kerr.UnsupportedVersion.Code {
		return frame
	}
	if err := resp.ReadFrom(body); err != nil {
		return frame
	}
	if !s.fix(n, resp) {
		return frame
	}
	out := append(slices.Clone(frame[:hdrLen]), resp.AppendTo(nil)...)
	binary.BigEndian.PutUint32(out[:4], uint32(len(out)-4))
	return out
}

// fix changes a decoded response and reports whether it changed anything.
func (s *session) fix(n noted, resp kmsg.Response) bool {
	switch r := resp.(type) {
	case *kmsg.ApiVersionsResponse:
		for i := range r.ApiKeys {
			if r.ApiKeys[i].ApiKey == keySASLHandshake && r.ApiKeys[i].MinVersion > 0 {
				r.ApiKeys[i].MinVersion = 0
				return true
			}
		}
	case *kmsg.SASLHandshakeResponse:
		if m := s.l.opts.Mechanisms; len(m) > 0 && !slices.Equal(r.SupportedMechanisms, m) {
			r.SupportedMechanisms = slices.Clone(m)
			return true
		}
	case *kmsg.DescribeUserSCRAMCredentialsResponse:
		req, _ := n.req.(*kmsg.DescribeUserSCRAMCredentialsRequest)
		return s.l.opts.Auth.hideDescribed(req, r)
	case *kmsg.MetadataResponse:
		if req, ok := n.req.(*kmsg.MetadataRequest); ok {
			return s.autoCreate(req, r)
		}
	case *kmsg.AlterUserSCRAMCredentialsResponse:
		if req, ok := n.req.(*kmsg.AlterUserSCRAMCredentialsRequest); ok {
			s.l.opts.Auth.learn(req, r)
		}
	}
	return false
}
