package pki

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"

	pkcs12 "software.sslmate.com/src/go-pkcs12"

	"github.com/kafkaguard/kafkaguard/internal/fsutil"
)

// An issue or renewal writes several files (key, certificate chain,
// keystore, the CA's copy) and the index. A kill between two of them must
// not leave a new key next to an old certificate, nor a deployed certificate
// the index does not know (it could not be revoked). So each one is a
// transaction:
//
//  1. stage: write NAME-key.pem, NAME.pem, NAME.p12 as FILE.pending-SERIAL
//     and certs/SERIAL.pem, each fsynced, and fsync their directories;
//  2. intent: append the record with pending=true to index.json (atomic,
//     fsynced) — from here on the transaction rolls forward;
//  3. deploy: rename the staged key, keystore, then certificate into place
//     and fsync the directory;
//  4. commit: clear pending, link the superseded record, save the index.
//
// Every writer holds the CA lock and, on taking it, finishes what a killed
// writer left (recoverIndex): staged files are renamed into place and the
// record committed; staged and temporary files without an intent are
// removed. A crash before step 2 leaves the old files deployed and in the
// index; after it, recovery completes the new ones.

const stagedInfix = ".pending-"

func stagedPath(path, serial string) string { return path + stagedInfix + serial }

// leftoverRE matches what a killed writer leaves: fsutil's temporaries of
// CA files (.NAME.pem.tmp-RANDOM, .index.json.tmp-RANDOM) and staged files
// (NAME.pem.pending-SERIAL); other programs' temporaries are left alone.
var leftoverRE = regexp.MustCompile(`^\..+\.(pem|p12|json)\.tmp-[0-9]+$|\.(pem|p12)\.pending-[0-9A-F]+$`)

// deployOrder lists the files of p in the order they are renamed into
// place: the certificate last, so a deployed new certificate implies that
// its key and keystore are deployed too.
func deployOrder(p outPaths) []string {
	var out []string
	for _, f := range []string{p.key, p.p12, p.cert} {
		if f != "" {
			out = append(out, f)
		}
	}
	return out
}

// saveLeaf runs the transaction for rec, which the caller appended to idx
// with Pending set.
func (ca *CA) saveLeaf(idx *index, l *leaf, rec Record, paths outPaths, p12Password string) (err error) {
	files := map[string][]byte{}
	perms := map[string]os.FileMode{}
	if paths.key != "" {
		if files[paths.key], err = encodeKeyPEM(l.key); err != nil {
			return err
		}
		perms[paths.key] = fsutil.SecretPerm
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw})
	files[paths.cert] = append(append([]byte{}, l.certPEM...), caPEM...)
	perms[paths.cert] = certFilePerm
	if paths.p12 != "" {
		if files[paths.p12], err = pkcs12.Modern2023.Encode(l.key, l.cert, []*x509.Certificate{ca.cert}, p12Password); err != nil {
			return fmt.Errorf("encode pkcs12 keystore: %w", err)
		}
		perms[paths.p12] = fsutil.SecretPerm
	}
	copyPath := filepath.Join(ca.dir, filepath.FromSlash(rec.Copy))
	intent := false
	defer func() {
		if err != nil && !intent { // nothing deployed: undo the staging
			for f := range files {
				os.Remove(stagedPath(f, rec.Serial))
			}
			os.Remove(copyPath)
		}
	}()
	// 1. stage
	for _, f := range deployOrder(paths) {
		if err = fsutil.WriteFileSynced(stagedPath(f, rec.Serial), files[f], perms[f]); err != nil {
			return err
		}
	}
	if err = fsutil.WriteFileAtomic(copyPath, l.certPEM, certFilePerm); err != nil {
		return err
	}
	if err = syncDirs(paths); err != nil {
		return err
	}
	// 2. intent
	if err = idx.save(ca.dir); err != nil {
		return err
	}
	intent = true
	if ca.crashAt == "intent" {
		return errCrash
	}
	// 3. deploy, 4. commit
	if ca.crashAt == "key" && paths.key != "" {
		os.Rename(stagedPath(paths.key, rec.Serial), paths.key)
		return errCrash
	}
	if err = deploy(rec); err != nil {
		return fmt.Errorf("%w (the next pki command or 'pki doctor' completes it)", err)
	}
	commit(idx, rec.Serial)
	return idx.save(ca.dir)
}

var errCrash = errors.New("simulated crash")

