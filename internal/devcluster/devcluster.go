// Package devcluster runs an embedded, secured Kafka cluster on kfake for
// `kafkaguard dev up`, the demo and tests: TLS with a broker certificate from
// a local CA, SASL/SCRAM-SHA-512 with a superuser "admin", and ACLs enforced.
package devcluster

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/fsutil"
	"github.com/kafkaguard/kafkaguard/pki"
)

// AdminUser is the dev cluster's SCRAM-SHA-512 superuser.
const AdminUser = "admin"

// Mechanism is the SASL mechanism of the admin user.
const Mechanism = cluster.MechanismSCRAMSHA512

// AdminPropertiesFile is the name of the admin client properties file in Dir.
const AdminPropertiesFile = "admin.properties"

// Options configure Start.
type Options struct {
	// Dir holds the CA (created with pki.Init when absent), the broker
	// certificate (Dir/broker) and admin.properties. Required.
	Dir string
	// Listen is the address to listen on; "127.0.0.1:0" (a free port) when empty.
	Listen string
	// DataDir, when set, persists topics, ACLs and SCRAM users across
	// restarts. It holds the superuser's salted SCRAM credential (enough to
	// log in as it), and kfake writes its files 0644 and directories 0755,
	// so Start creates it 0700 and makes an existing one 0700 (telling
	// Notify): only its owner can reach anything in it.
	DataDir string
	// Notify receives notes for the person running the cluster, e.g. that
	// the data dir's mode was tightened; nil discards them.
	Notify func(note Note)
	// Logger receives kfake's warnings and errors; nil discards them.
	Logger io.Writer
	// BrokerCert and BrokerKey, when both set, are the PEM certificate
	// (leaf + chain) and key the broker serves, e.g. one issued with
	// `kafkaguard pki issue broker`; it must chain to the CA in Dir. When
	// empty, Start issues a fresh one into Dir/broker.
	BrokerCert, BrokerKey string
	// ClientAuth is the listener's ssl.client.auth: "required",
	// "requested" (the default when empty) or "none". A client certificate
	// must chain to the CA in Dir (and, with CRL, not be revoked); a client
	// that presents one and does not use SASL is the principal Kafka
	// derives from it.
	ClientAuth string
	// MappingRules are ssl.principal.mapping.rules for client certificates;
	// "" is Kafka's DEFAULT.
	MappingRules string
	// CRL, when set, is a PEM or DER CRL signed by the CA in Dir: client
	// certificates it lists are refused at the TLS handshake.
	CRL string
	// AutoCreateTopics is auto.create.topics.enable (off by default, as on
	// a hardened broker). When on, a metadata request creates a missing
	// topic only for a principal allowed CREATE on it or on the cluster.
	AutoCreateTopics bool
	// HandshakeTimeout bounds a connection's TLS handshake and
	// authentication; DefaultHandshakeTimeout when zero.
	HandshakeTimeout time.Duration
	// ExtraOpts are added to kfake's options (tests).
	ExtraOpts []kfake.Opt
}

// Client authentication settings (ssl.client.auth).
const (
	ClientAuthRequired  = "required"
	ClientAuthRequested = "requested"
	ClientAuthNone      = "none"
)

// Cluster is a running dev cluster.
type Cluster struct {
	kf        *kfake.Cluster
	addr      string
	dir       string
	caPath    string
	propsPath string
	password  string
	// adminCert and adminKey are the superuser's client certificate and
	// key, with ClientAuth "required" (every client then needs one).
	adminCert, adminKey string
}

