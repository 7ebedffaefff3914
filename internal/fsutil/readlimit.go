package fsutil

import (
	"fmt"
	"io"
	"os"
)

// ReadFileAtMost reads path but no more than limit bytes; over reports that
// it holds more (data is then cut at limit). Unlike a Stat before
// os.ReadFile, it also bounds what a FIFO, a device such as /dev/zero (a
// symbolic link to it in a pull request) or a file growing in between gives.
func ReadFileAtMost(path string, limit int64) (data []byte, over bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	// A regular file is read into a buffer of its size (plus the byte that
	// tells a file at the limit from one over it): io.ReadAll grows one
	// from 512 bytes, clearing and copying a 50 MB inventory several times
	// over (0.1 s of a 100k-principal compile's CPU). Anything else starts
	// small; either grows as it must.
	n := int64(512)
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		n = max(fi.Size(), n)
	}
	data = make([]byte, 0, min(n, max(limit, 0))+1)
	r := io.LimitReader(f, max(limit, 0)+1)
	for {
		k, err := r.Read(data[len(data):cap(data)])
		data = data[:len(data)+k]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, false, err
		}
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
	}
	if int64(len(data)) > limit {
		return data[:limit], true, nil
	}
	return data, false, nil
}

// ReadFileLimit is ReadFileAtMost for a file that over limit is an error:
// "PATH: larger than 16 MiB, too large for WHAT".
func ReadFileLimit(path string, limit int64, what string) ([]byte, error) {
	data, over, err := ReadFileAtMost(path, limit)
	if err != nil {
		return nil, err
	}
	if over {
		size := fmt.Sprintf("%d bytes", limit)
		if limit >= 1<<20 && limit%(1<<20) == 0 {
			size = fmt.Sprintf("%d MiB", limit>>20)
		}
		return nil, fmt.Errorf("%s: larger than %s, too large for %s", path, size, what)
	}
	return data, nil
}
