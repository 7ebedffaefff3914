package cli

import (
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/kafkaguard/kafkaguard/internal/duration"
	"github.com/kafkaguard/kafkaguard/pki"
)

func pkiCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "pki",
		Usage:     "run the CA: broker and client certificates, renewal, revocation, CRLs, principals",
		UsageText: "kafkaguard pki init|issue|list|renew|revoke|crl|principal [command options]",
		Description: `A small certificate authority for Kafka, built on cfssl. One directory holds
the CA: ca.pem, ca-key.pem (0600), index.json (every certificate issued) and
certs/ (a copy of each, by serial). Issued files go to DIR/issued unless --out
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
		Subcommands: []*ucli.Command{
			pkiInitCommand(e),
			pkiIssueCommand(e),
			pkiListCommand(e),
			pkiRenewCommand(e),
			pkiRevokeCommand(e),
			pkiCRLCommand(e),
			pkiPrincipalCommand(e),
		},
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
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read password file: %w", err)
	}
	pw, _, _ := strings.Cut(string(data), "\n")
	pw = strings.TrimSuffix(pw, "\r")
	if pw == "" {
		return "", fmt.Errorf("password file %s is empty", path)
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

func pkiIssueCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "issue",
		Usage:     "issue a broker or client certificate",
		UsageText: "kafkaguard pki issue broker|client --dir DIR --name NAME [command options]",
		Description: `Examples:
  kafkaguard pki issue broker --dir ./ca --name broker-1 --host kafka-1.example.com --host 10.0.0.11
  kafkaguard pki issue client --dir ./ca --name analytics --ou data --org Acme`,
		Subcommands: []*ucli.Command{pkiIssueBrokerCommand(e), pkiIssueClientCommand(e)},
	}
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
	data, err := os.ReadFile(path)
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

func pkiListCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "list",
		Usage:     "list every issued certificate with its status and Kafka principal",
		UsageText: "kafkaguard pki list --dir DIR [--warn-within DURATION] [-o text|json]",
		Description: `Lists every certificate in DIR/index.json: serial, kind, name, status (valid,
expiring, expired, revoked), not-before/not-after, subject DN, Kafka principal
(with the mapping rules given when it was issued) and SANs. "expiring" means
within --warn-within (default 30d).

JSON (-o json): {"ca": {subject, not_after}, "certificates": [{serial, kind,
name, subject, principal, sans, not_before, not_after, status, revoked_at,
reason, cert_path, key_path, renews, superseded_by}]}.

Examples:
  kafkaguard pki list --dir ./ca
  kafkaguard pki list --dir ./ca -o json | jq '.certificates[] | select(.status == "expiring")'`,
		Flags: []ucli.Flag{
			pkiDirFlag(),
			&ucli.StringFlag{Name: "warn-within", Value: "30d", Usage: "report certificates expiring within `DURATION` as expiring", EnvVars: envVars("warn-within")},
			outputFlag("text", "json"),
		},
		Action: func(c *ucli.Context) error {
			warn, err := parseDuration("warn-within", c.String("warn-within"))
			if err != nil {
				return err
			}
			ca, err := pki.OpenReadOnly(c.String("dir")) // listing needs no key
			if err != nil {
				return err
			}
			certs, err := ca.List(time.Now(), warn)
			if err != nil {
				return err
			}
			if c.String("output") == "json" {
				return writePKIListJSON(e.stdout, ca, certs)
			}
			if len(certs) == 0 {
				fmt.Fprintln(e.stdout, "No certificates issued yet.")
				return nil
			}
			w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "SERIAL\tKIND\tNAME\tSTATUS\tNOT BEFORE\tNOT AFTER\tPRINCIPAL\tSANS")
			for _, ci := range certs {
				st := ci.Status
				if ci.SupersededBy != "" {
					st += " (renewed)"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ci.Serial, ci.Kind, ci.Name, st,
					ci.NotBefore.UTC().Format(time.RFC3339), ci.NotAfter.UTC().Format(time.RFC3339),
					orDash(ci.Principal), orDash(strings.Join(ci.SANs, ",")))
			}
			return w.Flush()
		},
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func writePKIListJSON(w io.Writer, ca *pki.CA, certs []pki.CertInfo) error {
	type caInfo struct {
		Subject  string    `json:"subject"`
		NotAfter time.Time `json:"not_after"`
	}
	cert := ca.Certificate()
	out := struct {
		CA           caInfo         `json:"ca"`
		Certificates []pki.CertInfo `json:"certificates"`
	}{caInfo{pki.RFC2253(cert.RawSubject), cert.NotAfter.UTC()}, certs}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func pkiRenewCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "renew",
		Usage:     "issue new certificates with the same subject and SANs",
		UsageText: "kafkaguard pki renew --dir DIR (--name NAME | --expiring-within DURATION) [--reuse-key] [--expiry DURATION] [--password-file FILE]",
		Description: `Renews the current certificate named NAME, or every current certificate that
