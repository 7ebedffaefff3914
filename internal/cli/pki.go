package cli

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	ucli "github.com/urfave/cli/v2"

	"github.com/kafkaguard/kafkaguard/internal/duration"
	"github.com/kafkaguard/kafkaguard/internal/fsutil"
	"github.com/kafkaguard/kafkaguard/internal/scram"
	"github.com/kafkaguard/kafkaguard/pki"
)

func pkiCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "pki",
		Usage:     "run the CA: broker and client certificates, renewal, revocation, CRLs, principals",
		UsageText: "kafkaguard pki init|issue|list|renew|revoke|crl|principal|doctor [command options]",
		Description: `A small certificate authority for Kafka, built on cfssl. One directory holds
the CA: ca.pem, ca-key.pem (0600), certs/ (a record and a copy of each
certificate issued, by serial) and index.json (the records compacted, with
revocations and the CRL number). Issued files go to DIR/issued unless --out
says otherwise: NAME.pem (certificate + CA chain), NAME-key.pem (PKCS#8, 0600)
and, with --pkcs12, NAME.p12. Nothing is overwritten without --force.

An mTLS client's Kafka principal is User: + its subject DN in RFC 2253 form,
transformed by the brokers' ssl.principal.mapping.rules; 'pki principal'
prints it exactly as a broker computes it.

Examples:
  kafkaguard pki init --dir ./ca
  kafkaguard pki issue broker --dir ./ca --name broker-1 --host kafka-1.example.com --host 10.0.0.11
  kafkaguard pki issue client --dir ./ca --name analytics --ou data --org Acme
  kafkaguard pki list --dir ./ca -o json
  kafkaguard pki renew --dir ./ca --expiring-within 30d
  kafkaguard pki revoke --dir ./ca --name analytics --reason key-compromise
  kafkaguard pki crl --dir ./ca --out ./ca/crl.pem
  kafkaguard pki principal ./ca/issued/analytics.pem --mapping-rules 'RULE:^CN=([^,]+),.*$/$1/,DEFAULT'`,
		Subcommands: e.subcommands(pkiSubcommands()...),
	}
}

func pkiSubcommands() []subcommand {
	return []subcommand{
		{"init", pkiInitCommand},
		{"issue", pkiIssueCommand},
		{"list", pkiListCommand},
		{"renew", pkiRenewCommand},
		{"revoke", pkiRevokeCommand},
		{"crl", pkiCRLCommand},
		{"principal", pkiPrincipalCommand},
		{"doctor", pkiDoctorCommand},
	}
}

func pkiDirFlag() ucli.Flag {
	return &ucli.StringFlag{Name: "dir", Usage: "CA `DIR` (ca.pem, ca-key.pem, index.json)", Required: true, EnvVars: envVars("dir")}
}

func pkiForceFlag(what string) ucli.Flag {
	return &ucli.BoolFlag{Name: "force", Usage: "overwrite " + what, EnvVars: envVars("force")}
}

func pkiExpiryFlag(def string) ucli.Flag {
	return &ucli.StringFlag{Name: "expiry", Value: def, Usage: "validity `DURATION` (Go duration, or Nd / Ny for days / years)", EnvVars: envVars("expiry")}
}

func pkiMappingRulesFlag() ucli.Flag {
	return &ucli.StringFlag{Name: "mapping-rules", Usage: "the brokers' ssl.principal.mapping.rules (`RULES`; default DEFAULT)", EnvVars: envVars("mapping-rules")}
}

func pkiPasswordFileFlag(usage string) ucli.Flag {
	return &ucli.StringFlag{Name: "password-file", Usage: usage, EnvVars: envVars("password-file")}
}

// parseDuration parses a positive duration (package duration's grammar:
// Go durations, whole days "30d" and years "2y"); "" is 0, the default.
func parseDuration(flag, s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	d, err := duration.Parse(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("--%s %q is not a positive duration (e.g. 8760h, 90d, 2y)", flag, s)
	}
	return d, nil
}

// readPasswordFile reads a password from a file: the first line, without
// its line ending. The password never appears in an error.
func readPasswordFile(path string) (string, error) {
	data, err := fsutil.ReadSecretFile(path)
	if err != nil {
		return "", fmt.Errorf("read password file: %w", err)
	}
	pw, _, _ := strings.Cut(string(data), "\n")
	pw = strings.TrimSuffix(pw, "\r")
	if pw == "" {
		return "", fmt.Errorf("password file %s is empty", path)
	}
	// A PKCS12 keystore's password guards a private key: as long as the
	// SCRAM passwords kafkaguard accepts.
	if n := utf8.RuneCountInString(pw); n < scram.MinPasswordLength {
		return "", fmt.Errorf("password file %s: the password is %d characters, shorter than %d", path, n, scram.MinPasswordLength)
	}
	return pw, nil
}

func pkiInitCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "init",
		Usage:     "create a new CA",
		UsageText: "kafkaguard pki init --dir DIR [--cn NAME] [--key-algo ecdsa|rsa] [--key-size N] [--expiry DURATION] [--force]",
		Description: `Creates DIR/ca.pem, DIR/ca-key.pem (0600) and an empty DIR/index.json. The CA
certificate may sign leaf certificates only (path length 0). An existing CA is
never replaced without --force; with --force the index starts empty and every
certificate of the old CA stops being trusted by clients of the new ca.pem.

Examples:
  kafkaguard pki init --dir ./ca
  kafkaguard pki init --dir ./ca --cn "Acme Kafka CA" --key-algo rsa --key-size 4096 --expiry 5y`,
		Flags: []ucli.Flag{
			pkiDirFlag(),
			&ucli.StringFlag{Name: "cn", Value: "kafkaguard CA", Usage: "CA common `NAME`", EnvVars: envVars("cn")},
			&ucli.StringFlag{Name: "key-algo", Value: "ecdsa", Usage: "key `ALGORITHM`: ecdsa or rsa", EnvVars: envVars("key-algo")},
			&ucli.IntFlag{Name: "key-size", Usage: "key size `N` (ecdsa: 256, 384, 521; rsa: 2048-8192; default 256 / 3072)", EnvVars: envVars("key-size")},
			pkiExpiryFlag("10y"),
			pkiForceFlag("an existing CA in DIR"),
		},
		Action: func(c *ucli.Context) error {
			expiry, err := parseDuration("expiry", c.String("expiry"))
			if err != nil {
				return err
			}
			ca, err := pki.Init(c.String("dir"), pki.InitOptions{
				CN: c.String("cn"), KeyAlgo: c.String("key-algo"), KeySize: c.Int("key-size"),
				Expiry: expiry, Force: c.Bool("force"),
			})
			if err != nil {
				if errors.Is(err, pki.ErrExists) {
					return withHint(err, "open it with the other pki commands, or pass --force to replace it")
				}
				return err
			}
			cert := ca.Certificate()
			fmt.Fprintf(e.stdout, "created CA %q in %s\n", cert.Subject.CommonName, ca.Dir())
			fmt.Fprintf(e.stdout, "certificate  %s\n", ca.CertPath())
			fmt.Fprintf(e.stdout, "expires      %s\n", cert.NotAfter.UTC().Format(time.RFC3339))
			return nil
		},
	}
}
