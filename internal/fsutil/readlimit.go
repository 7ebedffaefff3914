package fsutil

import (
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
	data, err = io.ReadAll(io.LimitReader(f, max(limit, 0)+1))
	if err != nil {
		return nil, false, err
	}
	if int64(len(data)) > limit {
		return data[:limit], true, nil
	}
	return data, false, nil
}
