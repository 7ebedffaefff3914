package fsutil

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// Staging writes a batch of files into one directory so that they become
// durable together, at the cost of one sync instead of one fsync per file:
// Write puts each file's content in a temporary file beside it (not synced),
// Sync makes the content of every staged file durable in one step, and only
// then does the caller rename each temporary file into place and fsync the
// directory once (SyncDir). A crash before the renames leaves the final
// names as they were (and temporary files); a crash after them leaves, under
// each final name, the old file or the complete new one, never a torn or
// empty one, because the content was on disk before the rename.
//
// How Sync reaches the disk depends on the platform: on Linux one syncfs(2)
// of the directory's filesystem (it reports the writeback errors of the
// filesystem since Stage opened the directory; kernels before 5.8 do not
// report them, so there each file is fsynced), elsewhere one fsync per
// staged file.
type Staging struct {
	dir string
	fs  *os.File // the directory, opened before the first write (syncfs's error window)

	mu    sync.Mutex
	files []string // the temporary files written, for the per-file fallback
}

// Stage starts a batch of writes into dir.
func Stage(dir string) (*Staging, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("open directory %s: %w", dir, err)
	}
	return &Staging{dir: dir, fs: d}, nil
}

// Write writes data to a new temporary file beside path (path must be in
// the staging's directory), mode perm regardless of the umask, without
// syncing it, and returns its name. On error nothing is left behind.
func (s *Staging) Write(path string, data []byte, perm fs.FileMode) (string, error) {
	if filepath.Dir(path) != filepath.Clean(s.dir) {
		return "", fmt.Errorf("write %s: not in the staging directory %s", path, s.dir)
	}
	tmp, err := writeTemp(path, data, perm, false)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	s.files = append(s.files, tmp)
	s.mu.Unlock()
	return tmp, nil
}

// Sync makes the content of every file staged so far durable.
func (s *Staging) Sync() error {
	s.mu.Lock()
	files := append([]string(nil), s.files...)
	s.mu.Unlock()
	if err := syncStaged(s.fs, files); err != nil {
		return fmt.Errorf("sync the files written in %s: %w", s.dir, err)
	}
	return nil
}

// Close releases the directory. It removes nothing: the caller renames or
// removes the temporary files.
func (s *Staging) Close() error { return s.fs.Close() }

// fsyncEach fsyncs each file: the portable way to make staged files durable.
func fsyncEach(files []string) error {
	for _, name := range files {
		f, err := os.OpenFile(name, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		err = f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}
