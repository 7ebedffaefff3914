package devcluster

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"io"
	"math/big"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kafkaguard/kafkaguard/internal/testutil"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// memConn is a client connection whose reads come from a list of chunks
// and whose writes are recorded. Once the chunks are read, Read waits for
// Close, as a client waiting for its answers does.
type memConn struct {
	net.Conn // nil: only the methods below are used
	mu       sync.Mutex
	reads    [][]byte
	written  bytes.Buffer
	closed   chan struct{}
	once     sync.Once
}

func newMemConn(reads [][]byte) *memConn {
	return &memConn{reads: reads, closed: make(chan struct{})}
}

func (c *memConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	for len(c.reads) > 0 && len(c.reads[0]) == 0 {
		c.reads = c.reads[1:]
	}
	if len(c.reads) == 0 {
		c.mu.Unlock()
		<-c.closed
		return 0, io.EOF
	}
	defer c.mu.Unlock()
	n := copy(p, c.reads[0])
	c.reads[0] = c.reads[0][n:]
	return n, nil
}

func (c *memConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.written.Write(p)
}

func (c *memConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}

func (c *memConn) RemoteAddr() net.Addr             { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1} }
func (c *memConn) SetDeadline(time.Time) error      { return nil }
func (c *memConn) SetReadDeadline(time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(time.Time) error { return nil }

// testListener is a layer without a network listener: sessions are served
// by calling serve, and kfake's ends of their pipes come out of conns.
func testListener(opts CompatOptions) *compatListener {
	if opts.HandshakeTimeout == 0 {
		opts.HandshakeTimeout = DefaultHandshakeTimeout
	}
	return &compatListener{opts: opts, conns: make(chan net.Conn), done: make(chan struct{})}
}

var testMechanisms = []string{"SCRAM-SHA-512"}

// reqFrame encodes req as a client would send it.
func reqFrame(req kmsg.Request, corr int32) []byte {
	return kmsg.NewRequestFormatter(kmsg.FormatterClientID("test")).AppendRequest(nil, req, corr)
}

// respFrame encodes resp as kfake writes it: size, correlation id, the header
// tagged fields for flexible responses except ApiVersions, the body.
func respFrame(resp kmsg.Response, corr int32) []byte {
	buf := []byte{0, 0, 0, 0, 0, 0, 0, 0}
	if resp.IsFlexible() && resp.Key() != keyApiVersions {
		buf = append(buf, 0)
	}
	buf = resp.AppendTo(buf)
	binary.BigEndian.PutUint32(buf[:4], uint32(len(buf)-4))
	binary.BigEndian.PutUint32(buf[4:8], uint32(corr))
	return buf
}

// kfakeApiVersions is an ApiVersions answer shaped like kfake's.
func kfakeApiVersions(version int16) *kmsg.ApiVersionsResponse {
	r := kmsg.NewPtrApiVersionsResponse()
	r.Version = version
	for _, k := range [][3]int16{{0, 0, 13}, {3, 0, 13}, {17, 1, 1}, {18, 0, 5}, {36, 0, 2}} {
		ak := kmsg.NewApiVersionsResponseApiKey()
		ak.ApiKey, ak.MinVersion, ak.MaxVersion = k[0], k[1], k[2]
		r.ApiKeys = append(r.ApiKeys, ak)
	}
	if version >= 3 {
		f := kmsg.NewApiVersionsResponseSupportedFeature()
		f.Name, f.MinVersion, f.MaxVersion = "metadata.version", 1, 27
		r.SupportedFeatures = append(r.SupportedFeatures, f)
	}
	return r
}

func fixedApiVersions(version int16) *kmsg.ApiVersionsResponse {
	r := kfakeApiVersions(version)
	r.ApiKeys[2].MinVersion = 0
	return r
}

func handshakeResp(version int16, code int16, mechs ...string) *kmsg.SASLHandshakeResponse {
	r := kmsg.NewPtrSASLHandshakeResponse()
	r.Version, r.ErrorCode, r.SupportedMechanisms = version, code, mechs
	return r
}

func metadataResp(version int16) *kmsg.MetadataResponse {
	r := kmsg.NewPtrMetadataResponse()
	r.Version = version
	b := kmsg.NewMetadataResponseBroker()
	b.Host, b.Port = "127.0.0.1", 9092
	r.Brokers = append(r.Brokers, b)
	t := kmsg.NewMetadataResponseTopic()
	name := "orders"
	t.Topic = &name
	r.Topics = append(r.Topics, t)
	return r
}

// exchange is requests as the client sends them, kfake's responses, and what
// the client must receive.
type exchange struct {
	requests, responses, want []byte
}

func (x *exchange) add(req kmsg.Request, corr int32, resp, want kmsg.Response) {
	x.requests = append(x.requests, reqFrame(req, corr)...)
	x.responses = append(x.responses, respFrame(resp, corr)...)
	x.want = append(x.want, respFrame(want, corr)...)
}

// mixedExchange covers each rewrite and the pass-through.
func mixedExchange() *exchange {
	x := new(exchange)
	x.add(&kmsg.ApiVersionsRequest{Version: 3, ClientSoftwareName: "kcat", ClientSoftwareVersion: "1.7"}, 1, kfakeApiVersions(3), fixedApiVersions(3))
	x.add(&kmsg.SASLHandshakeRequest{Version: 1, Mechanism: "SCRAM-SHA-512"}, 2, handshakeResp(1, 0), handshakeResp(1, 0, "SCRAM-SHA-512"))
	x.add(&kmsg.MetadataRequest{Version: 12}, 3, metadataResp(12), metadataResp(12))
	x.add(&kmsg.ApiVersionsRequest{Version: 0}, 4, kfakeApiVersions(0), fixedApiVersions(0))
	return x
}

// run serves one client connection whose requests arrive in the given
// chunks. A fake kfake reads all request bytes the layer forwards, then
// writes the response chunks and closes. run returns what kfake received and
// what the client received.
func runKfake(t testing.TB, opts CompatOptions, reads, writes [][]byte) (toKfake, toClient []byte) {
	t.Helper()
	l := testListener(opts)
	mc := newMemConn(slices.Clone(reads))
	served := make(chan struct{})
	go func() { defer close(served); l.serve(mc) }()
	want := 0
	for _, r := range reads {
		want += len(r)
	}
	var got bytes.Buffer
	select {
	case kf := <-l.conns:
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = io.CopyN(&got, kf, int64(want))
			for _, w := range writes {
				if _, err := kf.Write(w); err != nil {
					break
				}
			}
			kf.Close()
		}()
		<-done
		mc.Close() // the client hangs up once kfake is done
	case <-served:
	}
	<-served
	return got.Bytes(), mc.written.Bytes()
}

