package pki

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/kafkaguard/kafkaguard/internal/fsutil"
)

// Recovery: what every writer (on taking the CA lock), `pki check` and
// `pki doctor` do with what a killed writer left behind.

// recover brings the CA to version 2 and completes or undoes every
// interrupted transaction, with the CA lock held; it returns one line per
// action.
func (ca *CA) recover() ([]string, error) {
	hdr, err := readIndexHeader(ca.dir)
	if err != nil {
		return nil, err
	}
	var actions []string
	if hdr.absent || hdr.version == legacyIndexVersion {
		if actions, err = ca.migrate(); err != nil {
			return nil, err
		}
	}
	names, err := readDirNames(filepath.Join(ca.dir, txnDir))
	if err != nil {
		return nil, err
	}
	if err := ca.readSeqMarker(names); err != nil {
		return nil, err
	}
	sort.Strings(names)
	for _, n := range names {
		serial, ok := strings.CutSuffix(n, ".pem")
		if !ok || !copyRE.MatchString(n) {
			continue // not an intent: a leftover for doctor
		}
		a, err := ca.recoverTxn(serial)
		if err != nil {
			return actions, err
		}
		actions = append(actions, a)
	}
	return actions, nil
}

// migrate rewrites a version 1 index.json (or writes a missing one) as
// version 2, completing the pending records version 1 kept in it, and
// creates DIR/txn.
func (ca *CA) migrate() ([]string, error) {
	idx, err := loadIndex(ca.dir)
	if err != nil {
		return nil, err
	}
	if idx.CASerial == "" && ca.cert != nil {
		idx.CASerial = serialHex(ca.cert.SerialNumber)
	}
	actions, err := ca.recoverLegacy(idx)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(ca.dir, txnDir), 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", filepath.Join(ca.dir, txnDir), err)
	}
	if err := fsutil.SyncDir(ca.dir); err != nil {
		return nil, err
	}
	return actions, idx.save(ca.dir)
}

// recoverLegacy finishes or undoes the pending records of a version 1
// index.json (whose staged files were written before the record).
func (ca *CA) recoverLegacy(idx *index) ([]string, error) {
	var actions []string
	var keep []Record
	var committed []string
	for _, r := range idx.Certs {
		if !r.Pending || r.inTxn {
			keep = append(keep, r)
			continue
		}
		if err := deploy(r); err != nil {
			return nil, err
		}
		if serial, _ := deployedSerial(r.CertPath); serial == r.Serial {
			r.Pending = false
			keep = append(keep, r)
			committed = append(committed, r.Serial)
			actions = append(actions, completedAction(r))
			continue
		}
		// Its files are gone and another certificate is deployed: undo.
		os.Remove(filepath.Join(ca.dir, filepath.FromSlash(r.Copy)))
		actions = append(actions, rolledBackAction(r))
	}
	idx.Certs = keep
	for _, s := range committed {
		if r := idx.find(s); r != nil {
			link(idx, *r)
		}
	}
	return actions, nil
}

func completedAction(r Record) string {
	return fmt.Sprintf("completed the interrupted %s of %s %s (serial %s)", txnKind(r), r.Kind, r.Name, r.Serial)
}

func rolledBackAction(r Record) string {
	return fmt.Sprintf("rolled back the interrupted %s of %s %s (serial %s): its files are missing", txnKind(r), r.Kind, r.Name, r.Serial)
}

// recoverTxn completes the transaction of serial in DIR/txn when every file
// it stages is whole (staged or already deployed), and undoes it otherwise.
func (ca *CA) recoverTxn(serial string) (string, error) {
	txnPath := filepath.Join(ca.dir, txnDir, serial+".pem")
	data, err := os.ReadFile(txnPath)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", txnPath, err)
	}
	var r Record
	var cert *x509.Certificate
	if isRecordFile(data) {
		r, cert, err = parseRecordFile(data, serial)
	} else {
		err = errors.New("not a record")
	}
	if err != nil {
		// Cut short before its fsync: nothing of it was deployed.
		if err := os.Remove(txnPath); err != nil {
			return "", err
		}
		return "removed the incomplete transaction record " + txnPath, nil
	}
	paths := recPaths(r)
	whole := true
	for _, f := range deployOrder(paths) {
		if !ca.fileIsWhole(stagedPath(f, serial), f, paths, r, cert) && !ca.fileIsWhole(f, f, paths, r, cert) {
			whole = false
		}
	}
	if !whole {
		for _, f := range deployOrder(paths) {
			os.Remove(stagedPath(f, serial))
		}
		if err := os.Remove(txnPath); err != nil {
			return "", err
		}
		return rolledBackAction(r), nil
	}
	if seq, err := ca.nextSeq(); err == nil && seq <= r.Seq {
		if err := ca.syncSeqMarker(r.Seq); err != nil {
			return "", err
		}
	}
	if err := ca.deployAndCommit(r); err != nil {
		return "", err
	}
	return completedAction(r), nil
}

// fileIsWhole reports whether path holds what the transaction of r writes
// to target: the key of cert, the chain of cert and the CA, or the keystore
// with the recorded hash.
func (ca *CA) fileIsWhole(path, target string, paths outPaths, r Record, cert *x509.Certificate) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	switch target {
	case paths.key:
		key, err := parseKeyPEM(data)
		return err == nil && publicKeysEqual(key.Public(), cert.PublicKey)
	case paths.p12:
		return r.PKCS12SHA256 != "" && sha256Hex(data) == r.PKCS12SHA256
	}
	return ca.cert != nil && bytes.Equal(data, ca.chainPEM(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})))
}

