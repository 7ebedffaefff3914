package pki

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/kafkaguard/kafkaguard/internal/fsutil"
)

// The CA's records of what it issued live in three places (see txn.go for
// how an issue moves a record from one to the next):
//
//   - DIR/index.json, the compact index: every record as of the last
//     compaction, with what changed since issue (revocation, renewal links)
//     and the CRL number. Revoke, crl and doctor rewrite it whole;
//   - DIR/certs/SERIAL.pem, one file per certificate: a JSON line with the
//     record as issued, then the certificate (PEM allows text before the
//     block, so openssl and ReadCertificate read it as the CA's copy of the
//     certificate). An issue adds one and rewrites nothing, so its cost does
//     not grow with the number of certificates. A record file whose serial
//     index.json does not hold yet is read after the index, in issue order
//     (its seq); an older copy (plain PEM) belongs to a record in index.json;
//   - DIR/txn/SERIAL.pem, an issue or renewal not yet committed: read as
//     pending, completed or undone by the next writer or 'pki doctor'.
//
// Version 1 (every record in index.json, certs/ plain PEM) is read as it
// is; the first command that writes migrates it to version 2 (the same
// records), which older kafkaguard releases refuse instead of missing the
// record files.
const (
	indexVersion       = 2
	legacyIndexVersion = 1
	txnDir             = "txn"
	sequenceFile       = "sequence"
)

// index is every certificate the CA issued: index.json's records, then the
// record files not yet compacted into it, then pending transactions.
type index struct {
	Version   int      `json:"version"`
	CASerial  string   `json:"ca_serial"`
	CRLNumber int64    `json:"crl_number,omitempty"`
	Certs     []Record `json:"certs"`

	// certs holds the certificates read with record files, so that List
	// does not read them twice.
	certs map[string]*x509.Certificate
}

// Record is one issued certificate in DIR/index.json or a record file.
type Record struct {
	// Seq orders record files (issue order); records in index.json keep
	// theirs but are ordered by their place in it.
	Seq       int64     `json:"seq,omitempty"`
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
	// PKCS12SHA256 is the hash of the keystore written at issue: recovery
	// checks a staged keystore with it (it cannot open one without the
	// password).
	PKCS12SHA256 string `json:"pkcs12_sha256,omitempty"`
	// Pending marks an issue or renewal whose files may not all be in
	// place yet (see txn.go); the next writer completes it. Version 1
	// kept it in index.json; version 2 keeps such records in DIR/txn.
	Pending bool `json:"pending,omitempty"`

	inTxn bool // read from DIR/txn: never compacted into index.json
}

// lockIndex takes the CA lock, finishes interrupted transactions and reads
// every record under the lock; it removes leftover files too, since it
// reads the whole CA anyway. The caller calls unlock when done.
func (ca *CA) lockIndex() (idx *index, unlock func(), err error) {
	unlock, _, err = ca.lock()
	if err != nil {
		return nil, nil, err
	}
	if idx, err = loadIndex(ca.dir); err != nil {
		unlock()
		return nil, nil, err
	}
	ca.removeLeftovers(idx)
	return idx, unlock, nil
}

// lock takes the CA's mutex and directory lock (so that neither another
// goroutine nor another process writes meanwhile), migrates a version 1
// index and completes or undoes interrupted transactions. It reads no
// record but those: an issue costs the same with ten certificates or ten
// thousand. actions say what recovery did.
func (ca *CA) lock() (unlock func(), actions []string, err error) {
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
	if actions, err = ca.recover(); err != nil {
		unlock()
		return nil, nil, fmt.Errorf("complete an interrupted issue or renewal in %s: %w", ca.dir, err)
	}
	return unlock, actions, nil
}

// indexHeader is what index.json says before its records.
type indexHeader struct {
	version int
	absent  bool
}

// readIndexHeader checks index.json's version without reading its
// records: Open and every writer call it, and neither needs them.
func readIndexHeader(dir string) (indexHeader, error) {
	path := filepath.Join(dir, IndexFile)
	f, err := fsutil.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			// A CA made elsewhere (ca.pem + ca-key.pem only): an empty
			// index, written by the first command that writes.
			return indexHeader{absent: true, version: indexVersion}, nil
		}
		return indexHeader{}, fmt.Errorf("read ca index: %w", err)
	}
	defer f.Close()
	// What idx.save writes starts with the version: no JSON decoder for it
	// (every issue reads the header twice: Open and lock).
	buf := make([]byte, 512)
	n, err := io.ReadFull(f, buf)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return indexHeader{}, fmt.Errorf("read ca index: %w", err)
	}
	for _, v := range []int{indexVersion, legacyIndexVersion} {
		if bytes.HasPrefix(buf[:n], fmt.Appendf(nil, "{\n  \"version\": %d,\n", v)) {
			return indexHeader{version: v}, nil
		}
	}
	corrupt := func(err error) error { return fmt.Errorf("read ca index %s: corrupt: %w", path, err) }
	dec := json.NewDecoder(io.MultiReader(bytes.NewReader(buf[:n]), f))
	if tok, err := dec.Token(); err != nil {
		return indexHeader{}, corrupt(err)
	} else if tok != json.Delim('{') {
		return indexHeader{}, corrupt(errors.New("not a JSON object"))
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return indexHeader{}, corrupt(err)
		}
		if key != "version" {
			break // kafkaguard writes the version first
		}
		var v int
		if err := dec.Decode(&v); err != nil {
			return indexHeader{}, corrupt(err)
		}
		if v != indexVersion && v != legacyIndexVersion {
			return indexHeader{}, fmt.Errorf("read ca index %s: unsupported version %d", path, v)
		}
		return indexHeader{version: v}, nil
	}
	return indexHeader{}, corrupt(errors.New("no version"))
}

