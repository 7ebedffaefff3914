package devcluster

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func testAuthenticator(t testing.TB) *Authenticator {
	t.Helper()
	a, err := NewAuthenticator(AuthOptions{Mechanisms: testMechanisms, AdminUser: "admin", AdminPassword: "admin-password-for-tests"})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// sizePrefix is a frame header announcing size bytes.
func sizePrefix(size uint32) []byte { return binary.BigEndian.AppendUint32(nil, size) }

func TestLayerClosesOnFramesOverKafkasLimitsBeforeKfakeReadsThem(t *testing.T) {
	apiVersions := reqFrame(&kmsg.ApiVersionsRequest{Version: 3, ClientSoftwareName: "t", ClientSoftwareVersion: "1"}, 1)
	for _, tc := range []struct {
		name  string
		auth  bool
		reads []byte
	}{
		{"ff ff ff ff before authentication", true, []byte{0xff, 0xff, 0xff, 0xff}},
		{"ff ff ff ff without SASL", false, []byte{0xff, 0xff, 0xff, 0xff}},
		{"negative size", false, sizePrefix(0x80000000)},
		{"pre-auth frame of 512 KB + 1", true, append(sizePrefix(MaxPreAuthFrame+1), apiVersions[4:]...)},
		{"frame of 100 MB + 1", false, append(sizePrefix(MaxFrame+1), apiVersions[4:]...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := CompatOptions{Mechanisms: testMechanisms}
			if tc.auth {
				opts.Auth = testAuthenticator(t)
			}
			// Split at every byte of the size prefix: the limit holds
			// however the header arrives.
			for i := 0; i <= 4; i++ {
				toKfake, toClient := runKfake(t, opts, split(tc.reads, i), nil)
				if len(toKfake) != 0 || len(toClient) != 0 {
					t.Fatalf("split at %d: kfake received %d bytes, the client %d; want the connection closed before kfake reads anything", i, len(toKfake), len(toClient))
				}
			}
		})
	}
}

func TestLayerPassesFramesUpToTheLimits(t *testing.T) {
	// A pre-auth ApiVersions request padded to exactly 512 KB reaches kfake.
	req := reqFrame(&kmsg.ApiVersionsRequest{Version: 0}, 1)
	padded := append(req, make([]byte, MaxPreAuthFrame-(len(req)-4))...)
	binary.BigEndian.PutUint32(padded, MaxPreAuthFrame)
	resp := respFrame(kfakeApiVersions(0), 1)
	toKfake, toClient := runKfake(t, CompatOptions{Mechanisms: testMechanisms, Auth: testAuthenticator(t)}, [][]byte{padded}, [][]byte{resp})
	if !bytes.Equal(toKfake, padded) {
		t.Fatalf("kfake received %d bytes, want the %d-byte frame", len(toKfake), len(padded))
	}
	if want := respFrame(fixedApiVersions(0), 1); !bytes.Equal(toClient, want) {
		t.Fatalf("client received %x, want %x", toClient, want)
	}
}

func TestLayerClosesAConnectionThatDoesNotAuthenticateInTime(t *testing.T) {
	dc, err := Start(context.Background(), Options{Dir: t.TempDir(), HandshakeTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	for _, name := range []string{"silent TCP", "TLS, then silent"} {
		conn, err := net.Dial("tcp", dc.Addr())
		if err != nil {
			t.Fatal(err)
		}
		var c net.Conn = conn
		if name != "silent TCP" {
			c = tlsClient(t, dc, conn, nil)
		}
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, err := c.Read(make([]byte, 1))
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Errorf("%s: the layer kept the connection open past its handshake deadline", name)
		} else if n != 0 {
			t.Errorf("%s: read %d bytes, want the connection closed", name, n)
		}
		c.Close()
	}
}

// tlsClient completes a TLS handshake with the dev cluster over conn.
func tlsClient(t testing.TB, dc *Cluster, conn net.Conn, certs []tls.Certificate) *tls.Conn {
	t.Helper()
	pem, err := os.ReadFile(dc.CAPath())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	c := tls.Client(conn, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", Certificates: certs})
	if err := c.Handshake(); err != nil {
		t.Fatalf("TLS handshake: %v", err)
	}
	return c
}

// TestDevUpSurvivesHostileFrames is issue 18's finding: four bytes
// ff ff ff ff after the TLS handshake made kfake allocate 4 GiB, and ~86
// garbage connections took a 24 GB machine down. Now 100 garbage
// connections allocate well under 1 GB in all and the cluster still serves.
func TestDevUpSurvivesHostileFrames(t *testing.T) {
	dc, err := Start(context.Background(), Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	garbage := [][]byte{
		{0xff, 0xff, 0xff, 0xff},
		append(sizePrefix(0x7fffffff), 0, 18, 0, 3),
		append(sizePrefix(MaxPreAuthFrame+1), 0, 18, 0, 3),
		append(sizePrefix(64<<20), 0, 3, 0, 12, 0, 0, 0, 1), // a 64 MB metadata request before authenticating
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.Dial("tcp", dc.Addr())
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			c := tlsClient(t, dc, conn, nil)
			if _, err := c.Write(garbage[i%len(garbage)]); err != nil {
				return // closed already: fine
			}
			_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
			if n, err := io.Copy(io.Discard, c); n != 0 || isTimeout(err) {
				t.Errorf("garbage %x: read %d bytes (%v), want the connection closed", garbage[i%len(garbage)][:4], n, err)
			}
		}()
	}
	wg.Wait()
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<30 {
		t.Errorf("100 garbage connections allocated %d MB, want well under 1 GB", alloc>>20)
	} else {
		t.Logf("100 garbage connections allocated %d MB in all", alloc>>20)
	}

	_, adm := adminClient(t, dc)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := adm.CreateTopics(ctx, 1, 1, nil, "still-serving"); err != nil {
		t.Fatalf("after the garbage, the cluster does not serve its admin: %v", err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