// run is runKfake without authentication, checking that every request
// reached kfake unchanged.
func run(t testing.TB, reads, writes [][]byte) []byte {
	t.Helper()
	want := bytes.Join(reads, nil)
	toKfake, toClient := runKfake(t, CompatOptions{Mechanisms: testMechanisms}, reads, writes)
	if !bytes.Equal(toKfake, want) {
		t.Fatalf("kfake received %d bytes, differing from the %d the client sent", len(toKfake), len(want))
	}
	return toClient
}

func split(b []byte, at ...int) [][]byte {
	var out [][]byte
	prev := 0
	for _, i := range at {
		out = append(out, b[prev:i])
		prev = i
	}
	return append(out, b[prev:])
}

func TestCompatRewritesOnlyApiVersionsAndSaslHandshake(t *testing.T) {
	x := mixedExchange()
	got := run(t, [][]byte{x.requests}, [][]byte{x.responses})
	if !bytes.Equal(got, x.want) {
		t.Fatalf("client received\n%x\nwant\n%x", got, x.want)
	}
}

func TestCompatAdvertisesSaslHandshakeV0AtEveryApiVersionsVersion(t *testing.T) {
	for v := int16(0); v <= (&kmsg.ApiVersionsRequest{}).MaxVersion(); v++ {
		x := new(exchange)
		x.add(&kmsg.ApiVersionsRequest{Version: v, ClientSoftwareName: "a", ClientSoftwareVersion: "1"}, 7, kfakeApiVersions(v), fixedApiVersions(v))
		got := run(t, [][]byte{x.requests}, [][]byte{x.responses})
		if !bytes.Equal(got, x.want) {
			t.Errorf("v%d: client received\n%x\nwant\n%x", v, got, x.want)
		}
		// The client decodes it as v0 header + body even when flexible.
		resp := kmsg.ApiVersionsResponse{Version: v}
		if err := resp.ReadFrom(got[8:]); err != nil {
			t.Fatalf("v%d: decode: %v", v, err)
		}
		for _, k := range resp.ApiKeys {
			if k.ApiKey == keySASLHandshake && (k.MinVersion != 0 || k.MaxVersion != 1) {
				t.Errorf("v%d: SaslHandshake advertised %d..%d, want 0..1", v, k.MinVersion, k.MaxVersion)
			}
		}
	}
}

