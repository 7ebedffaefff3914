package pki

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/kafkaguard/kafkaguard/internal/fsutil"
	"github.com/kafkaguard/kafkaguard/internal/pkcs12safe"
	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

// Certificate statuses in List.
const (
	StatusValid    = "valid"
	StatusExpiring = "expiring"
	StatusExpired  = "expired"
	StatusRevoked  = "revoked"
	StatusPending  = "pending" // an interrupted issue or renewal: run pki doctor
)

// CertInfo describes one issued certificate, for `pki list` and the audit.
type CertInfo struct {
	Serial       string     `json:"serial"`
	Kind         string     `json:"kind"`
	Name         string     `json:"name"`
	Subject      string     `json:"subject"`   // RFC 2253
	Principal    string     `json:"principal"` // with the mapping rules given at issue (DEFAULT if none)
	SANs         []string   `json:"sans"`
	NotBefore    time.Time  `json:"not_before"`
	NotAfter     time.Time  `json:"not_after"`
	Status       string     `json:"status"` // valid, expiring, expired, revoked
	RevokedAt    *time.Time `json:"revoked_at,omitempty"`
	Reason       string     `json:"reason,omitempty"`
	CertPath     string     `json:"cert_path"`
	KeyPath      string     `json:"key_path"`
	Renews       string     `json:"renews,omitempty"`
	SupersededBy string     `json:"superseded_by,omitempty"`

	Cert *x509.Certificate `json:"-"` // the issued certificate (from DIR/certs)
}

// List returns every certificate in the index, in issue order. A certificate
// is "expiring" when it expires within warnWithin of now.
func (ca *CA) List(now time.Time, warnWithin time.Duration) ([]CertInfo, error) {
	idx, err := loadIndex(ca.dir)
	if err != nil {
		return nil, err
	}
	out := make([]CertInfo, 0, len(idx.Certs))
	for _, r := range idx.Certs {
		cert, err := ca.readCopyCached(idx, r)
		if err != nil {
			return nil, err
		}
		principal, err := PrincipalFromCert(cert, r.MappingRules)
		if err != nil {
			principal = "" // the recorded rules no longer map it: leave it to the audit
		}
		sans := r.SANs
		if sans == nil {
			sans = []string{}
		}
		out = append(out, CertInfo{
			Serial: r.Serial, Kind: r.Kind, Name: r.Name, Subject: r.Subject, Principal: principal,
			SANs: sans, NotBefore: r.NotBefore, NotAfter: r.NotAfter, Status: status(r, now, warnWithin),
			RevokedAt: r.RevokedAt, Reason: r.Reason, CertPath: r.CertPath, KeyPath: r.KeyPath,
			Renews: r.Renews, SupersededBy: r.SupersededBy, Cert: cert,
		})
	}
	return out, nil
}

func status(r Record, now time.Time, warnWithin time.Duration) string {
	switch {
	case r.Pending:
		return StatusPending
	case r.RevokedAt != nil:
		return StatusRevoked
	case !now.Before(r.NotAfter):
		return StatusExpired
	case r.NotAfter.Sub(now) <= warnWithin:
		return StatusExpiring
	}
	return StatusValid
}

// readCopyCached is readCopy without reading a record file twice.
func (ca *CA) readCopyCached(idx *index, r Record) (*x509.Certificate, error) {
	if cert := idx.certs[r.Serial]; cert != nil {
		return cert, nil
	}
	return ca.readCopy(r)
}

func (ca *CA) readCopy(r Record) (*x509.Certificate, error) {
	path := filepath.Join(ca.dir, filepath.FromSlash(r.Copy))
	cert, err := ReadCertificate(path)
	if err != nil {
		return nil, fmt.Errorf("certificate %s (%s): %w", r.Serial, r.Name, err)
	}
	return cert, nil
}

// RevokedCert is one entry of the CRL.
type RevokedCert struct {
	Serial    string    `json:"serial"`
	Name      string    `json:"name"`
	RevokedAt time.Time `json:"revoked_at"`
	Reason    string    `json:"reason"`
}

