package devcluster

import (
	"crypto/tls"
	"encoding/binary"
	"net"
	"slices"
	"sync"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Kafka API keys the compatibility layer answers differently from kfake.
const (
	keySASLHandshake int16 = 17
	keyApiVersions   int16 = 18
)

// NewCompatListener returns a listener for kfake's ListenFn option that makes
// kfake's SASL answers acceptable to librdkafka (kcat, confluent-kafka) and
// KafkaJS clients. Each accepted connection is wrapped in TLS with tlsCfg
// (nil: plaintext), so kfake itself must then be started without its TLS
// option. The wrapped connection passes every byte through unchanged except
// two responses, which it decodes and re-encodes with kmsg:
//
//   - ApiVersions: SaslHandshake is advertised from version 0 (kfake says 1..1;
//     librdkafka enables SASL only when version 0 is advertised);
//   - SaslHandshake: the answer lists mechanisms (kfake leaves the list empty
//     on success; KafkaJS refuses a mechanism the list does not name); with
//     no mechanisms given, SaslHandshake answers pass unchanged.
//
// Requests are never changed. Addr is inner's address, which kfake advertises
// in metadata, so clients always come back through this listener.
func NewCompatListener(inner net.Listener, tlsCfg *tls.Config, mechanisms []string) net.Listener {
	return &compatListener{inner: inner, tls: tlsCfg, mechanisms: slices.Clone(mechanisms)}
}

// CompatListenFn returns a function for kfake.ListenFn that listens with
// net.Listen and wraps the listener with NewCompatListener.
func CompatListenFn(tlsCfg *tls.Config, mechanisms []string) func(network, address string) (net.Listener, error) {
	return func(network, address string) (net.Listener, error) {
		ln, err := net.Listen(network, address)
		if err != nil {
			return nil, err
		}
		return NewCompatListener(ln, tlsCfg, mechanisms), nil
	}
}

type compatListener struct {
	inner      net.Listener
	tls        *tls.Config
	mechanisms []string
}

func (l *compatListener) Accept() (net.Conn, error) {
	c, err := l.inner.Accept()
	if err != nil {
		return nil, err
	}
	if l.tls != nil {
		c = tls.Server(c, l.tls)
	}
	return newCompatConn(c, l.mechanisms), nil
}

func (l *compatListener) Close() error   { return l.inner.Close() }
func (l *compatListener) Addr() net.Addr { return l.inner.Addr() }

// compatConn is one client connection as kfake sees it: Read yields the
// client's requests, Write carries kfake's responses.
type compatConn struct {
	net.Conn
	mechanisms []string

	mu      sync.Mutex
	pending map[int32][]noted // ApiVersions and SaslHandshake requests in flight, by correlation id

	req  frameScanner // request side, touched only by Read
	resp respRewriter // response side, touched only by Write
}

func newCompatConn(c net.Conn, mechanisms []string) *compatConn {
	cc := &compatConn{
		Conn:       c,
		mechanisms: mechanisms,
		pending:    make(map[int32][]noted),
	}
	cc.resp.conn = cc
	return cc
}

// ConnectionState exposes the TLS state of the wrapped connection, as a
// *tls.Conn would, for code that inspects client certificates.
func (c *compatConn) ConnectionState() tls.ConnectionState {
	if tc, ok := c.Conn.(*tls.Conn); ok {
		return tc.ConnectionState()
	}
	return tls.ConnectionState{}
}

// Read passes the client's bytes through unchanged, noting the key and
// version of each ApiVersions and SaslHandshake request by correlation id.
// Only those two are noted: other requests need no rewrite, and an acks=0
// produce request has no response that would ever clear its entry.
func (c *compatConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.req.scan(p[:n], c.noteRequest)
	}
	return n, err
}

func (c *compatConn) noteRequest(key, version int16, corr int32) {
	if key != keyApiVersions && key != keySASLHandshake {
		return
	}
	c.mu.Lock()
	c.pending[corr] = append(c.pending[corr], noted{key, version})
	c.mu.Unlock()
}

// noted is a request whose response may need a rewrite.
type noted struct{ key, version int16 }

// takeRequest returns and forgets the oldest noted request with corr.
func (c *compatConn) takeRequest(corr int32) (key, version int16, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	q := c.pending[corr]
	if len(q) == 0 {
		return 0, 0, false
	}
	if len(q) == 1 {
		delete(c.pending, corr)
	} else {
		c.pending[corr] = q[1:]
	}
	return q[0].key, q[0].version, true
}

