package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/template"

	ucli "github.com/urfave/cli/v2"

	"github.com/kafkaguard/kafkaguard/internal/devcluster"
	"github.com/kafkaguard/kafkaguard/internal/fsutil"
	"github.com/kafkaguard/kafkaguard/inventory"
)

// adminLibrdkafkaFile is the superuser's librdkafka config (kcat -F), written
// next to devcluster.AdminPropertiesFile.
const adminLibrdkafkaFile = "admin.librdkafka.properties"

// devSignals stop `dev up` cleanly.
var devSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}

func devCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "dev",
		Usage:     "run an embedded, secured Kafka cluster for development",
		UsageText: "kafkaguard dev up [--dir DIR] [--listen HOST:PORT] [--data-dir DIR] [--broker-cert FILE --broker-key FILE]",
		Description: `The dev cluster is kfake (an in-process Kafka) with what a production
cluster has: TLS with a certificate from a local CA, SASL/SCRAM-SHA-512 with a
superuser "admin", and ACLs enforced. Any Kafka client can use it: franz-go,
Java, librdkafka (kcat, confluent-kafka) and KafkaJS.

Examples:
  kafkaguard dev up
  kafkaguard dev up --dir ./dev --listen 127.0.0.1:19092 --data-dir ./dev/data`,
		Subcommands: []*ucli.Command{devUpCommand(e)},
	}
}

func devUpCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "up",
		Usage:     "start the dev cluster and print how to connect to it",
		UsageText: "kafkaguard dev up [--dir DIR] [--listen HOST:PORT] [--data-dir DIR] [--broker-cert FILE --broker-key FILE] [--client-auth MODE] [--ssl-principal-mapping-rules RULES | -f INVENTORY] [--crl FILE] [--auto-create-topics]",
		Description: `Starts a one-broker cluster and prints its bootstrap address and ready-to-paste
settings for kafkaguard, kcat, librdkafka, KafkaJS and Java clients. It runs
until interrupted (Ctrl-C, SIGTERM) and then shuts down cleanly.

DIR holds the local CA (ca.pem), admin.properties (the superuser's Java
client.properties) and admin.librdkafka.properties (the same for librdkafka),
both mode 0600; the admin password is generated on first start and kept in
them, never printed. Without --data-dir, topics, ACLs and users live in
memory only. --data-dir DIR is created mode 0700, and an existing one is made
0700 (with a note): it holds the superuser's salted SCRAM credential. The
broker serves a certificate it issues from the CA in DIR, or the one given
with --broker-cert and --broker-key (e.g. from 'kafkaguard pki issue broker'),
which must chain to that CA.

Examples:
  kafkaguard dev up
  kafkaguard dev up --listen 127.0.0.1:0            # any free port
  kafkaguard dev up --dir ./dev --data-dir ./dev/data
  kafkaguard dev up --dir ./ca --broker-cert ./ca/issued/broker-0.pem --broker-key ./ca/issued/broker-0-key.pem
  kafkaguard dev up -f examples/inventory/            # the inventory's ssl.principal.mapping.rules
  kafkaguard dev up --ssl-principal-mapping-rules 'RULE:^CN=([^,]+),.*$/$1/,DEFAULT' --crl ./crl.pem
  kcat -F .kafkaguard/dev/admin.librdkafka.properties -L

Clients authenticate as on a broker: SCRAM users at their stored iteration
count (a wrong password is answered SASL_AUTHENTICATION_FAILED), and a client
that presents a certificate issued by the CA in DIR ('kafkaguard pki issue
client') without SASL is the principal 'kafkaguard pki principal' shows:
its RFC 2253 subject through --ssl-principal-mapping-rules. Topics are not
auto-created unless --auto-create-topics is given, and then only for a
principal allowed CREATE. Frames over 512 KB before authentication or over
100 MB at any time close the connection, as on Kafka.`,
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "dir", Value: filepath.Join(".kafkaguard", "dev"), Usage: "directory for the CA and the admin client configs", EnvVars: envVars("dir")},
			&ucli.StringFlag{Name: "listen", Value: "127.0.0.1:9092", Usage: "address to listen on (port 0: any free port)", EnvVars: envVars("listen")},
			&ucli.StringFlag{Name: "data-dir", Usage: "keep topics, ACLs and users in `DIR` across restarts", EnvVars: envVars("data-dir")},
			&ucli.StringFlag{Name: "broker-cert", Usage: "serve this PEM broker certificate `FILE` (leaf + chain) instead of issuing one", EnvVars: envVars("broker-cert")},
			&ucli.StringFlag{Name: "broker-key", Usage: "the broker certificate's key `FILE`", EnvVars: envVars("broker-key")},
			&ucli.StringFlag{Name: "client-auth", Value: devcluster.ClientAuthRequested, Usage: "ssl.client.auth: required, requested or none", EnvVars: envVars("client-auth")},
			&ucli.StringFlag{Name: "ssl-principal-mapping-rules", Usage: "ssl.principal.mapping.rules for client certificates (default: the inventory's with -f, else DEFAULT)", EnvVars: envVars("ssl-principal-mapping-rules")},
			&ucli.StringSliceFlag{Name: "file", Aliases: []string{"f"}, Usage: "inventory `FILE` or directory whose cluster.ssl_principal_mapping_rules the broker uses (repeatable)", EnvVars: envVars("file")},
			&ucli.StringFlag{Name: "crl", Usage: "refuse client certificates revoked in this CRL `FILE` (PEM or DER, from 'kafkaguard pki crl')", EnvVars: envVars("crl")},
			&ucli.BoolFlag{Name: "auto-create-topics", Usage: "auto.create.topics.enable: create a missing topic on metadata requests of principals allowed CREATE", EnvVars: envVars("auto-create-topics")},
		},
		Action: withoutArgs("dev up takes no arguments, got %q", func(c *ucli.Context) error {
			rules := c.String("ssl-principal-mapping-rules")
			if files := c.StringSlice("file"); len(files) > 0 && !c.IsSet("ssl-principal-mapping-rules") {
				inv, err := inventory.Load(files...)
				if err != nil {
					return err
				}
				rules = inv.Cluster.SSLPrincipalMappingRules
			}
			ctx, stop := signal.NotifyContext(c.Context, devSignals...)
			defer stop()
			return devUp(ctx, e, devcluster.Options{
				Dir:        c.String("dir"),
				Listen:     c.String("listen"),
				DataDir:    c.String("data-dir"),
				BrokerCert: c.String("broker-cert"),
				BrokerKey:  c.String("broker-key"),
				ClientAuth: c.String("client-auth"), MappingRules: rules,
				CRL: c.String("crl"), AutoCreateTopics: c.Bool("auto-create-topics"),
				Logger: verboseWriter(c, e.stderr),
				Notify: func(note devcluster.Note) { e.devNote(note) },
			})
		}),
	}
}

// verboseWriter is w with --verbose and nil without.
func verboseWriter(c *ucli.Context, w io.Writer) io.Writer {
	if c.Bool("verbose") {
		return w
	}
	return nil
}

// devUp starts the cluster, prints how to connect, and blocks until ctx ends.
func devUp(ctx context.Context, e *env, opts devcluster.Options) error {
	dc, err := devcluster.Start(ctx, opts)
	if err != nil {
		return err // devcluster's errors already say "dev cluster: ..."; errors.go hints a port in use
	}
	stopped := false
	defer func() {
		if !stopped {
			dc.Close()
		}
	}()

	rdkPath := filepath.Join(filepath.Dir(dc.AdminProperties()), adminLibrdkafkaFile)
	if err := writeAdminLibrdkafka(dc, rdkPath); err != nil {
		return err
	}
	abs := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	if err := devUpTemplate.Execute(e.stdout, devUpInfo{
		Addr:       dc.Addr(),
		CA:         abs(dc.CAPath()),
		Admin:      abs(dc.AdminProperties()),
		Librdkafka: abs(rdkPath),
		User:       devcluster.AdminUser,
		Mechanism:  devcluster.Mechanism,
	}); err != nil {
		return fmt.Errorf("print connection settings: %w", err)
	}
	fmt.Fprintf(e.stderr, "dev cluster listening on %s; press Ctrl-C to stop\n", dc.Addr())
	<-ctx.Done()
	fmt.Fprintln(e.stderr, "stopping dev cluster")
	stopped = true
	if err := dc.Close(); err != nil {
		return fmt.Errorf("stop dev cluster: %w", err)
	}
	fmt.Fprintln(e.stderr, "dev cluster stopped")
	return nil
}