func syncDirs(p outPaths) error {
	seen := map[string]bool{}
	for _, f := range deployOrder(p) {
		d := filepath.Dir(f)
		if !seen[d] {
			seen[d] = true
			if err := fsutil.SyncDir(d); err != nil {
				return err
			}
		}
	}
	return nil
}

func recPaths(r Record) outPaths {
	return outPaths{cert: r.CertPath, key: r.KeyPath, p12: r.PKCS12Path}
}

// deploy renames r's staged files into place (those still staged).
func deploy(r Record) error {
	for _, f := range deployOrder(recPaths(r)) {
		err := os.Rename(stagedPath(f, r.Serial), f)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("deploy %s: %w", f, err)
		}
	}
	return syncDirs(recPaths(r))
}

// commit clears the pending mark of serial and links what it replaces: the
// certificate it renews, or (an issue --force) the current ones of the same
// name and kind.
func commit(idx *index, serial string) {
	rec := idx.find(serial)
	if rec == nil {
		return
	}
	rec.Pending = false
	name, kind, renews := rec.Name, rec.Kind, rec.Renews
	if renews != "" {
		if old := idx.find(renews); old != nil && old.SupersededBy == "" {
			old.SupersededBy = serial
		}
		return
	}
	for i := range idx.Certs {
		r := &idx.Certs[i]
		if r.Serial != serial && r.Name == name && r.Kind == kind && !r.Pending && r.SupersededBy == "" && r.RevokedAt == nil {
			r.SupersededBy = serial
		}
	}
}

// recoverIndex finishes or undoes what a killed writer left, with the CA
// lock held: it returns one line per action and saves idx if it changed.
func (ca *CA) recoverIndex(idx *index) ([]string, error) {
	var actions []string
	var keep []Record
	changed := false
	for _, r := range idx.Certs {
		if !r.Pending {
			keep = append(keep, r)
			continue
		}
		changed = true
		if err := deploy(r); err != nil {
			return nil, err
		}
		if serial, _ := deployedSerial(r.CertPath); serial == r.Serial {
			keep = append(keep, r)
			actions = append(actions, fmt.Sprintf("completed the interrupted %s of %s %s (serial %s)", txnKind(r), r.Kind, r.Name, r.Serial))
			continue
		}
		// Its files are gone and another certificate is deployed: undo.
		os.Remove(filepath.Join(ca.dir, filepath.FromSlash(r.Copy)))
		actions = append(actions, fmt.Sprintf("rolled back the interrupted %s of %s %s (serial %s): its files are missing", txnKind(r), r.Kind, r.Name, r.Serial))
	}
	if changed {
		idx.Certs = keep
		for _, r := range keep {
			if r.Pending {
				commit(idx, r.Serial)
			}
		}
		if err := idx.save(ca.dir); err != nil {
			return nil, err
		}
	}
	for _, f := range ca.leftovers(idx) {
		if err := os.Remove(f); err == nil {
			actions = append(actions, "removed leftover file "+f)
		}
	}
	return actions, nil
}

func txnKind(r Record) string {
	if r.Renews != "" {
		return "renewal"
	}
	return "issue"
}

// leftovers lists temporary and staged files in the CA dir, certs/ and the
// directories certificates were issued to, plus certificate copies that no
// index record names.
func (ca *CA) leftovers(idx *index) []string {
	dirs := map[string]bool{ca.dir: true, filepath.Join(ca.dir, CertsDir): true, filepath.Join(ca.dir, IssuedDir): true}
	copies := map[string]bool{}
	for _, r := range idx.Certs {
		for _, f := range deployOrder(recPaths(r)) {
			dirs[filepath.Dir(f)] = true
		}
		copies[filepath.Base(filepath.FromSlash(r.Copy))] = true
	}
	var out []string
	for d := range dirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		inCerts := d == filepath.Join(ca.dir, CertsDir)
		for _, e := range entries {
			n := e.Name()
			if !e.Type().IsRegular() {
				continue
			}
			if leftoverRE.MatchString(n) || inCerts && copyRE.MatchString(n) && !copies[n] {
				out = append(out, filepath.Join(d, n))
			}
		}
	}
	sort.Strings(out)
	return out
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
// renewals and removes leftover files; it needs no CA key. It returns the
// actions taken and the problems that remain (Check after repair).
func (ca *CA) Doctor() (actions, remaining []string, err error) {
	idx, unlock, err := ca.lockIndexRaw()
	if err != nil {
		return nil, nil, err
	}
	actions, err = ca.recoverIndex(idx)
	unlock()
	if err != nil {
		return actions, nil, err
	}
	remaining, err = ca.Check()
	return actions, remaining, err
}
