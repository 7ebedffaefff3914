package testutil

import (
	"net"
	"sync"
	"testing"
	"time"
)

// LatencyProxy is a TCP proxy that makes a local server look far away: every
// byte takes OneWay to cross it, in each direction, so a request and its
// answer take a round trip of 2×OneWay plus the server's time. It is a delay
// line, not a bandwidth limit: bytes read in a row leave in the same row,
// each OneWay after it arrived. Opening a connection costs a round trip too,
// as TCP's handshake does: the client's first bytes reach the server no
// earlier than 3×OneWay after it connected (SYN, SYN-ACK, then the data).
type LatencyProxy struct {
	ln     net.Listener
	target string
	oneWay time.Duration

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// StartLatencyProxy listens on a free local port and forwards each
// connection to target with oneWay added in each direction. It is closed
// when tb's test ends.
func StartLatencyProxy(tb testing.TB, target string, oneWay time.Duration) *LatencyProxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &LatencyProxy{ln: ln, target: target, oneWay: oneWay, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	tb.Cleanup(p.Close)
	return p
}

// Addr is the proxy's host:port.
func (p *LatencyProxy) Addr() string { return p.ln.Addr().String() }

// Close stops accepting, closes every open connection and waits for the
// proxy's goroutines.
func (p *LatencyProxy) Close() {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.ln.Close()
	p.wg.Wait()
}

func (p *LatencyProxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *LatencyProxy) forget(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		delete(p.conns, c)
		c.Close()
	}
}

func (p *LatencyProxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		connected := time.Now()
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			server, err := net.Dial("tcp", p.target)
			if err != nil {
				client.Close()
				return
			}
			if !p.track(client, server) {
				client.Close()
				server.Close()
				return
			}
			defer p.forget(client, server)
			var both sync.WaitGroup
			both.Add(2)
			go func() {
				defer both.Done()
				p.delay(server, client, connected.Add(2*p.oneWay))
			}()
			go func() {
				defer both.Done()
				p.delay(client, server, time.Time{})
			}()
			both.Wait()
		}()
	}
}

// chunk is what one read got, and when it may be written on.
type chunk struct {
	data []byte
	at   time.Time
}

// delay copies src to dst, each read written OneWay after it was read, but
// never before notBefore+OneWay. At src's end it half-closes dst after the
// same delay; on an error it closes both.
func (p *LatencyProxy) delay(dst, src net.Conn, notBefore time.Time) {
	line := make(chan chunk, 256)
	go func() {
		defer close(line)
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			at := time.Now()
			if at.Before(notBefore) {
				at = notBefore
			}
			if n > 0 {
				line <- chunk{data: buf[:n], at: at.Add(p.oneWay)}
			}
			if err != nil {
				line <- chunk{at: at.Add(p.oneWay)} // the end, delayed too
				return
			}
		}
	}()
	for c := range line {
		time.Sleep(time.Until(c.at))
		if c.data == nil {
			if t, ok := dst.(*net.TCPConn); ok {
				_ = t.CloseWrite()
			} else {
				dst.Close()
			}
			continue
		}
		if _, err := dst.Write(c.data); err != nil {
			dst.Close()
			src.Close()
			for range line { // let the reader finish
			}
			return
		}
	}
}