// Write passes kfake's response bytes through, except ApiVersions and
// SaslHandshake responses, which are buffered whole and rewritten.
func (c *compatConn) Write(p []byte) (int, error) {
	var out []byte
	switch segs := c.resp.feed(p); len(segs) {
	case 0:
		return len(p), nil
	case 1:
		out = segs[0]
	default: // one write, so TLS sends one record as kfake meant
		c.resp.buf = c.resp.buf[:0]
		for _, s := range segs {
			c.resp.buf = append(c.resp.buf, s...)
		}
		out = c.resp.buf
	}
	if _, err := c.Conn.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// frameScanner follows a stream of request frames (int32 size, then the
// request header: int16 key, int16 version, int32 correlation id) across
// arbitrary read boundaries.
type frameScanner struct {
	hdr  [12]byte
	nhdr int   // bytes of hdr filled
	skip int64 // bytes of the current frame's body still to pass
}

func (s *frameScanner) scan(p []byte, note func(key, version int16, corr int32)) {
	for len(p) > 0 {
		if s.skip > 0 {
			n := min(int64(len(p)), s.skip)
			s.skip -= n
			p = p[n:]
			continue
		}
		if s.nhdr < 4 {
			n := copy(s.hdr[s.nhdr:4], p)
			s.nhdr += n
			p = p[n:]
			if s.nhdr < 4 {
				continue
			}
		}
		size := int64(binary.BigEndian.Uint32(s.hdr[:4]))
		want := 4 + int(min(size, 8)) // a frame shorter than a header is passed on as it is
		if s.nhdr < want {
			n := copy(s.hdr[s.nhdr:want], p)
			s.nhdr += n
			p = p[n:]
			if s.nhdr < want {
				continue
			}
		}
		if size >= 8 {
			note(int16(binary.BigEndian.Uint16(s.hdr[4:6])),
				int16(binary.BigEndian.Uint16(s.hdr[6:8])),
				int32(binary.BigEndian.Uint32(s.hdr[8:12])))
		}
		s.skip = size - int64(want-4)
		s.nhdr = 0
	}
}

// respRewriter follows the stream of response frames (int32 size, int32
// correlation id, ...) and rewrites the noted ones.
type respRewriter struct {
	conn *compatConn

	hdr   [8]byte
	nhdr  int    // bytes of hdr held back until the frame is known
	pass  int64  // bytes of the current frame still to pass through unchanged
	frame []byte // the current frame, when it is to be rewritten
	want  int    // full length of frame (size prefix included)
	key   int16
	vers  int16

	segs [][]byte // feed's result: subslices of its input where possible
	buf  []byte   // segs joined, when there are several
}

// feed consumes p and returns the bytes to send to the client now, as
// segments that are, for passed-through bytes, subslices of p itself: a
// response written whole is sent without a copy. The result is valid until
// the next call.
func (r *respRewriter) feed(p []byte) [][]byte {
	r.segs = r.segs[:0]
	run := -1 // start of the current run of p that passes through
	endRun := func(at int) {
		if run >= 0 && at > run {
			r.segs = append(r.segs, p[run:at])
		}
		run = -1
	}
	for i := 0; i < len(p); {
		switch {
		case r.pass > 0:
			n := int(min(int64(len(p)-i), r.pass))
			if run < 0 {
				run = i
			}
			r.pass -= int64(n)
			i += n
		case r.frame != nil:
			n := min(len(p)-i, r.want-len(r.frame))
			r.frame = append(r.frame, p[i:i+n]...)
			i += n
			if len(r.frame) == r.want {
				r.segs = append(r.segs, r.conn.rewrite(r.key, r.vers, r.frame))
				r.frame = nil
			}
		default:
			start, held := i, r.nhdr > 0
			n := copy(r.hdr[r.nhdr:], p[i:])
			r.nhdr += n
			i += n
			endRun(start)
			if r.nhdr < len(r.hdr) {
				continue // held back until the next write completes the header
			}
			r.nhdr = 0
			size := int64(binary.BigEndian.Uint32(r.hdr[:4]))
			corr := int32(binary.BigEndian.Uint32(r.hdr[4:8]))
			key, vers, ok := r.conn.takeRequest(corr)
			if !ok || size > 1<<20 || size < 4 {
				if held {
					r.segs = append(r.segs, slices.Clone(r.hdr[:]))
				} else {
					run = start // the header is p[start:i] itself
				}
				r.pass = size - 4
				continue
			}
			r.key, r.vers, r.want = key, vers, int(size)+4
			r.frame = append(make([]byte, 0, r.want), r.hdr[:]...)
			if len(r.frame) == r.want { // an empty body: nothing to rewrite
				r.segs = append(r.segs, r.frame)
				r.frame = nil
			}
		}
	}
	endRun(len(p))
	return r.segs
}

// rewrite returns frame (size, correlation id, response) with the fixes
// applied, or frame itself when it needs none or cannot be decoded.
func (c *compatConn) rewrite(key, version int16, frame []byte) []byte {
	var resp kmsg.Response
	switch key {
	case keyApiVersions:
		resp = &kmsg.ApiVersionsResponse{Version: version}
	case keySASLHandshake:
		resp = &kmsg.SASLHandshakeResponse{Version: version}
	default:
		return frame
	}
	hdrLen := 8
	if resp.IsFlexible() && key != keyApiVersions {
		hdrLen++ // empty header tagged fields; ApiVersions responses always use header v0
	}
	if len(frame) < hdrLen {
		return frame
	}
	body := frame[hdrLen:]
	// Every ApiVersions and SaslHandshake response starts with its error
	// code. An ApiVersions answer to a too-new version is a v0 body
	// whatever the request's version (KIP-511): leave it alone.
	if key == keyApiVersions && len(body) >= 2 && int16(binary.BigEndian.Uint16(body)) == kerr.UnsupportedVersion.Code {
		return frame
	}
	if err := resp.ReadFrom(body); err != nil {
		return frame
	}
	if !c.fix(resp) {
		return frame
	}
	out := append(slices.Clone(frame[:hdrLen]), resp.AppendTo(nil)...)
	binary.BigEndian.PutUint32(out[:4], uint32(len(out)-4))
	return out
}

// fix applies the two fixes to a decoded response and reports whether it
// changed anything.
func (c *compatConn) fix(resp kmsg.Response) bool {
	switch r := resp.(type) {
	case *kmsg.ApiVersionsResponse:
		for i := range r.ApiKeys {
			if r.ApiKeys[i].ApiKey == keySASLHandshake && r.ApiKeys[i].MinVersion > 0 {
				r.ApiKeys[i].MinVersion = 0
				return true
			}
		}
	case *kmsg.SASLHandshakeResponse:
		if len(c.mechanisms) > 0 && !slices.Equal(r.SupportedMechanisms, c.mechanisms) {
			r.SupportedMechanisms = slices.Clone(c.mechanisms)
			return true
		}
	}
	return false
}
