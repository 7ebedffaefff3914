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
	data, err = io.ReadAll(io.LimitReader(f, max(limit, 0)+1))
	if err != nil {
		return nil, false, err
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
