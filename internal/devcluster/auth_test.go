package devcluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/testutil"
	"github.com/kafkaguard/kafkaguard/pki"
)

func adminClient(t *testing.T, dc *Cluster) (*kgo.Client, *kadm.Client) {
	t.Helper()
	cfg, err := dc.AdminConfig()
	if err != nil {
		t.Fatal(err)
	}
	opts, err := cluster.NewClientOpts(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl, kadm.NewClient(cl)
}

func TestSCRAMUsersLogInAtAnyIterationCountAndWrongPasswordsAreAnswered(t *testing.T) {
	dc, err := Start(context.Background(), Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, adm := adminClient(t, dc)
	type user struct {
		name       string
		mechanism  kadm.ScramMechanism
		iterations int32
	}
	users := []user{{"u4096", kadm.ScramSha512, 4096}, {"u8192", kadm.ScramSha512, 8192}, {"u16384", kadm.ScramSha512, 16384}, {"v8192", kadm.ScramSha256, 8192}}
	var ups []kadm.UpsertSCRAM
	for _, u := range users {
		ups = append(ups, kadm.UpsertSCRAM{User: u.name, Mechanism: u.mechanism, Iterations: u.iterations, Password: "pw-of-" + u.name})
	}
	if res, err := adm.AlterUserSCRAMs(ctx, nil, ups); err != nil || res.Error() != nil {
		t.Fatalf("create users: %v %v", err, res.Error())
	}
	described, err := adm.DescribeUserSCRAMs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		d := described[u.name]
		if len(d.CredInfos) != 1 || d.CredInfos[0].Iterations != u.iterations {
			t.Errorf("%s described as %+v, want its stored %d iterations", u.name, d.CredInfos, u.iterations)
		}
	}
	login := func(u user, password string) error {
		mech := cluster.MechanismSCRAMSHA512
		if u.mechanism == kadm.ScramSha256 {
			mech = cluster.MechanismSCRAMSHA256
		}
		cfg, err := dc.UserConfig(mech, u.name, password)
		if err != nil {
			return err
		}
		cl, err := cluster.Dial(ctx, cfg)
		if err != nil {
			return err
		}
		defer cl.Close()
		_, err = kadm.NewClient(cl.Kgo()).BrokerMetadata(ctx)
		return err
	}
	for _, u := range users {
		if err := login(u, "pw-of-"+u.name); err != nil {
			t.Errorf("%s (%d iterations) does not log in with franz-go: %v", u.name, u.iterations, err)
		}
		// The failure is the broker's answer, so the client stops at once.
		err := login(u, "wrong password")
		if !errors.Is(err, kerr.SaslAuthenticationFailed) || !strings.Contains(err.Error(), "Authentication failed during authentication due to invalid credentials with SASL mechanism") {
			t.Errorf("%s with a wrong password: %v, want SASL_AUTHENTICATION_FAILED with Kafka's message", u.name, err)
		}
	}
	if err := login(user{"nobody", kadm.ScramSha512, 4096}, "x"); !errors.Is(err, kerr.SaslAuthenticationFailed) {
		t.Errorf("unknown user: %v, want SASL_AUTHENTICATION_FAILED", err)
	}
}

// mtlsEnv is a dev cluster and its CA, with topic "analytics-events" that
// principal may WRITE and topic "payments" it may not.
type mtlsEnv struct {
	dc  *Cluster
	ca  *pki.CA
	dir string
	adm *kadm.Client
}

const (
	mtlsTopic   = "analytics-events"
	mtlsDenied  = "payments"
	mtlsDN      = "CN=analytics,OU=data,O=Acme"
	mappingRule = "RULE:^CN=([^,]+),.*$/$1/,DEFAULT"
)

func startMTLSEnv(t *testing.T, dir string, opts Options, principal string) *mtlsEnv {
	t.Helper()
	opts.Dir = dir
	dc, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dc.Close() })
	ca, err := pki.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, adm := adminClient(t, dc)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := adm.CreateTopics(ctx, 1, 1, nil, mtlsTopic, mtlsDenied); err != nil {
		t.Fatal(err)
	}
	if principal != "" {
		res, err := adm.CreateACLs(ctx, kadm.NewACLs().Allow(principal).AllowHosts("*").Topics(mtlsTopic).
			Operations(kadm.OpWrite, kadm.OpDescribe).ResourcePatternType(kadm.ACLPatternLiteral))
		if err != nil || res[0].Err != nil {
			t.Fatalf("create ACL: %v %+v", err, res)
		}
	}
	return &mtlsEnv{dc: dc, ca: ca, dir: dir, adm: adm}
}

