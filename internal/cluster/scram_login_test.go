package cluster

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkaguard/kafkaguard/internal/testutil"
)

// fakeSASLBroker answers ApiVersions and then every SaslHandshake with
// UNSUPPORTED_SASL_MECHANISM, offering only PLAIN: a listener without SCRAM.
// With scramIterations, it offers SCRAM-SHA-512 instead and answers the
// client-first message with a server-first one asking for that many
// iterations.
func fakeSASLBroker(t *testing.T, scramIterations int) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return testutil.Serve(t, ln, func(conn net.Conn) { serveFake(conn, scramIterations) })
}

func serveFake(conn net.Conn, scramIterations int) {
	defer conn.Close()
	for {
		var size [4]byte
		if _, err := io.ReadFull(conn, size[:]); err != nil {
			return
		}
		frame := make([]byte, binary.BigEndian.Uint32(size[:]))
		if _, err := io.ReadFull(conn, frame); err != nil {
			return
		}
		key := int16(binary.BigEndian.Uint16(frame[0:2]))
		version := int16(binary.BigEndian.Uint16(frame[2:4]))
		corr := frame[4:8]
		var resp kmsg.Response
		switch key {
		case 18:
			r := kmsg.NewPtrApiVersionsResponse()
			r.Version = version
			for _, k := range []struct{ key, max int16 }{{3, 12}, {17, 1}, {36, 1}, {18, 3}} {
				ak := kmsg.NewApiVersionsResponseApiKey()
				ak.ApiKey, ak.MaxVersion = k.key, k.max
				r.ApiKeys = append(r.ApiKeys, ak)
			}
			resp = r
		case 17:
			r := kmsg.NewPtrSASLHandshakeResponse()
			r.Version = version
			r.ErrorCode = kerr.UnsupportedSaslMechanism.Code
			r.SupportedMechanisms = []string{"PLAIN"}
			if scramIterations > 0 {
				r.ErrorCode, r.SupportedMechanisms = 0, []string{"SCRAM-SHA-512"}
			}
			resp = r
		case 36: // SaslAuthenticate v1: a non-flexible header with a client ID
			req := kmsg.NewPtrSASLAuthenticateRequest()
			req.Version = version
			idLen := max(int(int16(binary.BigEndian.Uint16(frame[8:10]))), 0)
			if err := req.ReadFrom(frame[10+idLen:]); err != nil {
				return
			}
			_, nonce, _ := strings.Cut(string(req.SASLAuthBytes), ",r=")
			r := kmsg.NewPtrSASLAuthenticateResponse()
			r.Version = version
			r.SASLAuthBytes = []byte(fmt.Sprintf("r=%sSERVER,s=c2FsdHNhbHQ=,i=%d", nonce, scramIterations))
			resp = r
		default:
			return
		}
		body := append(append([]byte{}, corr...), resp.AppendTo(nil)...)
		out := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
		if _, err := conn.Write(append(out, body...)); err != nil {
			return
		}
	}
}

func TestLoginSCRAMReportsAListenerWithoutTheMechanism(t *testing.T) {
	cfg := NewConfig([]string{fakeSASLBroker(t, 0)}, ProtocolSASLPlaintext, MechanismSCRAMSHA512, "alice", "a-password-1234", nil)
	cfg.Timeout = 5 * time.Second
	err := LoginSCRAM(context.Background(), cfg)
	if !errors.Is(err, ErrSCRAMNotEnabled) {
		t.Fatalf("got %v, want ErrSCRAMNotEnabled", err)
	}
	if errors.Is(err, ErrLoginRejected) {
		t.Fatalf("reported as a rejected login: %v", err)
	}
}

// A broker asking for 2^31-1 iterations (minutes of PBKDF2 per login) is
// refused before the client derives anything.
func TestLoginSCRAMRefusesAHugeServerIterationCount(t *testing.T) {
	cfg := NewConfig([]string{fakeSASLBroker(t, 1<<31-1)}, ProtocolSASLPlaintext, MechanismSCRAMSHA512, "alice", "a-password-1234", nil)
	cfg.Timeout = 5 * time.Second
	start := time.Now()
	err := LoginSCRAM(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "scram: the broker asked for 2147483647 iterations, over the limit of 1048576 (Kafka stores at most 16384)") {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("took %s", d)
	}
	t.Log(err)
}

func TestServerIterationsLimit(t *testing.T) {
	for _, tc := range []struct {
		msg  string
		n    int
		ok   bool
		over bool
	}{
		{"r=abc,s=c2FsdA==,i=4096", 4096, true, false},
		{"r=abc,s=c2FsdA==,i=1048576", 1 << 20, true, false},
		{"r=abc,s=c2FsdA==,i=1048577,x=ext", 1<<20 + 1, true, true},
		{"r=abc,s=c2FsdA==", 0, false, false},
		{"r=abc,s=c2FsdA==,i=99999999999999999999", math.MaxInt, true, true},
		{"r=abc,s=c2FsdA==,i=-5", -5, true, false},
		{"r=abc,s=c2FsdA==,i=x", 0, false, false},
	} {
		n, ok := serverIterations(tc.msg)
		if n != tc.n || ok != tc.ok || (n > maxServerIterations) != tc.over {
			t.Errorf("%q: %d %v", tc.msg, n, ok)
		}
	}
}

func TestTicketPoolHandsEachTicketOutOnceButTheLast(t *testing.T) {
	p := NewLoginSessions().cache
	if _, ok := p.Get("b1"); ok {
		t.Fatal("empty pool returned a session")
	}
	a, b, c := &tls.ClientSessionState{}, &tls.ClientSessionState{}, &tls.ClientSessionState{}
	p.Put("b1", a)
	p.Put("b1", b)
	p.Put("b1", c)
	for i, want := range []*tls.ClientSessionState{c, b, a, a} {
		if got, ok := p.Get("b1"); !ok || got != want {
			t.Fatalf("get %d: %p, want %p", i, got, want)
		}
	}
	if _, ok := p.Get("b2"); ok {
		t.Fatal("another broker's session returned")
	}
	p.Put("b1", nil) // a failed resumption
	if _, ok := p.Get("b1"); ok {
		t.Fatal("Put(nil) kept the broker's sessions")
	}
	for range ticketsPerBroker + 10 {
		p.Put("b1", &tls.ClientSessionState{})
	}
	if n := len(p.byKey["b1"]); n != ticketsPerBroker {
		t.Fatalf("%d sessions kept, want %d", n, ticketsPerBroker)
	}
}
