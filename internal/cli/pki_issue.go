package cli

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/kafkaguard/kafkaguard/internal/fsutil"
	"github.com/kafkaguard/kafkaguard/pki"
)

// pki issue broker|client: the certificates a CA hands out.

func pkiIssueCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "issue",
		Usage:     "issue a broker or client certificate",
		UsageText: "kafkaguard pki issue broker|client --dir DIR --name NAME [command options]",
		Description: `Examples:
  kafkaguard pki issue broker --dir ./ca --name broker-1 --host kafka-1.example.com --host 10.0.0.11
  kafkaguard pki issue client --dir ./ca --name analytics --ou data --org Acme`,
		Subcommands: e.subcommands(pkiIssueSubcommands()...),
	}
}

func pkiIssueSubcommands() []subcommand {
	return []subcommand{{"broker", pkiIssueBrokerCommand}, {"client", pkiIssueClientCommand}}
}

func pkiIssueFlags() []ucli.Flag {
	return []ucli.Flag{
		pkiDirFlag(),
		&ucli.StringFlag{Name: "name", Usage: "certificate `NAME`: the CN and the file names NAME.pem, NAME-key.pem", Required: true, EnvVars: envVars("name")},
		&ucli.StringFlag{Name: "out", Usage: "output `DIR` (default DIR/issued)", EnvVars: envVars("out")},
		pkiExpiryFlag("1y"),
		&ucli.StringFlag{Name: "key-algo", Value: "ecdsa", Usage: "key `ALGORITHM`: ecdsa (P-256) or rsa (2048)", EnvVars: envVars("key-algo")},
		&ucli.BoolFlag{Name: "pkcs12", Usage: "also write NAME.p12 (key + certificate + CA chain) for Java key stores", EnvVars: envVars("pkcs12")},
		pkiPasswordFileFlag("`FILE` holding the PKCS12 password (first line)"),
		&ucli.StringFlag{Name: "csr", Usage: "sign the public key of this certificate request `FILE` (PEM) instead of generating a key", EnvVars: envVars("csr")},
		pkiForceFlag("existing NAME.pem, NAME-key.pem and NAME.p12"),
	}
}

// readCSRFlag reads --csr, which excludes a generated key's options.
func readCSRFlag(c *ucli.Context) ([]byte, error) {
	path := c.String("csr")
	if path == "" {
		return nil, nil
	}
	if c.Bool("pkcs12") || c.IsSet("key-algo") {
		return nil, errors.New("--csr brings its own key: --pkcs12 and --key-algo do not apply")
	}
	// A certificate request is a few KB; 1 MiB leaves room for any key.
	data, err := fsutil.ReadFileLimit(path, 1<<20, "a certificate request")
	if err != nil {
		return nil, fmt.Errorf("read certificate request: %w", err)
	}
	return data, nil
}

// pkcs12Password returns the keystore password when --pkcs12 is given.
func pkcs12Password(c *ucli.Context) (string, error) {
	switch {
	case c.Bool("pkcs12") && c.String("password-file") == "":
		return "", withHint(errors.New("--pkcs12 needs --password-file"), "write the keystore password to a file (mode 0600) and pass --password-file FILE")
	case !c.Bool("pkcs12") && c.String("password-file") != "":
		return "", errors.New("--password-file is only used with --pkcs12")
	case !c.Bool("pkcs12"):
		return "", nil
	}
	return readPasswordFile(c.String("password-file"))
}

func printIssued(e *env, is *pki.Issued) {
	w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "certificate\t%s\n", is.CertPath)
	if is.KeyPath != "" {
		fmt.Fprintf(w, "key\t%s\n", is.KeyPath)
	}
	if is.PKCS12Path != "" {
		fmt.Fprintf(w, "pkcs12\t%s\n", is.PKCS12Path)
	}
	fmt.Fprintf(w, "serial\t%s\n", is.Serial)
	fmt.Fprintf(w, "subject\t%s\n", is.Subject)
	if len(is.SANs) > 0 {
		fmt.Fprintf(w, "sans\t%s\n", strings.Join(is.SANs, ", "))
	}
	fmt.Fprintf(w, "expires\t%s\n", is.Cert.NotAfter.UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "principal\t%s\n", is.Principal)
	w.Flush()
	if is.Clamped {
		fmt.Fprintf(e.stderr, "kafkaguard: note: %s expires with the CA on %s (the requested expiry was longer)\n", is.Name, is.Cert.NotAfter.UTC().Format(time.RFC3339))
	}
}

func pkiIssueBrokerCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "broker",
		Usage:     "issue a broker certificate (server and client auth)",
		UsageText: "kafkaguard pki issue broker --dir DIR --name NAME --host HOST... [--out OUTDIR] [--expiry DURATION] [--pkcs12 --password-file FILE] [--force]",
		Description: `A broker certificate allows server and client authentication (brokers connect
to each other), with subject CN=NAME and the --host values (DNS names and IP
addresses) as subject alternative names. Its expiry is cut back to the CA's
own if the CA expires sooner (a note on stderr says so). With --csr the key
stays where it was made: only the request's public key is used (subject and
SANs still come from these flags) and no key file is written.

Examples:
  kafkaguard pki issue broker --dir ./ca --name broker-1 --host kafka-1.example.com --host 10.0.0.11
  kafkaguard pki issue broker --dir ./ca --name broker-1 --host localhost --host 127.0.0.1 --pkcs12 --password-file ./keystore.pass --force
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout broker-2-key.pem -subj /CN=broker-2 -out broker-2.csr
  kafkaguard pki issue broker --dir ./ca --name broker-2 --host kafka-2.example.com --csr broker-2.csr`,
		Flags: append(pkiIssueFlags(),
			&ucli.StringSliceFlag{Name: "host", Usage: "`HOST` name or IP address for the SANs (repeatable)", Required: true, EnvVars: envVars("host")},
		),
		Action: func(c *ucli.Context) error {
			hosts := c.StringSlice("host")
			for _, h := range hosts { // checked before the CA is opened
				if err := pki.CheckHost(strings.TrimSpace(h)); err != nil {
					return err
				}
			}
			return issue(e, c, func(ca *pki.CA, f issueFlags) (*pki.Issued, error) {
				return ca.IssueBroker(pki.BrokerRequest{
					Name: f.name, Hosts: hosts, Expiry: f.expiry, OutDir: f.out, Force: f.force,
					KeyAlgo: f.keyAlgo, PKCS12Password: f.pkcs12Password, CSR: f.csr,
				})
			})
		},
	}
}

// issueFlags are the values of pkiIssueFlags, read and checked.
type issueFlags struct {
	name, out, keyAlgo string
	expiry             time.Duration
	force              bool
	csr                []byte
	pkcs12Password     string
}

// issue reads and checks the flags every issue command shares, opens the CA
// in --dir, issues with do and prints the certificate.
func issue(e *env, c *ucli.Context, do func(*pki.CA, issueFlags) (*pki.Issued, error)) error {
	f := issueFlags{name: c.String("name"), out: c.String("out"), keyAlgo: c.String("key-algo"), force: c.Bool("force")}
	var err error
	if f.expiry, err = parseDuration("expiry", c.String("expiry")); err != nil {
		return err
	}
	if f.csr, err = readCSRFlag(c); err != nil {
		return err
	}
	if f.pkcs12Password, err = pkcs12Password(c); err != nil {
		return err
	}
	ca, err := pki.Open(c.String("dir"))
	if err != nil {
		return err
	}
	is, err := do(ca, f)
	if err != nil {
		return issueError(err)
	}
	printIssued(e, is)
	return nil
}

func issueError(err error) error {
	if errors.Is(err, pki.ErrExists) {
		return withHint(err, "pass --force to replace it, or --out DIR to write elsewhere")
	}
	return err
}

func pkiIssueClientCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "client",
		Usage:     "issue a client certificate (client auth only) and print its Kafka principal",
		UsageText: "kafkaguard pki issue client --dir DIR --name NAME [--ou OU]... [--org ORG | --dn DN] [--out OUTDIR] [--expiry DURATION] [--mapping-rules RULES] [--force]",
		Description: `A client certificate allows client authentication only, with subject
CN=NAME[,OU=OU...][,O=ORG] (as a broker prints it: OUs in the order given,
one RDN each), or --dn as written (RFC 2253: most specific first, \, escapes,
#hex values). The command prints the Kafka principal the certificate maps to
under --mapping-rules (the brokers' ssl.principal.mapping.rules, default
DEFAULT); a certificate no rule maps is refused, as a broker would refuse it.

Examples:
  kafkaguard pki issue client --dir ./ca --name analytics --ou data --org Acme
  kafkaguard pki issue client --dir ./ca --name analytics --ou data --mapping-rules 'RULE:^CN=([^,]+),.*$/$1/,DEFAULT'
  kafkaguard pki issue client --dir ./ca --name ops --out ./secrets --expiry 90d
  kafkaguard pki issue client --dir ./ca --name analytics --dn 'CN=analytics,OU=data,O=Acme,C=US'`,
		Flags: append(pkiIssueFlags(),
			&ucli.StringSliceFlag{Name: "ou", Usage: "organizational `UNIT` (repeatable, in DN order)", EnvVars: envVars("ou")},
			// --org, not -o: -o is the output format everywhere.
			&ucli.StringFlag{Name: "org", Usage: "`ORGANIZATION` (O=)", EnvVars: envVars("org")},
			&ucli.StringFlag{Name: "dn", Usage: "the whole subject `DN` in RFC 2253 form (instead of --ou/--org), e.g. an inventory principal's dn", EnvVars: envVars("dn")},
			pkiMappingRulesFlag(),
		),
		Action: func(c *ucli.Context) error {
			rules := c.String("mapping-rules")
			if _, err := pki.ParseMappingRules(rules); err != nil { // checked before the CA is opened
				return err
			}
			return issue(e, c, func(ca *pki.CA, f issueFlags) (*pki.Issued, error) {
				return ca.IssueClient(pki.ClientRequest{
					Name: f.name, OUs: c.StringSlice("ou"), Org: c.String("org"), DN: c.String("dn"),
					Expiry: f.expiry, OutDir: f.out, MappingRules: rules, Force: f.force,
					KeyAlgo: f.keyAlgo, PKCS12Password: f.pkcs12Password, CSR: f.csr,
				})
			})
		},
	}
}