func (e *mtlsEnv) issue(t *testing.T, name, dn string) *pki.Issued {
	t.Helper()
	iss, err := e.ca.IssueClient(pki.ClientRequest{Name: name, DN: dn, OutDir: filepath.Join(e.dir, "clients"), Force: true})
	if err != nil {
		t.Fatal(err)
	}
	return iss
}

// produce produces one record as the holder of certPath/keyPath, without SASL.
func (e *mtlsEnv) produce(t *testing.T, certPath, keyPath, topic string, opts ...kgo.Opt) error {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(e.dc.Addr()), kgo.DialTLSConfig(&tls.Config{RootCAs: e.ca.CertPool(), Certificates: []tls.Certificate{pair}}),
		kgo.RecordRetries(2), kgo.RequestRetries(2), kgo.RecordDeliveryTimeout(8 * time.Second)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte("from mTLS")}).FirstErr()
}

func TestMTLSClientIsTheMappedPrincipal(t *testing.T) {
	for _, tc := range []struct {
		name, rules, principal string
	}{
		{"DEFAULT rules: the whole DN", "", "User:" + mtlsDN},
		{"with a mapping rule", mappingRule, "User:analytics"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := startMTLSEnv(t, t.TempDir(), Options{MappingRules: tc.rules}, tc.principal)
			iss := e.issue(t, "analytics", mtlsDN)
			if want, _ := pki.PrincipalFromCert(iss.Cert, tc.rules); want != tc.principal {
				t.Fatalf("pki maps the certificate to %q, want %q", want, tc.principal)
			}
			if err := e.produce(t, iss.CertPath, iss.KeyPath, mtlsTopic); err != nil {
				t.Errorf("franz-go as %s producing to %s: %v", tc.principal, mtlsTopic, err)
			}
			if err := e.produce(t, iss.CertPath, iss.KeyPath, mtlsDenied); !errors.Is(err, kerr.TopicAuthorizationFailed) {
				t.Errorf("franz-go as %s producing to %s: %v, want TOPIC_AUTHORIZATION_FAILED", tc.principal, mtlsDenied, err)
			}
			// The credential the layer logs in with is nobody's business.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			described, err := e.adm.DescribeUserSCRAMs(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(described) != 1 || described[AdminUser].User != AdminUser {
				t.Errorf("DescribeUserScramCredentials shows %v, want only %s", slices.Collect(mapKeys(described)), AdminUser)
			}
			if one, err := e.adm.DescribeUserSCRAMs(ctx, strings.TrimPrefix(tc.principal, "User:")); err != nil || !errors.Is(one[strings.TrimPrefix(tc.principal, "User:")].Err, kerr.ResourceNotFound) {
				t.Errorf("describing the principal by name: %v %v, want RESOURCE_NOT_FOUND", one, err)
			}

			kcat, err := exec.LookPath("kcat")
			if err != nil {
				t.Skip("kcat is not installed")
			}
			base := []string{"-b", e.dc.Addr(), "-X", "security.protocol=SSL", "-X", "ssl.ca.location=" + e.dc.CAPath(),
				"-X", "ssl.certificate.location=" + iss.CertPath, "-X", "ssl.key.location=" + iss.KeyPath, "-m", "10"}
			if _, stderr, err := runClient(t, "one\n", kcat, append(slices.Clone(base), "-P", "-t", mtlsTopic)...); err != nil {
				t.Errorf("kcat as %s producing to %s: %v\n%s", tc.principal, mtlsTopic, err, stderr)
			}
			_, stderr, err := runClient(t, "no\n", kcat, append(slices.Clone(base), "-P", "-t", mtlsDenied)...)
			if err == nil || !strings.Contains(strings.ToLower(stderr), "topic authorization failed") {
				t.Errorf("kcat as %s producing to %s: err=%v, stderr %q; want a topic authorization failure", tc.principal, mtlsDenied, err, stderr)
			}
		})
	}
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestMTLSPrincipalWithoutACLsGetsAuthorizationErrors(t *testing.T) {
	e := startMTLSEnv(t, t.TempDir(), Options{}, "User:"+mtlsDN)
	iss := e.issue(t, "nobody", "CN=nobody,OU=data,O=Acme")
	err := e.produce(t, iss.CertPath, iss.KeyPath, mtlsTopic)
	if !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Errorf("a certificate mapping to a principal without ACLs: %v, want TOPIC_AUTHORIZATION_FAILED (logged in, not authorized)", err)
	}
}

