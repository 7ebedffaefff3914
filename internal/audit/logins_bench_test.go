package audit

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
	xscram "github.com/xdg-go/scram"

	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/devcluster"
	"github.com/kafkaguard/kafkaguard/internal/scram"
	"github.com/kafkaguard/kafkaguard/internal/testutil"
	"github.com/kafkaguard/kafkaguard/internal/testutil/devtest"
)

// loginsLimit is the time the audit's logins may take over the floor's
// (x-limit). A floor login is 5 round trips (TCP, TLS, SaslHandshake, two
// SaslAuthenticate); the audit's is 6, because it speaks Kafka as a client
// library does and sends ApiVersions first (6/5 = 1.2 where the network
// dominates), and it sets up a franz-go client per login. 1.5 is that 1.2
// with the 25 % slack the other floors of issue 19 allow.
const loginsLimit = 1.5

// loginsTarget is issue 19's absolute bound: 10k logins at a 5 ms round trip
// (and at 10 ms: 5 ms each way) within a minute.
const loginsTarget = 60 * time.Second

// BenchmarkAuditLogins runs the audit's login verification (LiveLogins, the
// default pool, one TLS session cache per run) for 1k and 10k SCRAM users of
// an in-process dev cluster (TLS, SCRAM-SHA-512, 4096 iterations) behind a
// proxy that delays every byte by half the round trip each way
// (testutil.LatencyProxy), and a floor in the same run: floorLogins, a plain
// loop doing raw SASL logins with the same pool and proxy. Runs alternate,
// best of two each for 1k users; 10k users run once each (their runs are
// long, and 10k logins cost minutes of CPU on a shared machine). Metrics: seconds, logins/s, the fraction of TLS
// handshakes that resumed a session, the floor's seconds, x-floor/x-limit,
// and for 10k users at a round trip of 5 ms or more the 60 s target (target-s).
func BenchmarkAuditLogins(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run("users="+strconv.Itoa(n), func(b *testing.B) {
			if n > 1000 && testing.Short() {
				b.Skip("10k logins take minutes; run without -short")
			}
			env := newLoginsEnv(b, n)
			for _, rtt := range []time.Duration{0, 5 * time.Millisecond, 10 * time.Millisecond} {
				b.Run("rtt="+rtt.String(), func(b *testing.B) {
					proxy := testutil.StartLatencyProxy(b, env.dc.Addr(), rtt/2)
					rounds := 2
					if n > 1000 {
						rounds = 1
					}
					env.run(b, proxy.Addr(), rounds, n >= 10000 && rtt >= 5*time.Millisecond)
				})
			}
		})
	}
}

// loginsEnv is a dev cluster with n SCRAM users and their stored passwords.
type loginsEnv struct {
	dc    *devcluster.Cluster
	admin *cluster.Config
	store *scram.Store
	users []scram.DesiredUser
}

// newLoginsEnv creates the users with one password and salt: what a login
// costs does not depend on it (each login derives the salted password anew
// on the client, and the broker keeps only stored keys), and deriving 10k
// credentials would take longer than the logins.
func newLoginsEnv(b *testing.B, n int) *loginsEnv {
	b.Helper()
	ctx := context.Background()
	dc := devtest.Start(ctx, b)
	cl := devtest.DialAdmin(ctx, b, dc)
	defer cl.Close()
	store, err := scram.OpenStore(b.TempDir()+"/secrets", true)
	if err != nil {
		b.Fatal(err)
	}
	const pw = "bench-login-password-7Hq2"
	cred, err := scram.Derive(scram.SHA512, pw, 4096)
	if err != nil {
		b.Fatal(err)
	}
	env := &loginsEnv{dc: dc, admin: cl.Config(), store: store}
	var batch []cluster.SCRAMUpsert
	for i := range n {
		name := fmt.Sprintf("svc-%05d", i)
		env.users = append(env.users, scram.DesiredUser{Name: name, Mechanism: scram.SHA512, Iterations: 4096})
		if err := os.WriteFile(store.PasswordPath(name), []byte(pw+"\n"), 0o600); err != nil {
			b.Fatal(err)
		}
		batch = append(batch, cluster.SCRAMUpsert{User: name, Mechanism: scram.SHA512, Iterations: 4096, Salt: cred.Salt, SaltedPassword: cred.SaltedPassword})
		if len(batch) == 1000 || i == n-1 {
			res, err := cl.AlterSCRAM(ctx, nil, batch)
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range res {
				if r.Err != nil {
					b.Fatalf("create %s: %v", r.User, r.Err)
				}
			}
			batch = batch[:0]
		}
	}
	return env
}