func txnKind(r Record) string {
	if r.Renews != "" {
		return "renewal"
	}
	return "issue"
}

// leftovers lists temporary and staged files in the CA dir, certs/, txn/
// and the directories certificates were issued to, certificate copies that
// no record names, and transaction records that do not parse.
func (ca *CA) leftovers(idx *index) []string {
	certsDir, txn := filepath.Join(ca.dir, CertsDir), filepath.Join(ca.dir, txnDir)
	dirs := map[string]bool{ca.dir: true, certsDir: true, txn: true, filepath.Join(ca.dir, IssuedDir): true}
	copies, pending := map[string]bool{}, map[string]bool{}
	for _, r := range idx.Certs {
		for _, f := range deployOrder(recPaths(r)) {
			dirs[filepath.Dir(f)] = true
		}
		if r.inTxn {
			pending[r.Serial+".pem"] = true
		} else {
			copies[filepath.Base(filepath.FromSlash(r.Copy))] = true
		}
	}
	var out []string
	for d := range dirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range entries {
			n := e.Name()
			if !e.Type().IsRegular() {
				continue
			}
			if leftoverRE.MatchString(n) || d == certsDir && copyRE.MatchString(n) && !copies[n] || d == txn && !pending[n] && !seqMarkerRE.MatchString(n) {
				out = append(out, filepath.Join(d, n))
			}
		}
	}
	sort.Strings(out)
	return out
}

// removeLeftovers removes what leftovers lists and says so. Staged files
// of a current committed record (a commit that a power loss kept while a
// rename before it was lost) are whole: they are deployed instead.
func (ca *CA) removeLeftovers(idx *index) []string {
	var actions []string
	for _, r := range idx.Certs {
		if r.inTxn || r.Pending || r.SupersededBy != "" || r.RevokedAt != nil {
			continue
		}
		staged, whole := 0, true
		for _, f := range deployOrder(recPaths(r)) {
			if _, err := os.Lstat(stagedPath(f, r.Serial)); err == nil {
				staged++
				cert, err := ca.readCopyCached(idx, r)
				whole = whole && err == nil && ca.fileIsWhole(stagedPath(f, r.Serial), f, recPaths(r), r, cert)
			}
		}
		if staged > 0 && whole && deploy(r) == nil {
			actions = append(actions, fmt.Sprintf("deployed the staged files of %s %s (serial %s)", r.Kind, r.Name, r.Serial))
		}
	}
	for _, f := range ca.leftovers(idx) {
		if err := os.Remove(f); err == nil {
			actions = append(actions, "removed leftover file "+f)
		}
	}
	return actions
}

var copyRE = regexp.MustCompile(`^[0-9A-F]+\.pem$`)

// deployedSerial is the serial of the first certificate in the PEM file path.
func deployedSerial(path string) (string, *x509.Certificate) {
	cert, err := ReadCertificate(path)
	if err != nil {
		return "", nil
	}
	return serialHex(cert.SerialNumber), cert
}

// Check reports, without changing anything, what a killed writer left:
// interrupted (pending) issues and renewals, leftover files, and current
// certificates whose deployed file has another serial or whose key does
// not match. Files that are absent or unreadable (moved to the brokers, or
// this host may not read keys) are not reported.
func (ca *CA) Check() ([]string, error) {
	idx, err := loadIndex(ca.dir)
	if err != nil {
		return nil, err
	}
	var problems []string
	for _, r := range idx.Certs {
		if r.Pending {
			problems = append(problems, fmt.Sprintf("%s %s (serial %s): interrupted %s, not committed", r.Kind, r.Name, r.Serial, txnKind(r)))
			continue
		}
		if r.SupersededBy != "" || r.RevokedAt != nil {
			continue
		}
		serial, cert := deployedSerial(r.CertPath)
		if cert == nil {
			continue
		}
		if serial != r.Serial {
			if idx.find(serial) == nil {
				problems = append(problems, fmt.Sprintf("%s %s: deployed %s has serial %s, which index.json does not know (it cannot be revoked)", r.Kind, r.Name, r.CertPath, serial))
			}
			continue
		}
		if r.KeyPath == "" {
			continue
		}
		data, err := os.ReadFile(r.KeyPath)
		if err != nil {
			continue
		}
		key, err := parseKeyPEM(data)
		if err != nil || !publicKeysEqual(key.Public(), cert.PublicKey) {
			problems = append(problems, fmt.Sprintf("%s %s: key %s does not match certificate %s (serial %s)", r.Kind, r.Name, r.KeyPath, r.CertPath, r.Serial))
		}
	}
	for _, f := range ca.leftovers(idx) {
		problems = append(problems, "leftover file "+f)
	}
	return problems, nil
}

// Doctor takes the CA lock, completes or undoes interrupted issues and
// renewals, removes leftover files and compacts the record files into
// index.json; it needs no CA key. It returns the actions taken and the
// problems that remain (Check after repair).
func (ca *CA) Doctor() (actions, remaining []string, err error) {
	unlock, actions, err := ca.lock()
	if err != nil {
		return nil, nil, err
	}
	idx, err := loadIndex(ca.dir)
	if err == nil {
		actions = append(actions, ca.removeLeftovers(idx)...)
		err = idx.save(ca.dir)
	}
	unlock()
	if err != nil {
		return actions, nil, err
	}
	remaining, err = ca.Check()
	return actions, remaining, err
}
