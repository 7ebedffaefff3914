package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	ucli "github.com/urfave/cli/v2"

	"github.com/kafkaguard/kafkaguard/internal/cluster"
)

// connFlags are the flags of every command that talks to a cluster:
// --bootstrap-server, --command-config and --timeout.
func connFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringFlag{Name: "bootstrap-server", Usage: "broker `HOST:PORT` list, comma separated (default: bootstrap.servers of --command-config)", EnvVars: envVars("bootstrap-server")},
		&ucli.StringFlag{Name: "command-config", Usage: "Kafka client properties `FILE` (security.protocol, sasl.*, ssl.*), as for kafka-acls.sh", EnvVars: envVars("command-config")},
		&ucli.DurationFlag{Name: "timeout", Value: cluster.DefaultTimeout, Usage: "give up connecting or waiting for an answer after `DURATION`", EnvVars: envVars("timeout")},
	}
}

// connConfig reads the connection flags into a cluster configuration.
func connConfig(c *ucli.Context) (*cluster.Config, error) {
	bootstrap, props := c.String("bootstrap-server"), c.String("command-config")
	if bootstrap == "" && props == "" {
		return nil, withHint(errors.New("no cluster given"),
			"pass --bootstrap-server HOST:PORT and/or --command-config FILE (or set KAFKAGUARD_BOOTSTRAP_SERVER / KAFKAGUARD_COMMAND_CONFIG)")
	}
	cfg, err := cluster.LoadConfig(bootstrap, props)
	if err != nil {
		return nil, err
	}
	if t := c.Duration("timeout"); t > 0 {
		cfg.Timeout = t
	}
	return cfg, nil
}

// connect dials the cluster named by the connection flags, after the
// optional adjust functions changed the configuration. The caller closes the
// client. Request-level logs go to stderr with --verbose.
func (e *env) connect(c *ucli.Context, adjust ...func(*cluster.Config)) (*cluster.Client, error) {
	cfg, err := connConfig(c)
	if err != nil {
		return nil, err
	}
	for _, a := range adjust {
		a(cfg)
	}
	var opts []cluster.DialOption
	if c.Bool("verbose") {
		opts = append(opts, cluster.WithLog(e.stderr))
		fmt.Fprintf(e.stderr, "kafkaguard: connecting: %s\n", cfg)
	}
	cl, err := cluster.Dial(c.Context, cfg, opts...)
	if err != nil {
		return nil, connectHint(err, cfg)
	}
	return cl, nil
}

// connectHint adds what to check next to a connection error, or to an error
// of the first requests after connecting (a principal not authorized to read
// ACLs or SCRAM users). An error that has a hint keeps it.
func connectHint(err error, cfg *cluster.Config) error {
	if err == nil {
		return nil
	}
	var h *hintError
	if errors.As(err, &h) {
		return err
	}
	msg := err.Error()
	switch {
	case isNotAuthorized(err):
		who := "the principal of " + orFlag(cfg.Source, "--command-config")
		if cfg.Username != "" {
			who = "User:" + cfg.Username
		}
		return withHint(err, "grant "+who+" the operation named above on CLUSTER kafka-cluster (kafka-acls.sh --add --cluster ...), or connect as a principal in the brokers' super.users")
	case cluster.IsAuthError(err):
		return withHint(err, "check the username and password in "+orFlag(cfg.Source, "--command-config")+" (sasl.jaas.config or sasl.username/sasl.password)")
	case strings.Contains(msg, "TLS verification"):
		return withHint(err, "check ssl.truststore.* (or ssl.ca.location) in "+orFlag(cfg.Source, "--command-config")+": it must hold the CA that signed the brokers' certificates")
	case strings.Contains(msg, "cannot reach"):
		return withHint(err, "check --bootstrap-server (or bootstrap.servers), that the brokers run and that the port is open; --timeout waits longer")
	case errors.Is(err, context.DeadlineExceeded):
		return withHint(err, fmt.Sprintf("check --bootstrap-server (or bootstrap.servers) and that a Kafka broker answers there with security.protocol %s; raise --timeout (now %s) to wait longer", orFlag(cfg.SecurityProtocol, "PLAINTEXT"), cfg.EffectiveTimeout()))
	case strings.Contains(msg, "check security.protocol"):
		return withHint(err, "set security.protocol in "+orFlag(cfg.Source, "--command-config")+" to what the listener expects (SSL, SASL_SSL, ...)")
	}
	return err
}

// isNotAuthorized reports a Kafka authorization refusal (ACLs).
func isNotAuthorized(err error) bool {
	return errors.Is(err, kerr.ClusterAuthorizationFailed) || errors.Is(err, kerr.TopicAuthorizationFailed) ||
		errors.Is(err, kerr.GroupAuthorizationFailed) || errors.Is(err, kerr.TransactionalIDAuthorizationFailed) ||
		errors.Is(err, kerr.DelegationTokenAuthorizationFailed)
}

func orFlag(source, flag string) string {
	if source != "" {
		return source
	}
	return flag
}
