// Kafka frames at the layer's edge: the broker's frame limits, size-checked reads, request and response codecs.

package devcluster

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Frame limits, as Apache Kafka's broker defaults.
const (
	// MaxPreAuthFrame is sasl.server.max.receive.size: the largest frame a
	// client may send before it has authenticated.
	MaxPreAuthFrame = 512 * 1024
	// MaxFrame is socket.request.max.bytes: the largest request frame.
	MaxFrame = 100 * 1024 * 1024
	// DefaultHandshakeTimeout bounds the TLS handshake and the SASL
	// exchange of one connection: a client that has not authenticated by
	// then is disconnected.
	DefaultHandshakeTimeout = 10 * time.Second
)

// frameTooLargeError is a frame over the limit; Kafka closes the
// connection (InvalidReceiveException).
type frameTooLargeError struct {
	size  int64
	limit int
}

func (e *frameTooLargeError) Error() string {
	return fmt.Sprintf("invalid receive (size = %d larger than %d)", e.size, e.limit)
}

// readSize reads a frame's size prefix and checks it against limit.
func readSize(r io.Reader, hdr []byte, limit int) (int, error) {
	if _, err := io.ReadFull(r, hdr[:4]); err != nil {
		return 0, err
	}
	size := int64(int32(binary.BigEndian.Uint32(hdr)))
	if size < 0 || size > int64(limit) {
		return 0, &frameTooLargeError{size, limit}
	}
	return int(size), nil
}

// readFrame reads a whole frame, size prefix included, of at most limit
// bytes after the prefix.
func readFrame(r io.Reader, limit int) ([]byte, error) {
	var hdr [4]byte
	size, err := readSize(r, hdr[:], limit)
	if err != nil {
		return nil, err
	}
	frame := make([]byte, 4+size)
	copy(frame, hdr[:])
	if _, err := io.ReadFull(r, frame[4:]); err != nil {
		return nil, err
	}
	return frame, nil
}

// requestHeader is the start of a request frame: size, key, version and
// correlation id.
func requestHeader(frame []byte) (key, version int16, corr int32, ok bool) {
	if len(frame) < 12 {
		return 0, 0, 0, false
	}
	return int16(binary.BigEndian.Uint16(frame[4:])), int16(binary.BigEndian.Uint16(frame[6:])), int32(binary.BigEndian.Uint32(frame[8:])), true
}

// decodeRequest decodes a whole request frame as kfake does.
func decodeRequest(frame []byte) (kmsg.Request, int32, error) {
	if len(frame) < 12 {
		return nil, 0, errors.New("request shorter than its header")
	}
	r := kbin.Reader{Src: frame[4:]}
	key, version, corr := r.Int16(), r.Int16(), r.Int32()
	r.NullableString() // client id
	req := kmsg.RequestForKey(key)
	if req == nil {
		return nil, corr, fmt.Errorf("unknown request key %d", key)
	}
	req.SetVersion(version)
	if req.IsFlexible() {
		kmsg.SkipTags(&r)
	}
	if err := r.Complete(); err != nil {
		return nil, corr, err
	}
	if err := req.ReadFrom(r.Src); err != nil {
		return nil, corr, err
	}
	return req, corr, nil
}

// encodeResponse frames resp as the answer to corr.
func encodeResponse(resp kmsg.Response, corr int32) []byte {
	b := make([]byte, 8, 64)
	if resp.IsFlexible() && resp.Key() != keyApiVersions {
		b = append(b, 0) // empty header tagged fields; ApiVersions responses always use header v0
	}
	b = resp.AppendTo(b)
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	binary.BigEndian.PutUint32(b[4:], uint32(corr))
	return b
}

// copyFrame writes hdr and then n bytes from src to dst, in writes of up to
// len(buf) bytes, the header sharing the first write.
func copyFrame(dst io.Writer, src io.Reader, hdr []byte, n int, buf []byte) error {
	k := copy(buf, hdr)
	for {
		m := min(n, len(buf)-k)
		if m > 0 {
			if _, err := io.ReadFull(src, buf[k:k+m]); err != nil {
				return err
			}
		}
		n -= m
		if _, err := dst.Write(buf[:k+m]); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		k = 0
	}
}
