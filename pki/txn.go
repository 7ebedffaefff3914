package pki

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	pkcs12 "software.sslmate.com/src/go-pkcs12"

	"github.com/kafkaguard/kafkaguard/internal/fsutil"
)

// An issue or renewal writes several files (key, certificate chain,
// keystore, the CA's record with its copy of the certificate). A kill
// between two of them must not leave a new key next to an old certificate,
// nor a deployed certificate the CA does not know (it could not be
// revoked). So each one is a transaction, which rewrites no file that grows
// with the number of certificates:
//
//  1. stage and intend: write NAME-key.pem, NAME.p12, NAME.pem as
//     FILE.pending-SERIAL and the record (a JSON line + the certificate) as
//     DIR/txn/SERIAL.pem; bump DIR/sequence; fsync all of them and DIR/txn
//     at once — from here on the transaction rolls forward;
//  2. deploy and commit: rename the staged key, keystore, then certificate
//     into place, then DIR/txn/SERIAL.pem to DIR/certs/SERIAL.pem, and fsync
//     the deployed files' directory (deployAndCommit). What the record replaces
//     (the certificate it renews, or the current ones of its name and kind)
//     is linked when the records are read, in issue order, and stored by
//     the next compaction of index.json.
//
// Every writer holds the CA lock and, on taking it, finishes what a killed
// writer left (recover): a transaction whose staged (or already deployed)
// files are all whole — the key matches the certificate, the chain is the
// certificate and the CA, the keystore has the recorded hash — is deployed
// and committed; one cut short in step 1 is undone (its staged files and
// record removed), and nothing of it was deployed. Recovery checks
// contents instead of relying on write order, so step 1's fsyncs run
// concurrently: an issue costs a round of concurrent fsyncs and one
// directory fsync, whatever the number of certificates.

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

// txnFiles are the contents of a transaction's files.
type txnFiles struct {
	data  map[string][]byte
	perms map[string]os.FileMode
}

// leafFiles encodes l's key, chain and keystore for paths.
func (ca *CA) leafFiles(l *leaf, paths outPaths, p12Password string) (txnFiles, error) {
	f := txnFiles{data: map[string][]byte{}, perms: map[string]os.FileMode{}}
	var err error
	if paths.key != "" {
		if f.data[paths.key], err = encodeKeyPEM(l.key); err != nil {
			return f, err
		}
		f.perms[paths.key] = fsutil.SecretPerm
	}
	f.data[paths.cert] = ca.chainPEM(l.certPEM)
	f.perms[paths.cert] = certFilePerm
	if paths.p12 != "" {
		if f.data[paths.p12], err = pkcs12.Modern2023.Encode(l.key, l.cert, []*x509.Certificate{ca.cert}, p12Password); err != nil {
			return f, fmt.Errorf("encode pkcs12 keystore: %w", err)
		}
		f.perms[paths.p12] = fsutil.SecretPerm
	}
	return f, nil
}

// chainPEM is what NAME.pem holds: the certificate, then the CA's.
func (ca *CA) chainPEM(certPEM []byte) []byte {
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw})
	return append(append([]byte{}, certPEM...), caPEM...)
}

// saveLeaf runs the transaction for rec, the record of l, with the CA lock
// held.
func (ca *CA) saveLeaf(l *leaf, rec Record, paths outPaths, p12Password string) (err error) {
	files, err := ca.leafFiles(l, paths, p12Password)
	if err != nil {
		return err
	}
	if paths.p12 != "" {
		rec.PKCS12SHA256 = sha256Hex(files.data[paths.p12])
	}
	recordData, err := encodeRecordFile(rec, l.certPEM)
	if err != nil {
		return err
	}
	txnPath := filepath.Join(ca.dir, txnDir, rec.Serial+".pem")
	order := deployOrder(paths)
	intent := false
	defer func() {
		if err != nil && !intent { // nothing deployed: undo the staging
			os.Remove(txnPath)
			for _, f := range order {
				os.Remove(stagedPath(f, rec.Serial))
			}
		}
	}()
	// 1. stage and intend: write everything, then fsync it all at once.
	var open []*os.File
	defer func() {
		for _, f := range open {
			f.Close()
		}
	}()
	for _, f := range order {
		fh, err := writeUnsynced(stagedPath(f, rec.Serial), files.data[f], files.perms[f])
		if err != nil {
			return err
		}
		open = append(open, fh)
	}
	fh, err := writeUnsynced(txnPath, recordData, certFilePerm)
	if err != nil {
		return err
	}
	open = append(open, fh)
	seq, err := ca.writeSequence(rec.Seq)
	if err != nil {
		return err
	}
	open = append(open, seq)
	if ca.crashAt == "staging" {
		// Killed before the fsyncs, by a power loss that lost the chain.
		os.Truncate(stagedPath(paths.cert, rec.Serial), 0)
		intent = true // a kill runs no cleanup
		return errCrash
	}
	// The staged files' directory is fsynced after the renames only: a
	// staged name lost with the power fails recovery's check, which then
	// rolls back (nothing was deployed yet).
	if err := syncAll(open, []string{filepath.Dir(txnPath)}); err != nil {
		return err
	}
	intent = true
	if ca.crashAt == "intent" {
		return errCrash
	}
	// 2. deploy and commit
	if ca.crashAt == "key" && paths.key != "" {
		os.Rename(stagedPath(paths.key, rec.Serial), paths.key)
		return errCrash
	}
	if err = ca.deployAndCommit(rec); err != nil {
		return fmt.Errorf("%w (the next pki command or 'pki doctor' completes it)", err)
	}
	return nil
}

