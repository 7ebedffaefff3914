package pki

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/kafkaguard/kafkaguard/internal/fsutil"
)

// Revocation reasons (RFC 5280 CRLReason), by the names `pki revoke
// --reason` accepts.
var revocationReasons = map[string]int{
	"unspecified":          0,
	"keyCompromise":        1,
	"cACompromise":         2,
	"affiliationChanged":   3,
	"superseded":           4,
	"cessationOfOperation": 5,
	"certificateHold":      6,
	"privilegeWithdrawn":   9,
	"aACompromise":         10,
}

// ReasonNames lists the accepted revocation reasons.
func ReasonNames() []string {
	var out []string
	for k := range revocationReasons {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return revocationReasons[out[i]] < revocationReasons[out[j]] })
	return out
}

// canonicalReason accepts a reason in any case, with or without dashes
// ("key-compromise", "keyCompromise").
func canonicalReason(s string) (string, error) {
	if s == "" {
		return "unspecified", nil
	}
	flat := strings.ToLower(strings.NewReplacer("-", "", "_", "", " ", "").Replace(s))
	for k := range revocationReasons {
		if strings.ToLower(k) == flat {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown revocation reason %q (want one of %s)", s, strings.Join(ReasonNames(), ", "))
}

// RevokeRequest selects what to revoke: one serial, or every unrevoked,
// unexpired certificate with Name.
type RevokeRequest struct {
	Name   string
	Serial string
	Reason string // RFC 5280 reason name; default unspecified
}

// Revoke marks certificates revoked in the index and returns them. Write a
// CRL afterwards (CRL) for brokers to see it.
func (ca *CA) Revoke(req RevokeRequest) ([]RevokedCert, error) {
	if (req.Name == "") == (req.Serial == "") {
		return nil, errors.New("revoke needs exactly one of a name or a serial")
	}
	reason, err := canonicalReason(req.Reason)
	if err != nil {
		return nil, err
	}
	var serial string
	if req.Serial != "" {
		if serial, err = NormalizeSerial(req.Serial); err != nil {
			return nil, err
		}
	}
	idx, unlock, err := ca.lockIndex()
	if err != nil {
		return nil, err
	}
	defer unlock()
	t := now().UTC().Truncate(time.Second)
	var out []RevokedCert
	if serial != "" {
		r := idx.find(serial)
		if r == nil {
			return nil, fmt.Errorf("serial %s is not in %s", serial, filepath.Join(ca.dir, IndexFile))
		}
		if r.RevokedAt != nil {
			return nil, fmt.Errorf("serial %s (%s) was already revoked on %s", serial, r.Name, r.RevokedAt.Format(time.RFC3339))
		}
		r.RevokedAt, r.Reason = &t, reason
		out = append(out, RevokedCert{Serial: r.Serial, Name: r.Name, RevokedAt: t, Reason: reason})
	} else {
		known := false
		for i := range idx.Certs {
			r := &idx.Certs[i]
			if r.Name != req.Name {
				continue
			}
			known = true
			if r.RevokedAt != nil || !t.Before(r.NotAfter) {
				continue
			}
			r.RevokedAt, r.Reason = &t, reason
			out = append(out, RevokedCert{Serial: r.Serial, Name: r.Name, RevokedAt: t, Reason: reason})
		}
		if !known {
			return nil, fmt.Errorf("no certificate named %q in %s", req.Name, filepath.Join(ca.dir, IndexFile))
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("every certificate named %q is already revoked or expired", req.Name)
		}
	}
	if err := idx.save(ca.dir); err != nil {
		return nil, err
	}
	return out, nil
}

// DefaultCRLValidity is how long a CRL is valid (its NextUpdate).
const DefaultCRLValidity = 7 * 24 * time.Hour

// CRL returns a PEM CRL ("X509 CRL") signed by the CA, listing every revoked
// serial with its reason, valid for validity (default 7 days), and how many
// serials it lists. Each call takes the next CRL number from the index.
func (ca *CA) CRL(validity time.Duration) (crl []byte, revoked int, err error) {
	return ca.crl(validity, nil)
}

// CRLToFile is CRL written atomically to path, under the same lock that
// numbers it: a CRL already at path with a higher (or equal) CRL number is
// never replaced, so a delayed run cannot put back an older list after which
// a revoked certificate would pass 'openssl verify -crl_check'.
func (ca *CA) CRLToFile(validity time.Duration, path string) (revoked int, err error) {
	_, revoked, err = ca.crl(validity, func(number int64, crl []byte) error {
		if old, ok := readOldCRL(path); ok {
			if b, _ := pem.Decode(old); b != nil && b.Type == "X509 CRL" {
				if rl, err := x509.ParseRevocationList(b.Bytes); err == nil && rl.Number != nil && rl.Number.Cmp(big.NewInt(number)) >= 0 {
					return fmt.Errorf("%s holds CRL number %s, not older than this one (%d): not replaced", path, rl.Number, number)
				}
			}
		}
		return fsutil.WriteFileAtomic(path, crl, 0o644)
	})
	return revoked, err
}

// MaxCRLBytes bounds a CRL file kafkaguard reads (the one CRLToFile
// replaces, dev up --crl): one of a kafkaguard CA is far smaller, some 40
// bytes a revoked serial.
const MaxCRLBytes = 64 << 20

// readOldCRL reads the file a CRL is to replace, when it is a regular file
// of at most MaxCRLBytes: anything else (a FIFO that would block the
// read, /dev/zero, a file too large to be this CA's CRL) is no CRL of
// this CA, replaced like any other file.
func readOldCRL(path string) ([]byte, bool) {
	if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
		return nil, false
	}
	data, over, err := fsutil.ReadFileAtMost(path, MaxCRLBytes)
	return data, err == nil && !over
}

func (ca *CA) crl(validity time.Duration, write func(number int64, crl []byte) error) (crl []byte, revoked int, err error) {
	if ca.key == nil {
		return nil, 0, errNoKey(ca.dir)
	}
	if validity == 0 {
		validity = DefaultCRLValidity
	}
	if validity < 0 {
		return nil, 0, fmt.Errorf("crl validity %s must be positive", validity)
	}
	idx, unlock, err := ca.lockIndex()
	if err != nil {
		return nil, 0, err
	}
	defer unlock()
	var entries []x509.RevocationListEntry
	for _, r := range idx.Certs {
		if r.RevokedAt == nil {
			continue
		}
		n, ok := new(big.Int).SetString(r.Serial, 16)
		if !ok {
			return nil, 0, fmt.Errorf("ca index: serial %q is not hex", r.Serial)
		}
		code := revocationReasons[r.Reason]
		entries = append(entries, x509.RevocationListEntry{SerialNumber: n, RevocationTime: *r.RevokedAt, ReasonCode: code})
	}
	idx.CRLNumber++
	t := now().UTC().Truncate(time.Second)
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number:                    big.NewInt(idx.CRLNumber),
		ThisUpdate:                t,
		NextUpdate:                t.Add(validity),
		RevokedCertificateEntries: entries,
	}, ca.cert, ca.key)
	if err != nil {
		return nil, 0, fmt.Errorf("sign crl: %w", err)
	}
	if err := idx.save(ca.dir); err != nil {
		return nil, 0, err
	}
	crl = pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der})
	if write != nil {
		if err := write(idx.CRLNumber, crl); err != nil {
			return nil, 0, err
		}
	}
	return crl, len(entries), nil
}