// Start starts a one-broker cluster listening with TLS and SASL/SCRAM-SHA-512
// and ACL enforcement, and writes Dir/admin.properties (mode 0600) for the
// superuser. The admin password is generated once (192 bits from
// crypto/rand) and reused from an existing admin.properties.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.Dir == "" {
		return nil, errors.New("dev cluster: no directory given")
	}
	// A directory others may write could hold a planted admin.properties:
	// its password would become the superuser's.
	if err := fsutil.CheckDirNotWritableByOthers(opts.Dir, "dev cluster dir"); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("dev cluster: %w", err)
	}
	listen := opts.Listen
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	host, portStr, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("dev cluster: listen address %q: %w", listen, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("dev cluster: listen port %q: %w", portStr, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	if !slices.Contains(hosts, host) {
		hosts = append(hosts, host)
	}
	tlsCfg, caPath, err := brokerTLS(opts.Dir, hosts, opts.BrokerCert, opts.BrokerKey)
	if err != nil {
		return nil, fmt.Errorf("dev cluster: CA in %s: %w", opts.Dir, err)
	}
	if err := clientAuth(tlsCfg, opts.ClientAuth, opts.CRL, caPath); err != nil {
		return nil, fmt.Errorf("dev cluster: %w", err)
	}
	propsPath := filepath.Join(opts.Dir, AdminPropertiesFile)
	password, err := adminPassword(propsPath)
	if err != nil {
		return nil, err
	}
	if opts.DataDir != "" {
		note, err := privateDataDir(opts.DataDir)
		if err != nil {
			return nil, err
		}
		if note.Text != "" && opts.Notify != nil {
			opts.Notify(note)
		}
	}
	auth, err := NewAuthenticator(AuthOptions{
		Mechanisms: []string{cluster.MechanismSCRAMSHA256, cluster.MechanismSCRAMSHA512},
		AdminUser:  AdminUser, AdminPassword: password, DataDir: opts.DataDir,
		MappingRules: opts.MappingRules, NoCertPrincipals: opts.ClientAuth == ClientAuthNone,
		AutoCreateTopics: opts.AutoCreateTopics,
	})
	if err != nil {
		return nil, fmt.Errorf("dev cluster: %w", err)
	}
	layer := CompatOptions{
		TLS: tlsCfg, Mechanisms: []string{cluster.MechanismSCRAMSHA256, cluster.MechanismSCRAMSHA512},
		Auth: auth, HandshakeTimeout: opts.HandshakeTimeout,
	}
	if opts.Logger != nil {
		layer.Logf = func(format string, args ...any) { fmt.Fprintf(opts.Logger, format+"\n", args...) }
	}

	kopts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.EnableSASL(),
		kfake.Superuser(Mechanism, AdminUser, password),
		kfake.EnableACLs(),
		kfake.ClusterID("kafkaguard-dev"),
		kfake.DefaultNumPartitions(1),
		// No kfake.AllowAutoTopicCreation: kfake would create for anyone;
		// the layer creates for principals allowed to (AutoCreateTopics).
		kfake.ListenFn(listenFn(host, layer)),
	}
	if port != 0 {
		kopts = append(kopts, kfake.Ports(port))
	}
	if opts.DataDir != "" {
		kopts = append(kopts, kfake.DataDir(opts.DataDir))
	}
	if opts.Logger != nil {
		kopts = append(kopts, kfake.WithLogger(kfake.BasicLogger(opts.Logger, kfake.LogLevelWarn)))
	}
	kopts = append(kopts, opts.ExtraOpts...)
	kf, err := kfake.NewCluster(kopts...)
	if err != nil {
		return nil, fmt.Errorf("dev cluster: start on %s: %w", listen, err)
	}
	addrs := kf.ListenAddrs()
	if len(addrs) == 0 {
		kf.Close()
		return nil, errors.New("dev cluster: kfake reports no listen address")
	}
	c := &Cluster{kf: kf, addr: addrs[0], dir: opts.Dir, caPath: caPath, propsPath: propsPath, password: password}
	if opts.ClientAuth == ClientAuthRequired {
		if err := c.issueAdminCert(); err != nil {
			kf.Close()
			return nil, err
		}
	}
	if err := c.writeAdminProperties(); err != nil {
		kf.Close()
		return nil, err
	}
	_ = ctx
	return c, nil
}

// Note is something the person running the cluster should know (Notify).
type Note struct {
	Text string
	// Exposed: other local users could read the superuser's SCRAM
	// credential until now, so the admin password is as good as known.
	Exposed bool
}

// privateDataDir creates dir with mode 0700, or makes an existing dir 0700
// when group or others have any access to it, and then says so. kfake writes
// sasl.json (the superuser's salted password, which logs in as well as the
// password does with SCRAM) and every other file 0644, and its directories
// 0755, whatever we ask: a data dir only its owner can enter is what keeps
// them from other local users. Windows has no such mode bits; there nothing
// is checked.
func privateDataDir(dir string) (note Note, err error) {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return Note{}, fmt.Errorf("dev cluster: data dir: %w", err)
		}
		if runtime.GOOS != "windows" {
			// MkdirAll's mode passes through the umask, which only removes bits.
			if err := os.Chmod(dir, 0o700); err != nil {
				return Note{}, fmt.Errorf("dev cluster: data dir: %w", err)
			}
		}
		return Note{}, nil
	case err != nil:
		return Note{}, fmt.Errorf("dev cluster: data dir: %w", err)
	case !fi.IsDir():
		return Note{}, fmt.Errorf("dev cluster: data dir %s is not a directory", dir)
	case runtime.GOOS == "windows" || fi.Mode().Perm()&0o077 == 0:
		return Note{}, nil
	}
	was := fi.Mode().Perm()
	if err := os.Chmod(dir, 0o700); err != nil {
		return Note{}, fmt.Errorf("dev cluster: data dir %s is mode %04o, so other local users can read the superuser's SCRAM credential kfake keeps there, and it cannot be made 0700: %w", dir, was, err)
	}
	note.Text = fmt.Sprintf("data dir %s was mode %04o: changed to 0700, as it holds the superuser's SCRAM credential", dir, was)
	if _, err := os.Stat(filepath.Join(dir, "sasl.json")); err == nil {
		note.Text += " (other local users could read it until now)"
		note.Exposed = true
	}
	return note, nil
}