func TestClientCertificatesTheBrokerMustRefuse(t *testing.T) {
	dir := t.TempDir()
	ca, err := pki.Init(dir, pki.InitOptions{CN: "kafkaguard dev CA"})
	if err != nil {
		t.Fatal(err)
	}
	revoked, err := ca.IssueClient(pki.ClientRequest{Name: "revoked", DN: "CN=revoked,O=Acme", OutDir: filepath.Join(dir, "clients")})
	if err != nil {
		t.Fatal(err)
	}
	good, err := ca.IssueClient(pki.ClientRequest{Name: "good", DN: mtlsDN, OutDir: filepath.Join(dir, "clients")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ca.Revoke(pki.RevokeRequest{Name: "revoked", Reason: "keyCompromise"}); err != nil {
		t.Fatal(err)
	}
	crl, _, err := ca.CRL(0)
	if err != nil {
		t.Fatal(err)
	}
	crlPath := filepath.Join(dir, "crl.pem")
	if err := os.WriteFile(crlPath, crl, 0o644); err != nil {
		t.Fatal(err)
	}
	e := startMTLSEnv(t, dir, Options{CRL: crlPath}, "User:"+mtlsDN)

	if err := e.produce(t, good.CertPath, good.KeyPath, mtlsTopic); err != nil {
		t.Fatalf("a valid certificate with --crl: %v", err)
	}
	caPair, err := tls.LoadX509KeyPair(filepath.Join(dir, pki.CACertFile), filepath.Join(dir, "ca-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	caCert := ca.Certificate()
	expired := signedClientCert(t, caCert, caPair.PrivateKey, time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour))
	otherCA := signedClientCert(t, nil, nil, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	revokedPair, err := tls.LoadX509KeyPair(revoked.CertPath, revoked.KeyPath)
	if err != nil {
		t.Fatal(err)
	}
	for name, cert := range map[string]tls.Certificate{"another CA": otherCA, "expired": expired, "revoked (CRL)": revokedPair} {
		conn, err := net.Dial("tcp", e.dc.Addr())
		if err != nil {
			t.Fatal(err)
		}
		// Present the certificate whatever CAs the broker names, as a
		// misconfigured client would.
		c := tls.Client(conn, &tls.Config{RootCAs: ca.CertPool(), ServerName: "127.0.0.1",
			GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }})
		err = c.Handshake()
		if err == nil { // TLS 1.3: the server's verdict arrives with the first read
			_, _ = c.Write(reqFrame(&kmsg.ApiVersionsRequest{Version: 3, ClientSoftwareName: "t", ClientSoftwareVersion: "1"}, 1))
			_, err = c.Read(make([]byte, 1))
		}
		c.Close()
		if err == nil || !strings.Contains(err.Error(), "tls:") {
			t.Errorf("%s client certificate: %v, want a TLS alert from the handshake", name, err)
		}
	}
}

// signedClientCert is a client certificate valid from notBefore to notAfter,
// signed by parent/parentKey, or self-signed (another CA) when parent is nil.
func signedClientCert(t *testing.T, parent *x509.Certificate, parentKey any, notBefore, notAfter time.Time) tls.Certificate {
	t.Helper()
	cert, key := testutil.Cert(t, &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "analytics", Organization: []string{"Acme"}},
		NotBefore: notBefore, NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, parent, parentKey)
	return testutil.TLSCert(cert, key)
}

// TestMissingTopicsAreCreatedOnlyWithCreate is auto.create.topics.enable:
// off by default (a hardened broker), and when on, only for a principal
// allowed CREATE on the topic or the cluster (KafkaApis.getTopicMetadata).
func TestMissingTopicsAreCreatedOnlyWithCreate(t *testing.T) {
	for _, tc := range []struct {
		name       string
		autoCreate bool
		grant      bool // CREATE on the topic
		wantErr    error
	}{
		{"default: off", false, true, kerr.UnknownTopicOrPartition},
		{"on, without CREATE", true, false, kerr.TopicAuthorizationFailed},
		{"on, with CREATE", true, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := startMTLSEnv(t, t.TempDir(), Options{AutoCreateTopics: tc.autoCreate}, "User:"+mtlsDN)
			const missing = "analytics-new"
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			ops := []kadm.ACLOperation{kadm.OpWrite, kadm.OpDescribe}
			if tc.grant {
				ops = append(ops, kadm.OpCreate)
			}
			if res, err := e.adm.CreateACLs(ctx, kadm.NewACLs().Allow("User:"+mtlsDN).AllowHosts("*").Topics(missing).
				Operations(ops...).ResourcePatternType(kadm.ACLPatternLiteral)); err != nil || res[0].Err != nil {
				t.Fatalf("create ACLs: %v %+v", err, res)
			}
			iss := e.issue(t, "analytics", mtlsDN)
			// The producer asks for auto-creation, as Java's does by default.
			err := e.produce(t, iss.CertPath, iss.KeyPath, missing, kgo.AllowAutoTopicCreation())
			if tc.wantErr == nil && err != nil {
				t.Fatalf("producing to a missing topic with CREATE: %v", err)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("producing to a missing topic: %v, want %v", err, tc.wantErr)
			}
			topics, err := e.adm.ListTopics(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if created := topics.Has(missing); created != (tc.wantErr == nil) {
				t.Errorf("topic created: %v, want %v", created, tc.wantErr == nil)
			}
		})
	}
}

// TestRestartKeepsWhatTheLayerLearned: on a data dir, SCRAM users stored
// with more than 4096 iterations still log in after a restart (the layer
// reads kfake's sasl.json), and the mTLS credentials stay hidden.
func TestRestartKeepsWhatTheLayerLearned(t *testing.T) {
	dir, data := t.TempDir(), filepath.Join(t.TempDir(), "data")
	e := startMTLSEnv(t, dir, Options{DataDir: data}, "User:"+mtlsDN)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if res, err := e.adm.AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{{User: "u16384", Mechanism: kadm.ScramSha512, Iterations: 16384, Password: "pw-of-u16384"}}); err != nil || res.Error() != nil {
		t.Fatalf("create user: %v %v", err, res.Error())
	}
	iss := e.issue(t, "analytics", mtlsDN)
	if err := e.produce(t, iss.CertPath, iss.KeyPath, mtlsTopic); err != nil {
		t.Fatalf("mTLS before the restart: %v", err)
	}
	e.dc.Close()

	dc, err := Start(ctx, Options{Dir: dir, DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	e.dc = dc
	if err := e.produce(t, iss.CertPath, iss.KeyPath, mtlsTopic); err != nil {
		t.Errorf("mTLS after the restart: %v", err)
	}
	cfg, err := dc.UserConfig(cluster.MechanismSCRAMSHA512, "u16384", "pw-of-u16384")
	if err != nil {
		t.Fatal(err)
	}
	if err := cluster.LoginSCRAM(ctx, cfg); err != nil {
		t.Errorf("u16384 after the restart: %v", err)
	}
	_, adm := adminClient(t, dc)
	described, err := adm.DescribeUserSCRAMs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(mapKeys(described)); !slices.Equal(got, []string{AdminUser, "u16384"}) {
		t.Errorf("after the restart DescribeUserScramCredentials shows %v, want [admin u16384]", got)
	}
}

func TestClientAuthRequiredRefusesClientsWithoutACertificate(t *testing.T) {
	e := startMTLSEnv(t, t.TempDir(), Options{ClientAuth: ClientAuthRequired}, "User:"+mtlsDN)
	iss := e.issue(t, "analytics", mtlsDN)
	if err := e.produce(t, iss.CertPath, iss.KeyPath, mtlsTopic); err != nil {
		t.Fatalf("with a certificate: %v", err)
	}
	conn, err := net.Dial("tcp", e.dc.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := tls.Client(conn, &tls.Config{RootCAs: e.ca.CertPool(), ServerName: "127.0.0.1"})
	err = c.Handshake()
	if err == nil { // TLS 1.3: the server's verdict arrives with the first read
		_, _ = c.Write(reqFrame(&kmsg.ApiVersionsRequest{Version: 3, ClientSoftwareName: "t", ClientSoftwareVersion: "1"}, 1))
		_, err = c.Read(make([]byte, 1))
	}
	if err == nil || !strings.Contains(err.Error(), "tls:") {
		t.Errorf("without a certificate under ssl.client.auth=required: %v, want a TLS alert", err)
	}
}
