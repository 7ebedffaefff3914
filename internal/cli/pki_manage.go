package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/kafkaguard/kafkaguard/internal/fsutil"
	"github.com/kafkaguard/kafkaguard/pki"
)

// pki list, renew, revoke, crl and principal: the life of issued certificates.

func pkiListCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "list",
		Usage:     "list every issued certificate with its status and Kafka principal",
		UsageText: "kafkaguard pki list --dir DIR [--warn-within DURATION] [-o text|json]",
		Description: `Lists every certificate the CA issued: serial, kind, name, status (valid,
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
			if err := warnInconsistent(e, ca, c.String("dir")); err != nil {
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

// warnInconsistent reports on stderr what a killed issue or renewal left
// (pending records, a key that does not match its certificate, a deployed
// certificate the index does not know, leftover files).
func warnInconsistent(e *env, ca *pki.CA, dir string) error {
	problems, err := ca.Check()
	if err != nil {
		return err
	}
	for _, p := range problems {
		fmt.Fprintf(e.stderr, "kafkaguard: warning: inconsistent: %s\n", p)
	}
	if len(problems) > 0 {
		fmt.Fprintf(e.stderr, "kafkaguard: repair it with: kafkaguard pki doctor --dir %s\n", dir)
	}
	return nil
}

func pkiDoctorCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "doctor",
		Usage:     "complete or undo an interrupted issue or renewal and remove leftover files",
		UsageText: "kafkaguard pki doctor --dir DIR",
		Description: `An issue or renewal is one transaction: the new files are staged with the new
record, pending, in DIR/txn; the files are renamed into place and the record is
committed to DIR/certs. A kill between two steps leaves a pending record (shown
by 'pki list' as status "pending" with a warning). Every pki command that
writes completes it first; doctor does only that: it renames staged files
into place and commits the record (or drops it when its files are not all
whole), removes leftover temporary files, compacts index.json, then checks
that every current key matches its certificate and every deployed
certificate is known to the CA.
It needs no CA key. Exit 1 when a problem remains.

Examples:
  kafkaguard pki doctor --dir ./ca`,
		Flags: []ucli.Flag{pkiDirFlag()},
		Action: func(c *ucli.Context) error {
			ca, err := pki.OpenReadOnly(c.String("dir"))
			if err != nil {
				return err
			}
			actions, remaining, err := ca.Doctor()
			for _, a := range actions {
				fmt.Fprintln(e.stdout, a)
			}
			if err != nil {
				return err
			}
			if len(remaining) > 0 {
				for _, p := range remaining {
					fmt.Fprintf(e.stderr, "kafkaguard: inconsistent: %s\n", p)
				}
				return fmt.Errorf("ca %s: %d problem(s) remain after repair", c.String("dir"), len(remaining))
			}
			fmt.Fprintf(e.stdout, "CA %s is consistent.\n", c.String("dir"))
			return nil
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
			res, err := ca.Renew(c.Context, req)
			pl.finish()
			var renewed []*pki.Issued
			if res != nil {
				renewed = res.Renewed
				for _, r := range res.Skipped {
					fmt.Fprintf(e.stderr, "kafkaguard: skipped %s (serial %s): %s\n", r.Name, r.Serial, renewSkipAdvice(r.Reason))
				}
			}
			for _, is := range renewed {
				fmt.Fprintf(e.stdout, "renewed %s %s: serial %s, expires %s, %s\n", is.Kind, is.Name, is.Serial,
					is.Cert.NotAfter.UTC().Format(time.RFC3339), is.CertPath)
			}
			if c.Context.Err() != nil {
				fmt.Fprintf(e.stderr, "kafkaguard: interrupted: %d certificate(s) renewed before the stop; run 'pki renew' again for the rest\n", len(renewed))
				return errInterrupted
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
// or already holds a CRL: a regular file whose first PEM block is one. Only
// its first crlHeadBytes are read: a large CA's CRL runs to megabytes, and
// the path can be anything (/dev/zero, a FIFO nobody writes to).
func checkReplaceableCRL(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if fi.Mode().IsRegular() {
		head, _, err := fsutil.ReadFileAtMost(path, crlHeadBytes)
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		if firstPEMType(head) == "X509 CRL" {
			return nil
		}
	}
	return withHint(fmt.Errorf("%s exists and is not a CRL", path), "pass --force to replace it")
}

// crlHeadBytes is how much of an existing --out file is read to see
// whether it is a CRL: its header, after any text before it.
const crlHeadBytes = 64 << 10

// firstPEMType is the type of the first PEM header line in data, as
// encoding/pem finds it ("X509 CRL"; "" when there is none): a line that
// starts with "-----BEGIN " and ends with "-----", spaces after it allowed.
func firstPEMType(data []byte) string {
	for line := range bytes.Lines(data) {
		line = bytes.TrimRight(line, " \t\r\n")
		if t, ok := bytes.CutPrefix(line, []byte("-----BEGIN ")); ok {
			if t, ok := bytes.CutSuffix(t, []byte("-----")); ok {
				return string(t)
			}
		}
	}
	return ""
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
		// urfave/cli stops at the first argument: withArgs accepts
		// "CERT.pem --mapping-rules RULES" too.
		Action: withArgs(func(c *ucli.Context, files []string) error {
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
		}),
	}
}