// listenFn is the single place where the broker's listener is set up:
// through the compatibility layer (compat.go, auth.go), which terminates TLS,
// caps frames and authenticates clients as a Kafka broker does.
func listenFn(host string, layer CompatOptions) func(network, address string) (net.Listener, error) {
	inner := CompatListenFn(layer)
	return func(network, address string) (net.Listener, error) {
		_, port, err := net.SplitHostPort(address)
		if err != nil {
			return nil, err
		}
		return inner(network, net.JoinHostPort(host, port))
	}
}

// Addr is the broker's host:port.
func (c *Cluster) Addr() string { return c.addr }

// AdminProperties is the path of Dir/admin.properties.
func (c *Cluster) AdminProperties() string { return c.propsPath }

// CAPath is the path of the CA certificate (PEM) clients trust.
func (c *Cluster) CAPath() string { return c.caPath }

// Kfake is the underlying fake cluster, for tests (ControlKey hooks).
func (c *Cluster) Kfake() *kfake.Cluster { return c.kf }

// AdminConfig is the connection configuration of the superuser.
func (c *Cluster) AdminConfig() (*cluster.Config, error) {
	return cluster.LoadConfig("", c.propsPath)
}

// UserConfig is a connection configuration for another SCRAM user of the
// cluster, with the same TLS trust as the admin.
func (c *Cluster) UserConfig(mechanism, user, password string) (*cluster.Config, error) {
	admin, err := c.AdminConfig()
	if err != nil {
		return nil, err
	}
	return admin.WithUser(mechanism, user, password), nil
}

// AdminClientCert returns the superuser's client certificate and key files,
// or "" when the listener does not require client certificates.
func (c *Cluster) AdminClientCert() (cert, key string) { return c.adminCert, c.adminKey }

// issueAdminCert gives the superuser a client certificate from the CA in
// Dir, for a listener with ssl.client.auth=required (its SASL login still
// decides its principal), and a PEM keystore holding certificate and key.
func (c *Cluster) issueAdminCert() error {
	ca, err := pki.Open(c.dir)
	if err != nil {
		return fmt.Errorf("dev cluster: %w", err)
	}
	out := filepath.Join(c.dir, "admin-client")
	iss, err := ca.IssueClient(pki.ClientRequest{Name: AdminUser, DN: "CN=" + AdminUser + ",OU=kafkaguard dev", OutDir: out, Force: true})
	if err != nil {
		return fmt.Errorf("dev cluster: issue the admin's client certificate: %w", err)
	}
	c.adminCert, c.adminKey = iss.CertPath, iss.KeyPath
	return nil
}

// Close stops the cluster. admin.properties and the CA stay.
func (c *Cluster) Close() error {
	c.kf.Close()
	return nil
}

func (c *Cluster) writeAdminProperties() error {
	caAbs, err := filepath.Abs(c.caPath)
	if err != nil {
		return fmt.Errorf("dev cluster: %w", err)
	}
	var b strings.Builder
	b.WriteString("# kafkaguard dev cluster: the superuser's client properties. Keep this file secret.\n")
	// Java reads this file as ISO-8859-1: every value is escaped.
	prop := func(k, v string) { fmt.Fprintf(&b, "%s=%s\n", k, cluster.EscapePropertyValue(v)) }
	prop("bootstrap.servers", c.addr)
	prop("security.protocol", "SASL_SSL")
	prop("sasl.mechanism", Mechanism)
	prop("sasl.jaas.config", fmt.Sprintf("org.apache.kafka.common.security.scram.ScramLoginModule required username=\"%s\" password=\"%s\";", AdminUser, c.password))
	prop("ssl.truststore.type", "PEM")
	prop("ssl.truststore.location", caAbs)
	if c.adminCert != "" {
		// Inline PEM (ssl.keystore.certificate.chain + ssl.keystore.key, KIP-651).
		certPEM, err := os.ReadFile(c.adminCert)
		if err != nil {
			return fmt.Errorf("dev cluster: %w", err)
		}
		keyPEM, err := os.ReadFile(c.adminKey)
		if err != nil {
			return fmt.Errorf("dev cluster: %w", err)
		}
		prop("ssl.keystore.type", "PEM")
		prop("ssl.keystore.certificate.chain", string(certPEM))
		prop("ssl.keystore.key", string(keyPEM))
	}
	if err := fsutil.WriteFileAtomic(c.propsPath, []byte(b.String()), fsutil.SecretPerm); err != nil {
		return fmt.Errorf("dev cluster: %w", err)
	}
	return nil
}

