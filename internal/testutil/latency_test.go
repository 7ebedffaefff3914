package testutil

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// TestLatencyProxyDelaysEachWayAndKeepsTheBytes echoes through the proxy:
// the bytes come back whole and in order, the first answer no sooner than
// the connect round trip plus one round trip, a later one no sooner than
// one round trip, and the client's close reaches the server.
func TestLatencyProxyDelaysEachWayAndKeepsTheBytes(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	closed := make(chan struct{})
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = io.Copy(c, c)
		close(closed)
	}()
	const oneWay = 20 * time.Millisecond
	p := StartLatencyProxy(t, ln.Addr().String(), oneWay)
	start := time.Now()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg := bytes.Repeat([]byte("kafka"), 20000) // more than one read
	for i, min := range []time.Duration{4 * oneWay, 2 * oneWay} {
		if i > 0 {
			start = time.Now()
		}
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(c, got); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took < min {
			t.Errorf("round %d took %v, want at least %v", i, took, min)
		}
		if !bytes.Equal(got, msg) {
			t.Fatalf("round %d: the bytes changed", i)
		}
	}
	c.(*net.TCPConn).CloseWrite()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the client's close did not reach the server")
	}
}