expires within DURATION (or already has): a new certificate with the same
subject DN (so the same Kafka principal), SANs and kind, and a new key unless
--reuse-key. The new files replace NAME.pem / NAME-key.pem where the old ones
were written; the old certificate stays valid until it expires (revoke it for
a hard cut-over). Validity: --expiry, or the old certificate's.

Examples:
  kafkaguard pki renew --dir ./ca --name broker-1
  kafkaguard pki renew --dir ./ca --expiring-within 30d
  kafkaguard pki renew --dir ./ca --name broker-1 --reuse-key --password-file ./keystore.pass`,
		Flags: []ucli.Flag{
			pkiDirFlag(),
			&ucli.StringFlag{Name: "name", Usage: "renew the certificate `NAME`", EnvVars: envVars("name")},
			&ucli.StringFlag{Name: "expiring-within", Usage: "renew every certificate expiring within `DURATION`", EnvVars: envVars("expiring-within")},
			&ucli.BoolFlag{Name: "reuse-key", Usage: "keep the existing private key", EnvVars: envVars("reuse-key")},
			&ucli.StringFlag{Name: "expiry", Usage: "validity `DURATION` (default: as the old certificate)", EnvVars: envVars("expiry")},
			pkiPasswordFileFlag("`FILE` holding the password of the PKCS12 keystores being renewed"),
		},
		Action: func(c *ucli.Context) error {
			start := time.Now()
			name := c.String("name")
			within, err := parseDuration("expiring-within", c.String("expiring-within"))
			if err != nil {
				return err
			}
			if (name == "") == (within == 0) {
				return withHint(errors.New("renew needs exactly one of --name and --expiring-within"), "run 'kafkaguard pki renew --help' for usage")
			}
			expiry, err := parseDuration("expiry", c.String("expiry"))
			if err != nil {
				return err
			}
			req := pki.RenewRequest{Name: name, ExpiringWithin: within, Expiry: expiry, ReuseKey: c.Bool("reuse-key")}
			pl := e.progress()
			defer pl.finish()
			req.Progress = pl.fn("renewing certificates")
			if f := c.String("password-file"); f != "" {
				if req.PKCS12Password, err = readPasswordFile(f); err != nil {
					return err
				}
			}
			ca, err := pki.Open(c.String("dir"))
			if err != nil {
				return err
			}
			res, err := ca.Renew(req)
			pl.finish()
			var renewed []*pki.Issued
			if res != nil {
				renewed = res.Renewed
				for _, r := range res.Skipped {
					fmt.Fprintf(e.stderr, "kafkaguard: skipped %s (serial %s): %s\n", r.Name, r.Serial, r.Reason)
				}
			}
			for _, is := range renewed {
				fmt.Fprintf(e.stdout, "renewed %s %s: serial %s, expires %s, %s\n", is.Kind, is.Name, is.Serial,
					is.Cert.NotAfter.UTC().Format(time.RFC3339), is.CertPath)
			}
			if err != nil {
				return err
			}
			if len(renewed) == 0 && len(res.Skipped) == 0 {
				fmt.Fprintf(e.stdout, "No certificates expire within %s.\n", c.String("expiring-within"))
				return nil
			}
			fmt.Fprintf(e.stderr, "kafkaguard: renewed %d certificate(s) in %s\n", len(renewed), time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
}

func pkiRevokeCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "revoke",
		Usage:     "revoke certificates by name or serial",
		UsageText: "kafkaguard pki revoke --dir DIR (--name NAME | --serial SERIAL) [--reason REASON]",
		Description: `Marks certificates revoked in DIR/index.json: one --serial (hex, as 'pki
list' and openssl print it; colons allowed), or every unexpired certificate
with --name. Publish it with 'kafkaguard pki crl'. Kafka brokers have no CRL
setting of their own (the JVM checks revocation only when configured to), so
also remove the principal's ACLs: 'kafkaguard audit' reports revoked
certificates whose principals still hold ACLs.

Reasons (RFC 5280): unspecified, key-compromise, ca-compromise,
affiliation-changed, superseded, cessation-of-operation, certificate-hold,
privilege-withdrawn, aa-compromise.

Examples:
  kafkaguard pki revoke --dir ./ca --name analytics --reason key-compromise
  kafkaguard pki revoke --dir ./ca --serial 4F:1A:...`,
		Flags: []ucli.Flag{
			pkiDirFlag(),
			&ucli.StringFlag{Name: "name", Usage: "revoke every certificate `NAME`", EnvVars: envVars("name")},
			&ucli.StringFlag{Name: "serial", Usage: "revoke the certificate with `SERIAL` (hex)", EnvVars: envVars("serial")},
			&ucli.StringFlag{Name: "reason", Value: "unspecified", Usage: "revocation `REASON`", EnvVars: envVars("reason")},
		},
		Action: func(c *ucli.Context) error {
			req := pki.RevokeRequest{Name: c.String("name"), Serial: c.String("serial"), Reason: c.String("reason")}
			if (req.Name == "") == (req.Serial == "") {
				return withHint(errors.New("revoke needs exactly one of --name and --serial"), "run 'kafkaguard pki revoke --help' for usage")
			}
			ca, err := pki.Open(c.String("dir"))
			if err != nil {
				return err
			}
			revoked, err := ca.Revoke(req)
			if err != nil {
				return err
			}
			for _, r := range revoked {
				fmt.Fprintf(e.stdout, "revoked %s (%s): %s\n", r.Serial, r.Name, r.Reason)
			}
			fmt.Fprintf(e.stderr, "kafkaguard: publish a new CRL: kafkaguard pki crl --dir %s --out FILE\n", c.String("dir"))
			return nil
		},
	}
}

func pkiCRLCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "crl",
		Usage:     "write a CRL listing every revoked certificate",
		UsageText: "kafkaguard pki crl --dir DIR --out FILE [--validity DURATION] [--force]",
		Description: `Writes a PEM CRL (X509 CRL, v2, with CRL number and reasons) signed by the
CA, listing every revoked serial; 'openssl crl -in FILE -noout -text' reads
it. An existing CRL file is replaced; any other existing file only with
--force. --out - writes to stdout.

Examples:
  kafkaguard pki crl --dir ./ca --out ./ca/crl.pem
  kafkaguard pki crl --dir ./ca --out - --validity 24h | openssl crl -noout -text`,
		Flags: []ucli.Flag{
			pkiDirFlag(),
			&ucli.StringFlag{Name: "out", Usage: "CRL `FILE` (- for stdout)", Required: true, EnvVars: envVars("out")},
			&ucli.StringFlag{Name: "validity", Value: "7d", Usage: "time until the CRL's next update (`DURATION`)", EnvVars: envVars("validity")},
			pkiForceFlag("FILE even when it is not a CRL"),
		},
		Action: func(c *ucli.Context) error {
			validity, err := parseDuration("validity", c.String("validity"))
			if err != nil {
				return err
			}
			out := c.String("out")
			if out != "-" && !c.Bool("force") {
				if err := checkReplaceableCRL(out); err != nil {
					return err
				}
			}
			ca, err := pki.Open(c.String("dir"))
			if err != nil {
				return err
			}
			if out == "-" {
				crl, _, err := ca.CRL(validity)
				if err != nil {
					return err
				}
				_, err = e.stdout.Write(crl)
				return err
			}
			revoked, err := ca.CRLToFile(validity, out)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "wrote %s: %d revoked certificate(s), next update %s\n", out, revoked,
				time.Now().Add(validity).UTC().Format(time.RFC3339))
			return nil
		},
	}
}

// checkReplaceableCRL allows out to be replaced only when it does not exist
// or already holds a CRL.
func checkReplaceableCRL(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("read %s: %w", path, err)
	}
	if b, _ := pem.Decode(data); b != nil && b.Type == "X509 CRL" {
		return nil
	}
	return withHint(fmt.Errorf("%s exists and is not a CRL", path), "pass --force to replace it")
}

func pkiPrincipalCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "principal",
		Usage:     "print the Kafka principal a broker derives from a certificate",
		UsageText: "kafkaguard pki principal CERT.pem [--mapping-rules RULES]",
		Description: `Prints User: + the certificate's subject DN in RFC 2253 form, as Java's
X500Principal.getName() prints it (most specific RDN first; ,=+<>#;"\ and
leading/trailing spaces escaped; multi-valued RDNs joined with +; attribute
types other than CN, C, L, ST, O, OU, STREET, DC, UID as OIDs with #hex
values), transformed by --mapping-rules exactly as Kafka's SslPrincipalMapper
does (RULE:pattern/replacement/[L|U], comma-separated, first match wins,
DEFAULT). Patterns use Go's RE2 syntax, which covers the common Java regex
syntax; look-around and back references are reported as errors.

Examples:
  kafkaguard pki principal ./ca/issued/analytics.pem
  kafkaguard pki principal client.pem --mapping-rules 'RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L,DEFAULT'`,
		Flags: []ucli.Flag{pkiMappingRulesFlag()},
		Action: func(c *ucli.Context) error {
			// urfave/cli stops at the first argument: accept
			// "CERT.pem --mapping-rules RULES" too.
			files, err := trailingFlags(c)
			if errors.Is(err, errHelpShown) {
				return nil
			}
			if err != nil {
				return err
			}
			rules := c.String("mapping-rules")
			if len(files) != 1 {
				return withHint(fmt.Errorf("principal takes one certificate file, got %d", len(files)), "kafkaguard pki principal CERT.pem [--mapping-rules RULES]")
			}
			if _, err := pki.ParseMappingRules(rules); err != nil {
				return err
			}
			cert, err := pki.ReadCertificate(files[0])
			if err != nil {
				return err
			}
			p, err := pki.PrincipalFromCert(cert, rules)
			if err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, p)
			return nil
		},
	}
}
