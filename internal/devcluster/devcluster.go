// Package devcluster runs an embedded, secured Kafka cluster on kfake for
// `kafkaguard dev up`, the demo and tests: TLS with a broker certificate from
// a local CA, SASL/SCRAM-SHA-512 with a superuser "admin", and ACLs enforced.
package devcluster

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
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
	Notify func(note string)
	// Logger receives kfake's warnings and errors; nil discards them.
	Logger io.Writer
	// BrokerCert and BrokerKey, when both set, are the PEM certificate
	// (leaf + chain) and key the broker serves, e.g. one issued with
	// `kafkaguard pki issue broker`; it must chain to the CA in Dir. When
	// empty, Start issues a fresh one into Dir/broker.
	BrokerCert, BrokerKey string
	// ExtraOpts are added to kfake's options (tests).
	ExtraOpts []kfake.Opt
}

// Cluster is a running dev cluster.
type Cluster struct {
	kf        *kfake.Cluster
	addr      string
	dir       string
	caPath    string
	propsPath string
	password  string
}

// Start starts a one-broker cluster listening with TLS and SASL/SCRAM-SHA-512
// and ACL enforcement, and writes Dir/admin.properties (mode 0600) for the
// superuser. The admin password is generated once (192 bits from
// crypto/rand) and reused from an existing admin.properties.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.Dir == "" {
		return nil, errors.New("dev cluster: no directory given")
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
	propsPath := filepath.Join(opts.Dir, AdminPropertiesFile)
	password, err := adminPassword(propsPath)
	if err != nil {
		return nil, err
	}

	kopts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.EnableSASL(),
		kfake.Superuser(Mechanism, AdminUser, password),
		kfake.EnableACLs(),
		kfake.ClusterID("kafkaguard-dev"),
		kfake.DefaultNumPartitions(1),
		kfake.AllowAutoTopicCreation(), // as Kafka's auto.create.topics.enable=true default
		kfake.ListenFn(listenFn(host, tlsCfg)),
	}
	if port != 0 {
		kopts = append(kopts, kfake.Ports(port))
	}
	if opts.DataDir != "" {
		note, err := privateDataDir(opts.DataDir)
		if err != nil {
			return nil, err
		}
		if note != "" && opts.Notify != nil {
			opts.Notify(note)
		}
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
	if err := c.writeAdminProperties(); err != nil {
		kf.Close()
		return nil, err
	}
	_ = ctx
	return c, nil
}

// privateDataDir creates dir with mode 0700, or makes an existing dir 0700
// when group or others have any access to it, and then says so. kfake writes
// sasl.json (the superuser's salted password, which logs in as well as the
// password does with SCRAM) and every other file 0644, and its directories
// 0755, whatever we ask: a data dir only its owner can enter is what keeps
// them from other local users. Windows has no such mode bits; there nothing
// is checked.
func privateDataDir(dir string) (note string, err error) {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", fmt.Errorf("dev cluster: data dir: %w", err)
		}
		if runtime.GOOS != "windows" {
			// MkdirAll's mode passes through the umask, which only removes bits.
			if err := os.Chmod(dir, 0o700); err != nil {
				return "", fmt.Errorf("dev cluster: data dir: %w", err)
			}
		}
		return "", nil
	case err != nil:
		return "", fmt.Errorf("dev cluster: data dir: %w", err)
	case !fi.IsDir():
		return "", fmt.Errorf("dev cluster: data dir %s is not a directory", dir)
	case runtime.GOOS == "windows" || fi.Mode().Perm()&0o077 == 0:
		return "", nil
	}
	was := fi.Mode().Perm()
	if err := os.Chmod(dir, 0o700); err != nil {
		return "", fmt.Errorf("dev cluster: data dir %s is mode %04o, so other local users can read the superuser's SCRAM credential kfake keeps there, and it cannot be made 0700: %w", dir, was, err)
	}
	note = fmt.Sprintf("data dir %s was mode %04o: changed to 0700, as it holds the superuser's SCRAM credential", dir, was)
	if _, err := os.Stat(filepath.Join(dir, "sasl.json")); err == nil {
		note += " (other local users could read it until now: for a new admin password, start over with an empty --dir and --data-dir)"
	}
	return note, nil
}

// listenFn is the single place where the broker's TLS is set up: through the
// compatibility listener (compat.go), which terminates TLS and fixes kfake's
// SASL answers for librdkafka and KafkaJS clients. To serve plain kfake TLS
// instead, return net.Listen's listener here and pass kfake.TLS(tlsCfg).
func listenFn(host string, tlsCfg *tls.Config) func(network, address string) (net.Listener, error) {
	inner := CompatListenFn(tlsCfg, []string{cluster.MechanismSCRAMSHA256, cluster.MechanismSCRAMSHA512})
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
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
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
		ClientAuth:   tls.VerifyClientCertIfGiven,
		ClientCAs:    ca.CertPool(),
	}, ca.CertPath(), nil
}