// Revoked lists the revoked certificates.
func (ca *CA) Revoked() ([]RevokedCert, error) {
	idx, err := loadIndex(ca.dir)
	if err != nil {
		return nil, err
	}
	var out []RevokedCert
	for _, r := range idx.Certs {
		if r.RevokedAt != nil {
			out = append(out, RevokedCert{Serial: r.Serial, Name: r.Name, RevokedAt: *r.RevokedAt, Reason: r.Reason})
		}
	}
	return out, nil
}

// RenewRequest selects certificates to renew: by Name, or every current
// (not superseded, not revoked) certificate expiring within ExpiringWithin.
type RenewRequest struct {
	Name           string
	ExpiringWithin time.Duration
	Expiry         time.Duration // default: the old certificate's validity period
	ReuseKey       bool          // keep the old key (read from its key file)
	PKCS12Password string        // needed when the old certificate had a PKCS12 keystore
	// Progress, if set, is called after each renewal (for a progress line).
	Progress func(done, total int)
}

// RenewResult is what Renew did.
type RenewResult struct {
	Renewed []*Issued
	// Skipped are selected certificates a bulk renewal (ExpiringWithin)
	// left alone: issued from a certificate request (the key is elsewhere),
	// or with a PKCS12 keystore and no password given.
	Skipped []SkippedRenewal
}

// SkippedRenewal names a certificate Renew did not renew, and why.
type SkippedRenewal struct {
	Serial, Name string
	Reason       NotRenewable
}

// NotRenewable is why Renew cannot renew a certificate by itself.
type NotRenewable int

const (
	// FromRequest: issued from a certificate request, its key is elsewhere.
	FromRequest NotRenewable = iota + 1
	// NeedsPassword: it has a PKCS12 keystore and no password was given.
	NeedsPassword
)

func (r NotRenewable) String() string {
	if r == FromRequest {
		return "was issued from a certificate request"
	}
	return "has a PKCS12 keystore"
}

// NotRenewableError is Renew's error for the one certificate it was asked
// to renew by name when it cannot.
type NotRenewableError struct {
	Name   string
	Reason NotRenewable
}

func (e *NotRenewableError) Error() string {
	return fmt.Sprintf("certificate %q %s", e.Name, e.Reason)
}

