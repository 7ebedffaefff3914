package pki

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/kafkaguard/kafkaguard/internal/fsutil"
)

// The issue order. Every record carries its seq, the number of its issue
// in the CA, and readers link records in that order. The last seq is the
// name of an empty file in DIR/txn, last-seq-N (N in 20 digits): an issue
// renames it to its own seq while it stages, before the fsync of DIR/txn
// that makes its intent durable, so the number is durable with the record
// that uses it and costs no write or fsync of its own; recover, which
// lists DIR/txn on every lock anyway, reads it.
//
// Earlier versions kept the number in DIR/sequence, a file written and
// fsynced by every issue. Without a marker (their CA, or one whose marker
// was removed) the next seq is one more than the largest of DIR/sequence
// and every record's; the issue that creates the marker then removes
// DIR/sequence, so that such a version, should it run again, numbers on
// from the records instead of a number that no longer moves.

const seqMarkerPrefix = "last-seq-"

var seqMarkerRE = regexp.MustCompile(`^last-seq-[0-9]{20}$`)

func seqMarkerName(seq int64) string { return fmt.Sprintf("%s%020d", seqMarkerPrefix, seq) }

// parseSeqMarker is the seq a marker's name holds.
func parseSeqMarker(name string) (int64, bool) {
	if !seqMarkerRE.MatchString(name) {
		return 0, false
	}
	seq, err := strconv.ParseInt(name[len(seqMarkerPrefix):], 10, 64)
	return seq, err == nil
}

// readSeqMarker notes the marker among names, DIR/txn's (with the CA lock
// held). Only a copied directory can hold several: the largest counts and
// the others are removed.
func (ca *CA) readSeqMarker(names []string) error {
	ca.seqMarker, ca.lastSeq = "", 0
	for _, n := range names {
		seq, ok := parseSeqMarker(n)
		if !ok {
			continue
		}
		stale := n
		if ca.seqMarker == "" || seq > ca.lastSeq {
			stale, ca.seqMarker, ca.lastSeq = ca.seqMarker, n, seq
		}
		if stale == "" {
			continue
		}
		if err := os.Remove(filepath.Join(ca.dir, txnDir, stale)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove stale %s: %w", filepath.Join(ca.dir, txnDir, stale), err)
		}
	}
	return nil
}

// nextSeq is the seq of the next record (with the CA lock held, after
// recover has read the marker).
func (ca *CA) nextSeq() (int64, error) {
	if ca.seqMarker != "" {
		return ca.lastSeq + 1, nil
	}
	last, _ := readSequence(filepath.Join(ca.dir, sequenceFile))
	idx, err := loadIndex(ca.dir)
	if err != nil {
		return 0, err
	}
	for _, r := range idx.Certs {
		last = max(last, r.Seq)
	}
	return last + 1, nil
}

// advanceSeqMarker makes seq the last seq: it renames the marker, or
// creates one and returns it open for the caller's fsync. The caller
// fsyncs DIR/txn, which makes the name durable.
func (ca *CA) advanceSeqMarker(seq int64) (created *os.File, err error) {
	txn := filepath.Join(ca.dir, txnDir)
	name := seqMarkerName(seq)
	if ca.seqMarker != "" {
		err := fsutil.Rename(filepath.Join(txn, ca.seqMarker), filepath.Join(txn, name))
		if err == nil {
			ca.seqMarker, ca.lastSeq = name, seq
			return nil, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("write %s: %w", filepath.Join(txn, name), err)
		}
	}
	f, err := fsutil.OpenFile(filepath.Join(txn, name), os.O_WRONLY|os.O_CREATE, certFilePerm)
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", filepath.Join(txn, name), err)
	}
	ca.seqMarker, ca.lastSeq = name, seq
	return f, nil
}

// syncSeqMarker advances the marker to seq, as a transaction's intent
// would have, and makes it durable.
func (ca *CA) syncSeqMarker(seq int64) error {
	f, err := ca.advanceSeqMarker(seq)
	if err != nil {
		return err
	}
	var files []*os.File
	if f != nil {
		defer f.Close()
		files = append(files, f)
	}
	return syncAll(files, []string{filepath.Join(ca.dir, txnDir)})
}

// dropSequenceFile removes the DIR/sequence of earlier versions once a
// marker, durable, has taken its place.
func (ca *CA) dropSequenceFile() error {
	if err := os.Remove(filepath.Join(ca.dir, sequenceFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", filepath.Join(ca.dir, sequenceFile), err)
	}
	return nil
}

// readSequence reads the number in the DIR/sequence of earlier versions.
func readSequence(path string) (int64, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	if err != nil || v < 0 {
		return 0, false
	}
	return v, true
}