// writeAdminLibrdkafka writes the superuser's librdkafka properties (0600)
// from admin.properties, so the password is read from a file, never printed.
func writeAdminLibrdkafka(dc *devcluster.Cluster, path string) error {
	cfg, err := dc.AdminConfig()
	if err != nil {
		return fmt.Errorf("read %s: %w", dc.AdminProperties(), err)
	}
	ca, err := filepath.Abs(dc.CAPath())
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# kafkaguard dev cluster: librdkafka config for the superuser %s, e.g. kcat -F this-file. Keep it secret.\n", cfg.Username)
	fmt.Fprintf(&b, "bootstrap.servers=%s\n", dc.Addr())
	b.WriteString("security.protocol=sasl_ssl\n")
	fmt.Fprintf(&b, "sasl.mechanisms=%s\n", cfg.SASLMechanism)
	fmt.Fprintf(&b, "sasl.username=%s\n", cfg.Username)
	fmt.Fprintf(&b, "sasl.password=%s\n", cfg.Password())
	fmt.Fprintf(&b, "ssl.ca.location=%s\n", ca)
	if cert, key := dc.AdminClientCert(); cert != "" { // --client-auth required
		certAbs, err1 := filepath.Abs(cert)
		keyAbs, err2 := filepath.Abs(key)
		if err := errors.Join(err1, err2); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		fmt.Fprintf(&b, "ssl.certificate.location=%s\nssl.key.location=%s\n", certAbs, keyAbs)
	}
	return fsutil.WriteFileAtomic(path, []byte(b.String()), fsutil.SecretPerm)
}

type devUpInfo struct {
	Addr, CA, Admin, Librdkafka, User, Mechanism string
}

// devUpTemplate is what `dev up` prints on stdout: paths and settings, never
// the password.
var devUpTemplate = template.Must(template.New("dev up").Funcs(template.FuncMap{"lower": strings.ToLower}).Parse(`kafkaguard dev cluster is up: TLS, SASL/{{.Mechanism}}, ACLs enforced.

Bootstrap server:     {{.Addr}}
CA certificate:       {{.CA}}
Admin (Java):         {{.Admin}}
Admin (librdkafka):   {{.Librdkafka}}
Superuser:            User:{{.User}} (password in those two files, mode 0600)

kafkaguard:
  export KAFKAGUARD_BOOTSTRAP_SERVER={{.Addr}} KAFKAGUARD_COMMAND_CONFIG={{.Admin}}
  kafkaguard plan -f inventory.yaml

kcat (the password comes from the file given with -F):
  kcat -b {{.Addr}} -X security.protocol=SASL_SSL -X sasl.mechanisms={{.Mechanism}} -X sasl.username={{.User}} -X ssl.ca.location={{.CA}} -F {{.Librdkafka}} -L

librdkafka (confluent-kafka for Python, Go, .NET; kcat -F): the properties file
  {{.Librdkafka}}

KafkaJS:
  const fs = require('fs')
  const { Kafka } = require('kafkajs')
  const kafka = new Kafka({
    brokers: ['{{.Addr}}'],
    ssl: { ca: [fs.readFileSync('{{.CA}}', 'utf8')] },
    sasl: {
      mechanism: '{{.Mechanism | lower}}',
      username: '{{.User}}',
      password: fs.readFileSync('{{.Librdkafka}}', 'utf8').match(/^sasl\.password=(.*)$/m)[1],
    },
  })

Java (client.properties):
  kafka-topics.sh --bootstrap-server {{.Addr}} --command-config {{.Admin}} --list

Users provisioned with 'kafkaguard users apply' get NAME.properties and
NAME.librdkafka.properties in their secrets directory: use them the same way.
`))
