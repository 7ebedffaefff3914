package cluster

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkaguard/kafkaguard/internal/testutil"
)

// fakeSASLBroker answers ApiVersions and then every SaslHandshake with
// UNSUPPORTED_SASL_MECHANISM, offering only PLAIN: a listener without SCRAM.
func fakeSASLBroker(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return testutil.Serve(t, ln, serveFake)
}

func serveFake(conn net.Conn) {
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
			for _, k := range []struct{ key, max int16 }{{3, 12}, {17, 1}, {36, 2}, {18, 3}} {
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
	cfg := NewConfig([]string{fakeSASLBroker(t)}, ProtocolSASLPlaintext, MechanismSCRAMSHA512, "alice", "a-password-1234", nil)
	cfg.Timeout = 5 * time.Second
	err := LoginSCRAM(context.Background(), cfg)
	if !errors.Is(err, ErrSCRAMNotEnabled) {
		t.Fatalf("got %v, want ErrSCRAMNotEnabled", err)
	}
	if errors.Is(err, ErrLoginRejected) {
		t.Fatalf("reported as a rejected login: %v", err)
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