// readIndexFile reads index.json alone.
func readIndexFile(dir string) (*index, error) {
	path := filepath.Join(dir, IndexFile)
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
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
	if idx.Version != indexVersion && idx.Version != legacyIndexVersion {
		return nil, fmt.Errorf("read ca index %s: unsupported version %d", path, idx.Version)
	}
	return &idx, nil
}

// loadIndex reads every record: index.json, then the record files it does
// not hold (in issue order, linking what each one replaced as its commit
// did), then pending transactions.
func loadIndex(dir string) (*index, error) {
	idx, err := readIndexFile(dir)
	if err != nil {
		return nil, err
	}
	idx.certs = map[string]*x509.Certificate{}
	inIndex := make(map[string]bool, len(idx.Certs))
	for _, r := range idx.Certs {
		inIndex[r.Serial] = true
	}
	journal, err := readRecordDir(filepath.Join(dir, CertsDir), inIndex, idx.certs, true)
	if err != nil {
		return nil, err
	}
	for _, r := range journal {
		idx.Certs = append(idx.Certs, r)
		link(idx, r)
	}
	pending, err := readRecordDir(filepath.Join(dir, txnDir), inIndex, idx.certs, false)
	if err != nil {
		return nil, err
	}
	for _, r := range pending {
		r.Pending, r.inTxn = true, true
		idx.Certs = append(idx.Certs, r)
	}
	return idx, nil
}

// readRecordDir reads the record files in dir whose serial is not in skip,
// sorted by seq. A record file that does not parse is an error when strict
// (certs/: a committed record), else skipped (txn/: an intent whose write
// was cut short, which recovery removes). Plain PEM copies are skipped.
func readRecordDir(dir string, skip map[string]bool, certs map[string]*x509.Certificate, strict bool) ([]Record, error) {
	names, err := readDirNames(dir)
	if err != nil {
		return nil, err
	}
	var out []Record
	for _, n := range names {
		serial, ok := strings.CutSuffix(n, ".pem")
		if !ok || !copyRE.MatchString(n) || skip[serial] {
			continue
		}
		path := filepath.Join(dir, n)
		data, err := os.ReadFile(path)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || !strict {
				continue
			}
			return nil, fmt.Errorf("read ca record: %w", err)
		}
		if !isRecordFile(data) {
			continue
		}
		rec, cert, err := parseRecordFile(data, serial)
		if err != nil {
			if !strict {
				continue
			}
			return nil, fmt.Errorf("read ca record %s: corrupt: %w", path, err)
		}
		certs[serial] = cert
		out = append(out, rec)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Seq != out[j].Seq {
			return out[i].Seq < out[j].Seq
		}
		return out[i].Serial < out[j].Serial
	})
	return out, nil
}

func readDirNames(dir string) ([]string, error) {
	d, err := fsutil.OpenFile(dir, os.O_RDONLY, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("read ca directory: %w", err)
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("read ca directory %s: %w", dir, err)
	}
	return names, nil
}

// isRecordFile tells a record file (a JSON line, then the certificate)
// from a plain PEM copy.
func isRecordFile(data []byte) bool { return len(data) > 0 && data[0] == '{' }

// encodeRecordFile is the record as one JSON line followed by the
// certificate's PEM block.
func encodeRecordFile(r Record, certPEM []byte) ([]byte, error) {
	r.Pending = false
	line, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode ca record: %w", err)
	}
	return append(append(line, '\n'), certPEM...), nil
}

// parseRecordFile parses a record file named after serial.
func parseRecordFile(data []byte, serial string) (Record, *x509.Certificate, error) {
	line, rest, ok := bytes.Cut(data, []byte("\n"))
	if !ok {
		return Record{}, nil, errors.New("no certificate after the record")
	}
	var r Record
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Record{}, nil, err
	}
	if r.Serial != serial || r.Pending {
		return Record{}, nil, fmt.Errorf("record of serial %s in the file of %s", r.Serial, serial)
	}
	cert, err := ParseCertificatePEM(rest)
	if err != nil {
		return Record{}, nil, err
	}
	if serialHex(cert.SerialNumber) != serial {
		return Record{}, nil, fmt.Errorf("certificate serial %s in the file of %s", serialHex(cert.SerialNumber), serial)
	}
	return r, cert, nil
}

// save writes index.json whole with every committed record (a
// compaction): the record files it now holds stay as certificate copies.
func (idx *index) save(dir string) error {
	out := *idx
	out.Version = indexVersion
	out.Certs = make([]Record, 0, len(idx.Certs))
	for _, r := range idx.Certs {
		if !r.inTxn {
			out.Certs = append(out.Certs, r)
		}
	}
	data, err := json.MarshalIndent(&out, "", "  ")
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
