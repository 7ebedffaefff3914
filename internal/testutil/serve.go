package testutil

import (
	"net"
	"sync"
	"testing"
)

// Serve accepts connections on ln for fake servers (a TLS endpoint, a
// broker that answers oddly or not at all), handing each to handle in its
// own goroutine, and returns ln's address. When the test ends it closes ln
// and every connection it accepted, so a handler that only holds its
// connection leaves a silent peer open until then.
func Serve(tb testing.TB, ln net.Listener, handle func(net.Conn)) string {
	var (
		mu     sync.Mutex
		conns  []net.Conn
		closed bool
	)
	tb.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		closed = true
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			if closed {
				c.Close()
				mu.Unlock()
				return
			}
			conns = append(conns, c)
			mu.Unlock()
			go handle(c)
		}
	}()
	return ln.Addr().String()
}