// adminPassword reuses the password of an existing admin.properties, so a
// cluster restarted on the same DataDir keeps its superuser, or generates one.
func adminPassword(propsPath string) (string, error) {
	if cfg, err := cluster.LoadConfig("", propsPath); err == nil && cfg.Username == AdminUser && cfg.Password() != "" {
		return cfg.Password(), nil
	}
	buf := make([]byte, 24)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("dev cluster: generate admin password: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(buf), nil
}

// brokerTLS opens the CA in dir (creating it with pki.Init when absent) and
// serves certFile/keyFile, or, when those are empty, a fresh broker
// certificate for hosts issued into dir/broker.
func brokerTLS(dir string, hosts []string, certFile, keyFile string) (*tls.Config, string, error) {
	if (certFile == "") != (keyFile == "") {
		return nil, "", errors.New("a broker certificate needs both its certificate and its key file")
	}
	ca, err := pki.Open(dir)
	if err != nil {
		if _, statErr := os.Stat(filepath.Join(dir, pki.CACertFile)); !errors.Is(statErr, fs.ErrNotExist) {
			return nil, "", err
		}
		if ca, err = pki.Init(dir, pki.InitOptions{CN: "kafkaguard dev CA"}); err != nil {
			return nil, "", err
		}
	}
	if certFile == "" {
		iss, err := ca.IssueBroker(pki.BrokerRequest{Name: "dev-broker", Hosts: hosts, OutDir: filepath.Join(dir, "broker"), Force: true})
		if err != nil {
			return nil, "", fmt.Errorf("issue broker certificate: %w", err)
		}
		certFile, keyFile = iss.CertPath, iss.KeyPath
	}
	pair, err := loadKeyPair(certFile, keyFile)
	if err != nil {
		return nil, "", fmt.Errorf("load broker certificate %s: %w", certFile, err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, "", fmt.Errorf("load broker certificate %s: %w", certFile, err)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: ca.CertPool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		return nil, "", fmt.Errorf("broker certificate %s does not chain to the CA %s: %w", certFile, ca.CertPath(), err)
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{pair},
		ClientCAs:    ca.CertPool(),
	}, ca.CertPath(), nil
}

// clientAuth sets how the listener asks for client certificates
// (ssl.client.auth) and, with crlPath, refuses revoked ones.
func clientAuth(cfg *tls.Config, mode, crlPath, caPath string) error {
	switch mode {
	case "", ClientAuthRequested:
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	case ClientAuthRequired:
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	case ClientAuthNone:
		cfg.ClientAuth = tls.NoClientCert
	default:
		return fmt.Errorf("ssl.client.auth %q: want required, requested or none", mode)
	}
	if crlPath == "" {
		return nil
	}
	crl, err := loadCRL(crlPath, caPath)
	if err != nil {
		return err
	}
	cfg.VerifyPeerCertificate = func(_ [][]byte, chains [][]*x509.Certificate) error {
		for _, chain := range chains {
			for _, c := range chain {
				for _, e := range crl.RevokedCertificateEntries {
					if e.SerialNumber.Cmp(c.SerialNumber) == 0 && bytes.Equal(c.RawIssuer, crl.RawIssuer) {
						return fmt.Errorf("certificate %s (serial %x) is revoked", pki.RFC2253(c.RawSubject), c.SerialNumber)
					}
				}
			}
		}
		return nil
	}
	return nil
}

// loadCRL reads a PEM or DER CRL and checks that the CA in caPath signed it.
func loadCRL(path, caPath string) (*x509.RevocationList, error) {
	b, err := fsutil.ReadFileLimit(path, pki.MaxCRLBytes, "a CRL")
	if err != nil {
		return nil, fmt.Errorf("crl: %w", err)
	}
	if blk, _ := pem.Decode(b); blk != nil {
		if blk.Type != "X509 CRL" {
			return nil, fmt.Errorf("crl %s: PEM block %q, want X509 CRL", path, blk.Type)
		}
		b = blk.Bytes
	}
	crl, err := x509.ParseRevocationList(b)
	if err != nil {
		return nil, fmt.Errorf("crl %s: %w", path, err)
	}
	caPEM, err := os.ReadFile(caPath)
	if err != nil {
		return nil, fmt.Errorf("crl: %w", err)
	}
	ca, err := pki.ParseCertificatePEM(caPEM)
	if err != nil {
		return nil, fmt.Errorf("crl: CA %s: %w", caPath, err)
	}
	if err := crl.CheckSignatureFrom(ca); err != nil {
		return nil, fmt.Errorf("crl %s is not signed by the CA %s: %w", path, caPath, err)
	}
	return crl, nil
}