// Renew issues a new certificate with the same subject, SANs, kind and files
// for each selected certificate. The old certificates stay valid until they
// expire (revoke them for a hard cut-over); the index links old and new.
// When ctx ends (Ctrl-C) it stops between two renewals: each renewal is
// whole (certificate, key and index written), the result lists those done,
// and the error is ctx's.
func (ca *CA) Renew(ctx context.Context, req RenewRequest) (*RenewResult, error) {
	if (req.Name == "") == (req.ExpiringWithin == 0) {
		return nil, errors.New("renew needs exactly one of a name or an expiring-within duration")
	}
	idx, unlock, err := ca.lockIndex()
	if err != nil {
		return nil, err
	}
	defer unlock()
	t := now()
	var selected []int
	for i, r := range idx.Certs {
		if r.SupersededBy != "" || r.RevokedAt != nil {
			continue
		}
		if req.Name != "" && r.Name == req.Name || req.Name == "" && r.NotAfter.Sub(t) <= req.ExpiringWithin {
			selected = append(selected, i)
		}
	}
	if len(selected) == 0 {
		if req.Name != "" {
			return nil, fmt.Errorf("no current certificate named %q in %s", req.Name, filepath.Join(ca.dir, IndexFile))
		}
		return &RenewResult{}, nil
	}
	// Prepare every renewal before writing anything.
	type job struct {
		old   *Record
		spec  leafSpec
		paths outPaths
	}
	var jobs []job
	res := &RenewResult{}
	for _, i := range selected {
		old := &idx.Certs[i]
		if old.KeyPath == "" {
			if req.Name != "" {
				return nil, &NotRenewableError{Name: old.Name, Reason: FromRequest}
			}
			res.Skipped = append(res.Skipped, SkippedRenewal{old.Serial, old.Name, FromRequest})
			continue
		}
		if old.PKCS12Path != "" && req.PKCS12Password == "" && req.Name == "" {
			res.Skipped = append(res.Skipped, SkippedRenewal{old.Serial, old.Name, NeedsPassword})
			continue
		}
		cert, err := ca.readCopy(*old)
		if err != nil {
			return nil, err
		}
		if old.PKCS12Path != "" {
			if req.PKCS12Password == "" {
				return nil, fmt.Errorf("certificate %q has a PKCS12 keystore %s: a password file is needed to renew it", old.Name, old.PKCS12Path)
			}
			if err := checkKeystorePassword(old.PKCS12Path, req.PKCS12Password); err != nil {
				return nil, err
			}
		}
		expiry := req.Expiry
		if expiry == 0 {
			expiry = old.validity()
		}
		spec := leafSpec{kind: old.Kind, rawSubject: cert.RawSubject, expiry: expiry}
		if old.Kind == KindBroker {
			spec.hosts = certSANs(cert)
		}
		if req.ReuseKey {
			data, err := os.ReadFile(old.KeyPath)
			if err != nil {
				return nil, fmt.Errorf("renew %s with its old key: %w", old.Name, err)
			}
			k, err := parseKeyPEM(data)
			if err != nil {
				return nil, fmt.Errorf("renew %s with its old key %s: %w", old.Name, old.KeyPath, err)
			}
			if !publicKeysEqual(k.Public(), cert.PublicKey) {
				return nil, fmt.Errorf("renew %s: key %s does not belong to certificate %s", old.Name, old.KeyPath, old.Serial)
			}
			spec.key = k
		} else {
			spec.keyAlgo = keyAlgoOf(cert) // at the default size
		}
		jobs = append(jobs, job{old: old, spec: spec, paths: outPaths{cert: old.CertPath, key: old.KeyPath, p12: old.PKCS12Path}})
	}
	for _, j := range jobs {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		l, err := ca.newLeaf(j.spec)
		if err != nil {
			return res, fmt.Errorf("renew %s: %w", j.old.Name, err)
		}
		principal, _ := PrincipalFromCert(l.cert, j.old.MappingRules)
		rec := newRecord(j.old.Kind, j.old.Name, l, j.paths, j.old.MappingRules)
		rec.Renews = j.old.Serial // the old record is linked when read
		if err := ca.prepareDirs(j.paths); err != nil {
			return res, err
		}
		if rec.Seq, err = ca.nextSeq(); err != nil {
			return res, err
		}
		if err := ca.saveLeaf(l, rec, j.paths, req.PKCS12Password); err != nil {
			return res, err
		}
		res.Renewed = append(res.Renewed, rec.issued(l, principal))
		if req.Progress != nil {
			req.Progress(len(res.Renewed), len(jobs))
		}
	}
	return res, nil
}

// validity is the expiry r was issued with, which a renewal without an
// expiry of its own reuses, so that repeated renewals keep the same span.
// A record from before the index kept it: its span without the backdate
// every certificate gets (at least the shortest expiry, 1m). That is short
// by up to the backdate when NotBefore was clamped to the CA's; the renewal
// records its own validity, so it stays put from then on.
func (r *Record) validity() time.Duration {
	if d, err := time.ParseDuration(r.Validity); err == nil && d >= time.Minute {
		return d
	}
	return max(r.NotAfter.Sub(r.NotBefore)-backdate, time.Minute)
}

func keyAlgoOf(cert *x509.Certificate) string {
	if cert.PublicKeyAlgorithm == x509.RSA {
		return "rsa"
	}
	return "ecdsa"
}

// maxKeystoreBytes bounds the keystore a renewal reads back: the ones issue
// writes are a few KB.
const maxKeystoreBytes = 16 << 20

// checkKeystorePassword makes sure password opens the existing keystore, so
// a renewal never silently changes a keystore's password.
func checkKeystorePassword(path, password string) error {
	data, err := fsutil.ReadFileLimit(path, maxKeystoreBytes, "a keystore")
	if errors.Is(err, os.ErrNotExist) {
		return nil // gone: the renewal writes a new one
	}
	if err != nil {
		return fmt.Errorf("read pkcs12 keystore: %w", err)
	}
	if _, _, _, err := pkcs12safe.DecodeChain(data, password); err != nil {
		if errors.Is(err, pkcs12.ErrIncorrectPassword) {
			return fmt.Errorf("the password file does not open the pkcs12 keystore %s (wrong password)", path)
		}
		return fmt.Errorf("read pkcs12 keystore %s: %w", path, err)
	}
	return nil
}
