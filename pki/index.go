package pki

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kafkaguard/kafkaguard/internal/fsutil"
)

const indexVersion = 1

// index is DIR/index.json: every certificate the CA issued.
type index struct {
	Version   int      `json:"version"`
	CASerial  string   `json:"ca_serial"`
	CRLNumber int64    `json:"crl_number,omitempty"`
	Certs     []Record `json:"certs"`
}

// Record is one issued certificate in DIR/index.json.
type Record struct {
	Serial    string    `json:"serial"` // upper-case hex, as openssl prints it
	Kind      string    `json:"kind"`   // broker or client
	Name      string    `json:"name"`
	Subject   string    `json:"subject"` // RFC 2253
	SANs      []string  `json:"sans,omitempty"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	// Validity is the expiry requested at issue (a Go duration), which a
	// renewal without --expiry reuses: NotAfter-NotBefore also holds the
	// backdate and any clamping to the CA's validity.
	Validity     string     `json:"validity,omitempty"`
	CertPath     string     `json:"cert_path"`
	KeyPath      string     `json:"key_path"`
	PKCS12Path   string     `json:"pkcs12_path,omitempty"`
	Copy         string     `json:"copy"` // relative to DIR: certs/SERIAL.pem
	MappingRules string     `json:"mapping_rules,omitempty"`
	Renews       string     `json:"renews,omitempty"`        // serial this certificate replaced
	SupersededBy string     `json:"superseded_by,omitempty"` // serial of its renewal
	RevokedAt    *time.Time `json:"revoked_at,omitempty"`
	Reason       string     `json:"reason,omitempty"`
	// Pending marks an issue or renewal whose files may not all be in
	// place yet (see txn.go); the next writer completes it.
	Pending bool `json:"pending,omitempty"`
}

// lockIndex takes the CA's mutex and directory lock (so that neither
// another goroutine nor another process changes the index meanwhile) and
// reads the index under them. The caller calls unlock when done.
func (ca *CA) lockIndex() (idx *index, unlock func(), err error) {
	if idx, unlock, err = ca.lockIndexRaw(); err != nil {
		return nil, nil, err
	}
	if _, err := ca.recoverIndex(idx); err != nil {
		unlock()
		return nil, nil, fmt.Errorf("complete an interrupted issue or renewal in %s: %w", ca.dir, err)
	}
	return idx, unlock, nil
}

// lockIndexRaw is lockIndex without recovery.
func (ca *CA) lockIndexRaw() (idx *index, unlock func(), err error) {
	ca.mu.Lock()
	unlockDir, err := lockDir(ca.dir)
	if err != nil {
		ca.mu.Unlock()
		return nil, nil, err
	}
	unlock = func() {
		unlockDir()
		ca.mu.Unlock()
	}
	if idx, err = loadIndex(ca.dir); err != nil {
		unlock()
		return nil, nil, err
	}
	return idx, unlock, nil
}

func loadIndex(dir string) (*index, error) {
	path := filepath.Join(dir, IndexFile)
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			// A CA made elsewhere (ca.pem + ca-key.pem only): start an
			// empty index, written with the first certificate issued.
			return &index{Version: indexVersion}, nil
		}
		return nil, fmt.Errorf("read ca index: %w", err)
	}
	var idx index
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&idx); err != nil {
		return nil, fmt.Errorf("read ca index %s: corrupt: %w", path, err)
	}
	if idx.Version != indexVersion {
		return nil, fmt.Errorf("read ca index %s: unsupported version %d", path, idx.Version)
	}
	return &idx, nil
}

func (idx *index) save(dir string) error {
	if idx.Certs == nil {
		idx.Certs = []Record{}
	}
	data, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return fmt.Errorf("encode ca index: %w", err)
	}
	return fsutil.WriteFileAtomic(filepath.Join(dir, IndexFile), append(data, '\n'), certFilePerm)
}

func (idx *index) find(serial string) *Record {
	for i := range idx.Certs {
		if idx.Certs[i].Serial == serial {
			return &idx.Certs[i]
		}
	}
	return nil
}

// serialHex formats a serial as openssl does: upper-case hex, even length.
func serialHex(n *big.Int) string {
	s := strings.ToUpper(n.Text(16))
	if len(s)%2 == 1 {
		s = "0" + s
	}
	return s
}

// NormalizeSerial accepts a serial as hex (optionally with colons or a 0x
// prefix, any case) and returns the index form.
func NormalizeSerial(s string) (string, error) {
	t := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "0x"), "0X")
	t = strings.ReplaceAll(t, ":", "")
	n, ok := new(big.Int).SetString(t, 16)
	if !ok || t == "" || n.Sign() <= 0 {
		return "", fmt.Errorf("serial %q is not a hex number", s)
	}
	return serialHex(n), nil
}