// run measures the audit's logins and the floor's through addr, alternating.
func (e *loginsEnv) run(b *testing.B, addr string, rounds int, target bool) {
	ctx := context.Background()
	cfg := *e.admin
	cfg.Bootstrap = []string{addr}
	cl, err := cluster.Dial(ctx, &cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	kg, floor := time.Duration(1<<62), time.Duration(1<<62)
	var resumed float64
	for b.Loop() {
		for range rounds {
			sessions := cluster.NewLoginSessions()
			start := time.Now()
			res, err := LiveLogins(cl, e.store, scram.VerifyOptions{Sessions: sessions}).VerifyLogins(ctx, e.users)
			took := time.Since(start)
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range res {
				if !r.OK() {
					b.Fatalf("%s: %s %s", r.User, r.Status, r.Detail)
				}
			}
			if took < kg {
				hs, re := sessions.Stats()
				kg, resumed = took, float64(re)/float64(hs)
			}
			start = time.Now()
			if err := floorLogins(ctx, addr, cfg.TLS, e.store, e.users, scram.DefaultLoginConcurrency); err != nil {
				b.Fatal(err)
			}
			floor = min(floor, time.Since(start))
		}
	}
	n := float64(len(e.users))
	b.ReportMetric(kg.Seconds(), "s")
	b.ReportMetric(n/kg.Seconds(), "logins/s")
	b.ReportMetric(resumed, "resumed")
	b.ReportMetric(floor.Seconds(), "floor-s")
	b.ReportMetric(kg.Seconds()/floor.Seconds(), "x-floor")
	b.ReportMetric(loginsLimit, "x-limit")
	if target {
		b.ReportMetric(loginsTarget.Seconds(), "target-s")
	}
}

// floorLogins is the floor: a plain program that verifies each user's stored
// password with the least a Kafka client can send, workers at a time: TCP,
// TLS (one Go session cache, so it resumes as well as a client can), a
// SaslHandshake v1 and the two SaslAuthenticate v1 of SCRAM (xdg-go/scram,
// as the audit's), then close. No ApiVersions, no client library, no
// reports.
func floorLogins(ctx context.Context, addr string, base *tls.Config, store *scram.Store, users []scram.DesiredUser, workers int) error {
	tc := base.Clone()
	tc.ClientSessionCache = tls.NewLRUClientSessionCache(64)
	if host, _, err := net.SplitHostPort(addr); err == nil && tc.ServerName == "" {
		tc.ServerName = host
	}
	next := make(chan scram.DesiredUser)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range next {
				err := floorLogin(ctx, addr, tc, store, u)
				if err != nil {
					mu.Lock()
					first = cmpOr(first, err)
					mu.Unlock()
				}
			}
		}()
	}
	for _, u := range users {
		next <- u
	}
	close(next)
	wg.Wait()
	return first
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func floorLogin(ctx context.Context, addr string, tc *tls.Config, store *scram.Store, u scram.DesiredUser) error {
	data, err := os.ReadFile(store.PasswordPath(u.Name))
	if err != nil {
		return err
	}
	conv, err := xscram.SHA512.NewClientUnprepped(u.Name, strings.TrimSuffix(string(data), "\n"), "")
	if err != nil {
		return err
	}
	conn, err := (&tls.Dialer{Config: tc}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	k := &floorConn{w: conn, r: bufio.NewReader(conn), f: kmsg.NewRequestFormatter(kmsg.FormatterClientID("floor"))}
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.Version, hs.Mechanism = 1, u.Mechanism
	hsResp := kmsg.NewPtrSASLHandshakeResponse()
	if err := k.roundTrip(hs, hsResp); err != nil {
		return err
	}
	if hsResp.ErrorCode != 0 {
		return fmt.Errorf("handshake error %d", hsResp.ErrorCode)
	}
	c := conv.NewConversation()
	msg, err := c.Step("")
	for err == nil && !c.Done() {
		req := kmsg.NewPtrSASLAuthenticateRequest()
		req.Version, req.SASLAuthBytes = 1, []byte(msg)
		resp := kmsg.NewPtrSASLAuthenticateResponse()
		if err := k.roundTrip(req, resp); err != nil {
			return err
		}
		if resp.ErrorCode != 0 {
			return fmt.Errorf("%s: authenticate error %d", u.Name, resp.ErrorCode)
		}
		msg, err = c.Step(string(resp.SASLAuthBytes))
	}
	if err != nil {
		return err
	}
	if !c.Valid() {
		return errors.New("server signature does not match")
	}
	return nil
}

// floorConn sends one request at a time and reads its answer (non-flexible
// versions: the response header is the correlation ID alone).
type floorConn struct {
	w    io.Writer
	r    *bufio.Reader
	f    *kmsg.RequestFormatter
	corr int32
}

func (k *floorConn) roundTrip(req kmsg.Request, resp kmsg.Response) error {
	k.corr++
	if _, err := k.w.Write(k.f.AppendRequest(nil, req, k.corr)); err != nil {
		return err
	}
	var size [4]byte
	if _, err := io.ReadFull(k.r, size[:]); err != nil {
		return err
	}
	body := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(k.r, body); err != nil {
		return err
	}
	if len(body) < 4 || int32(binary.BigEndian.Uint32(body)) != k.corr {
		return errors.New("answer to another request")
	}
	resp.SetVersion(req.GetVersion())
	return resp.ReadFrom(body[4:])
}
