package cli

import (
	"errors"
	"fmt"

	ucli "github.com/urfave/cli/v2"

	"github.com/kafkaguard/kafkaguard/internal/cluster"
)

// connFlags are the flags of every command that talks to a cluster:
// --bootstrap-server, --command-config and --timeout.
func connFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringFlag{Name: "bootstrap-server", Usage: "broker `HOST:PORT` list, comma separated (default: bootstrap.servers of --command-config)", EnvVars: envVars("bootstrap-server")},
		&ucli.StringFlag{Name: "command-config", Usage: "Kafka client properties `FILE` (security.protocol, sasl.*, ssl.*), as for kafka-acls.sh", EnvVars: envVars("command-config")},
		durationFlag("timeout", cluster.DefaultTimeout, "give up connecting or waiting for an answer after `DURATION`"),
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
	warnConfig(c, cfg)
	if t := c.Duration("timeout"); t > 0 {
		cfg.Timeout = t
	}
	return cfg, nil
}

// connect dials the cluster named by the connection flags, for commands
// that load no inventory. The caller closes the client.
func (e *env) connect(c *ucli.Context) (*cluster.Client, error) {
	return dialFlags(e, c, cluster.Dial)
}

// warnConfig prints the properties file's warnings (misspelled keys) on
// stderr.
func warnConfig(c *ucli.Context, cfg *cluster.Config) {
	for _, w := range cfg.Warnings {
		fmt.Fprintf(c.App.ErrWriter, "kafkaguard: warning: %s\n", w)
	}
}
