package pki

import (
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
//     DIR/txn/SERIAL.pem; rename the seq marker DIR/txn/last-seq-N to the
//     record's seq (seq.go); fsync the files and DIR/txn at once — from
//     here on the transaction rolls forward;
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
	marker, err := ca.advanceSeqMarker(rec.Seq)
	if err != nil {
		return err
	}
	if marker != nil {
		open = append(open, marker)
	}
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
	if marker != nil {
		// Best effort: this version reads the marker, not the file.
		ca.dropSequenceFile()
	}
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
	f, err := fsutil.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
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
		err := fsutil.Rename(stagedPath(f, r.Serial), f)
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
	if err := fsutil.Rename(from, to); err != nil {
		return fmt.Errorf("commit %s: %w", to, err)
	}
	return syncAll(nil, fileDirs(deployOrder(recPaths(r))))
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