func TestCompatFillsHandshakeMechanisms(t *testing.T) {
	for _, tc := range []struct {
		name string
		resp *kmsg.SASLHandshakeResponse
		want *kmsg.SASLHandshakeResponse
	}{
		{"v0 success", handshakeResp(0, 0), handshakeResp(0, 0, testMechanisms...)},
		{"v1 success", handshakeResp(1, 0), handshakeResp(1, 0, testMechanisms...)},
		{"unsupported mechanism lists the enabled ones", handshakeResp(1, kerr.UnsupportedSaslMechanism.Code, "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"),
			handshakeResp(1, kerr.UnsupportedSaslMechanism.Code, testMechanisms...)},
		{"already right is untouched", handshakeResp(1, 0, testMechanisms...), handshakeResp(1, 0, testMechanisms...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := new(exchange)
			x.add(&kmsg.SASLHandshakeRequest{Version: tc.resp.Version, Mechanism: "SCRAM-SHA-512"}, 9, tc.resp, tc.want)
			if got := run(t, [][]byte{x.requests}, [][]byte{x.responses}); !bytes.Equal(got, x.want) {
				t.Fatalf("client received\n%x\nwant\n%x", got, x.want)
			}
		})
	}
}

func TestCompatLeavesUnsupportedVersionAnswerAlone(t *testing.T) {
	// kfake answers a too-new ApiVersions request with a v0 body (KIP-511).
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.ErrorCode = kerr.UnsupportedVersion.Code
	ak := kmsg.NewApiVersionsResponseApiKey()
	ak.ApiKey, ak.MaxVersion = 18, 5
	resp.ApiKeys = append(resp.ApiKeys, ak)
	frame := respFrame(resp, 1)
	req := reqFrame(&kmsg.ApiVersionsRequest{Version: 3}, 1)
	binary.BigEndian.PutUint16(req[6:8], 99) // the version the client tried
	if got := run(t, [][]byte{req}, [][]byte{frame}); !bytes.Equal(got, frame) {
		t.Fatalf("client received\n%x\nwant unchanged\n%x", got, frame)
	}
}

func TestCompatPassesOtherResponsesByteForByte(t *testing.T) {
	// Responses whose requests were not noted, including ones that would
	// decode as ApiVersions or SaslHandshake, and arbitrary bytes.
	big := make([]byte, 3<<20)
	for i := range big {
		big[i] = byte(i * 7)
	}
	bigFrame := append(binary.BigEndian.AppendUint32(nil, uint32(len(big)+4)), append([]byte{0, 0, 0, 5}, big...)...)
	var reqs, resps []byte
	reqs = append(reqs, reqFrame(&kmsg.MetadataRequest{Version: 12}, 1)...)
	resps = append(resps, respFrame(metadataResp(12), 1)...)
	reqs = append(reqs, reqFrame(&kmsg.FetchRequest{Version: 13}, 5)...)
	resps = append(resps, bigFrame...)
	resps = append(resps, respFrame(kfakeApiVersions(3), 2)...) // corr 2 never asked ApiVersions
	got := run(t, [][]byte{reqs}, split(resps, 3, 100, len(resps)-10))
	if !bytes.Equal(got, resps) {
		t.Fatalf("pass-through changed %d bytes into %d bytes", len(resps), len(got))
	}
}

func TestCompatHandlesFramesSplitAtEveryByteBoundary(t *testing.T) {
	x := mixedExchange()
	for i := 0; i <= len(x.requests); i++ {
		got := run(t, split(x.requests, i), [][]byte{x.responses})
		if !bytes.Equal(got, x.want) {
			t.Fatalf("requests split at %d: client received\n%x\nwant\n%x", i, got, x.want)
		}
	}
	for i := 0; i <= len(x.responses); i++ {
		for _, j := range []int{i, min(i+1, len(x.responses)), min(i+5, len(x.responses)), len(x.responses)} {
			got := run(t, [][]byte{x.requests}, split(x.responses, i, j))
			if !bytes.Equal(got, x.want) {
				t.Fatalf("responses split at %d and %d: client received\n%x\nwant\n%x", i, j, got, x.want)
			}
		}
	}
	var oneByte [][]byte
	for i := range x.requests {
		oneByte = append(oneByte, x.requests[i:i+1])
	}
	var oneByteW [][]byte
	for i := range x.responses {
		oneByteW = append(oneByteW, x.responses[i:i+1])
	}
	if got := run(t, oneByte, oneByteW); !bytes.Equal(got, x.want) {
		t.Fatalf("one byte at a time: client received\n%x\nwant\n%x", got, x.want)
	}
}