var errCrash = errors.New("simulated crash")

// writeUnsynced creates path (mode perm whatever the umask) with data and
// returns it open, for syncAll.
func writeUnsynced(path string, data []byte, perm os.FileMode) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	err = f.Chmod(perm)
	if err == nil {
		_, err = f.Write(data)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return f, nil
}

// syncAll fsyncs files and directories concurrently and returns the first
// error: the file system commits concurrent fsyncs together, so this costs
// about one fsync instead of one per file.
func syncAll(files []*os.File, dirs []string) error {
	errs := make(chan error, len(files)+len(dirs))
	for _, f := range files {
		go func() {
			if err := f.Sync(); err != nil {
				errs <- fmt.Errorf("sync %s: %w", f.Name(), err)
				return
			}
			errs <- nil
		}()
	}
	for _, d := range dirs {
		go func() { errs <- fsutil.SyncDir(d) }()
	}
	var first error
	for range len(files) + len(dirs) {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// fileDirs lists the distinct directories of files.
func fileDirs(files []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range files {
		if d := filepath.Dir(f); !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func recPaths(r Record) outPaths {
	return outPaths{cert: r.CertPath, key: r.KeyPath, p12: r.PKCS12Path}
}

// deploy renames r's staged files into place (those still staged) and
// fsyncs their directories.
func deploy(r Record) error {
	if err := renameStaged(r); err != nil {
		return err
	}
	return syncAll(nil, fileDirs(deployOrder(recPaths(r))))
}

func renameStaged(r Record) error {
	for _, f := range deployOrder(recPaths(r)) {
		err := os.Rename(stagedPath(f, r.Serial), f)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("deploy %s: %w", f, err)
		}
	}
	return nil
}

// deployAndCommit renames r's staged files into place, then moves its
// record from DIR/txn to DIR/certs, and fsyncs the deployed files'
// directory. (A kill between two renames leaves the record in DIR/txn,
// which the next writer completes. DIR/certs and DIR/txn need no fsync: a
// commit that a power loss undoes leaves the record in DIR/txn, durable
// since step 1, with its files whole, so the next writer commits it again;
// should a power loss keep the commit but lose a rename before it, the
// staged file stays behind and 'pki doctor' deploys it.)
func (ca *CA) deployAndCommit(r Record) error {
	if err := renameStaged(r); err != nil {
		return err
	}
	if ca.crashAt == "deployed" {
		return errCrash
	}
	from := filepath.Join(ca.dir, txnDir, r.Serial+".pem")
	to := filepath.Join(ca.dir, CertsDir, r.Serial+".pem")
	if err := os.Rename(from, to); err != nil {
		return fmt.Errorf("commit %s: %w", to, err)
	}
	return syncAll(nil, fileDirs(deployOrder(recPaths(r))))
}

// writeSequence records seq as the last record's in DIR/sequence and
// returns the file, open, for syncAll. The number is written in place at a
// fixed width: truncating the file would free and allocate a block on every
// issue.
func (ca *CA) writeSequence(seq int64) (*os.File, error) {
	path := filepath.Join(ca.dir, sequenceFile)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, certFilePerm)
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.WriteAt(fmt.Appendf(nil, "%020d\n", seq), 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return f, nil
}

// nextSeq is the seq of the next record: one more than DIR/sequence's, or,
// when that file is missing or unreadable, than every record's.
func (ca *CA) nextSeq() (int64, error) {
	data, err := os.ReadFile(filepath.Join(ca.dir, sequenceFile))
	if err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64); err == nil && n >= 0 {
			return n + 1, nil
		}
	}
	idx, err := loadIndex(ca.dir)
	if err != nil {
		return 0, err
	}
	var last int64
	for _, r := range idx.Certs {
		last = max(last, r.Seq)
	}
	return last + 1, nil
}

// link records what r replaced, as its commit did: the certificate it
// renews, or (an issue) the current ones of the same name and kind.
func link(idx *index, r Record) {
	if r.Renews != "" {
		if old := idx.find(r.Renews); old != nil && old.SupersededBy == "" {
			old.SupersededBy = r.Serial
		}
		return
	}
	for i := range idx.Certs {
		o := &idx.Certs[i]
		if o.Serial != r.Serial && o.Name == r.Name && o.Kind == r.Kind && !o.Pending && o.SupersededBy == "" && o.RevokedAt == nil {
			o.SupersededBy = r.Serial
		}
	}
}

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
		f, err := ca.writeSequence(r.Seq)
		if err != nil {
			return "", err
		}
		err = syncAll([]*os.File{f}, nil)
		f.Close()
		if err != nil {
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
			if leftoverRE.MatchString(n) || d == certsDir && copyRE.MatchString(n) && !copies[n] || d == txn && !pending[n] {
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