func TestCompatMatchesManyRequestsInFlightByCorrelationID(t *testing.T) {
	type pair struct{ resp, want []byte }
	var reqs []byte
	var pairs []pair
	for i := range int32(900) {
		var req kmsg.Request
		var resp, want kmsg.Response
		switch i % 3 {
		case 0:
			v := int16(i/3) % ((&kmsg.ApiVersionsRequest{}).MaxVersion() + 1)
			req, resp, want = &kmsg.ApiVersionsRequest{Version: v}, kfakeApiVersions(v), fixedApiVersions(v)
		case 1:
			req, resp, want = &kmsg.SASLHandshakeRequest{Version: 1, Mechanism: "SCRAM-SHA-512"}, handshakeResp(1, 0), handshakeResp(1, 0, testMechanisms...)
		default:
			req, resp, want = &kmsg.MetadataRequest{Version: 12}, metadataResp(12), metadataResp(12)
		}
		reqs = append(reqs, reqFrame(req, i)...)
		pairs = append(pairs, pair{respFrame(resp, i), respFrame(want, i)})
	}
	slices.Reverse(pairs) // answered in the opposite order
	var resps, want []byte
	for _, p := range pairs {
		resps = append(resps, p.resp...)
		want = append(want, p.want...)
	}
	got := run(t, split(reqs, len(reqs)/3, len(reqs)/2), split(resps, 17, len(resps)/2))
	if !bytes.Equal(got, want) {
		t.Fatalf("client received %d bytes, differing from the %d wanted", len(got), len(want))
	}
}

func TestCompatClosesOnRequestShorterThanAHeader(t *testing.T) {
	x := mixedExchange()
	reqs := append([]byte{0, 0, 0, 2, 0xab, 0xcd}, x.requests...)
	for i := 0; i <= 6; i++ {
		toKfake, toClient := runKfake(t, CompatOptions{Mechanisms: testMechanisms}, split(reqs, i), [][]byte{x.responses})
		if len(toKfake) != 0 || len(toClient) != 0 {
			t.Fatalf("split at %d: kfake received %x and the client %x, want the connection closed", i, toKfake, toClient)
		}
	}
}

// BenchmarkCompatRewrite measures a full ApiVersions and SaslHandshake
// exchange through a session, the per-connection cost of the layer.
func BenchmarkCompatRewrite(b *testing.B) {
	x := mixedExchange()
	const conns = 100
	b.ResetTimer()
	for range b.N {
		for range conns {
			run(b, [][]byte{x.requests}, [][]byte{x.responses})
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*conns), "ns/conn")
}

type discardConn struct{ net.Conn }

func (discardConn) Write(p []byte) (int, error) { return len(p), nil }

// selfSignedTLS is a server config with a throwaway certificate for
// 127.0.0.1, and a pool that trusts it.
func selfSignedTLS(tb testing.TB) (*tls.Config, *x509.CertPool) {
	tb.Helper()
	cert, key := testutil.Cert(tb, &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, nil, nil)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{testutil.TLSCert(cert, key)}}, pool
}

// BenchmarkCompatConsumeOverTLS consumes 64 MiB with franz-go over TLS from
// kfake serving TLS itself and from kfake behind the compatibility layer,
// and reports MB/s of each: the cost of the layer on the hot path.
func BenchmarkCompatConsumeOverTLS(b *testing.B) {
	serverTLS, pool := selfSignedTLS(b)
	const (
		recordSize = 64 << 10
		records    = 1024
	)
	value := bytes.Repeat([]byte("k"), recordSize)
	for _, bc := range []struct {
		name string
		opt  kfake.Opt
	}{
		{"kfake-tls", kfake.TLS(serverTLS)},
		{"compat-tls", kfake.ListenFn(CompatListenFn(CompatOptions{TLS: serverTLS, Mechanisms: testMechanisms}))},
	} {
		b.Run(bc.name, func(b *testing.B) {
			kf, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "bench"), bc.opt)
			if err != nil {
				b.Fatal(err)
			}
			defer kf.Close()
			ctx := context.Background()
			clientTLS := &tls.Config{RootCAs: pool}
			prod, err := kgo.NewClient(kgo.SeedBrokers(kf.ListenAddrs()...), kgo.DialTLSConfig(clientTLS.Clone()),
				kgo.ProducerBatchMaxBytes(1<<20), kgo.DefaultProduceTopic("bench"))
			if err != nil {
				b.Fatal(err)
			}
			for range records {
				prod.Produce(ctx, &kgo.Record{Value: value}, func(_ *kgo.Record, err error) {
					if err != nil {
						b.Error(err)
					}
				})
			}
			if err := prod.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			prod.Close()

			b.SetBytes(recordSize * records)
			b.ResetTimer()
			for range b.N {
				cons, err := kgo.NewClient(kgo.SeedBrokers(kf.ListenAddrs()...), kgo.DialTLSConfig(clientTLS.Clone()),
					kgo.ConsumeTopics("bench"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxBytes(8<<20))
				if err != nil {
					b.Fatal(err)
				}
				for n := 0; n < records; {
					fs := cons.PollFetches(ctx)
					if err := fs.Err0(); err != nil {
						b.Fatal(err)
					}
					n += fs.NumRecords()
				}
				cons.Close()
			}
		})
	}
}
