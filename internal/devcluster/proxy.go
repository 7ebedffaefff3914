// The pass-through between a client and kfake: requests and responses copied frame by frame, noting the answers to rewrite.

package devcluster

import (
	"encoding/binary"
	"fmt"
	"io"
)

// roundTrip sends frame to kfake and returns its response frame,
// rewritten as the pass-through would.
func (s *session) roundTrip(frame []byte, n noted) ([]byte, error) {
	if err := s.connectKfake(); err != nil {
		return nil, err
	}
	if _, err := s.kf.Write(frame); err != nil {
		return nil, err
	}
	resp, err := readFrame(s.kfr, MaxFrame)
	if err != nil {
		return nil, err
	}
	return s.rewrite(n, resp), nil
}

// requests copies the client's requests to kfake, checking each frame's
// size before kfake reads it and noting the requests whose answers the
// layer rewrites. first, when set, is a request the layer already read.
func (s *session) requests(first []byte) error {
	if first != nil {
		if err := s.forward(first); err != nil {
			return err
		}
	}
	var hdr [12]byte
	s.buf = make([]byte, 32<<10)
	for {
		size, err := readSize(s.cr, hdr[:], MaxFrame)
		if err != nil {
			return err
		}
		if size < 8 { // shorter than a request header: Kafka closes the connection
			return fmt.Errorf("request of %d bytes is shorter than a request header", size)
		}
		if _, err := io.ReadFull(s.cr, hdr[4:12]); err != nil {
			return err
		}
		key := int16(binary.BigEndian.Uint16(hdr[4:]))
		if s.rewrites(key) {
			frame := make([]byte, 4+size)
			copy(frame, hdr[:])
			if _, err := io.ReadFull(s.cr, frame[12:]); err != nil {
				return err
			}
			if err := s.forward(frame); err != nil {
				return err
			}
			continue
		}
		if err := copyFrame(s.kf, s.cr, hdr[:], size-8, s.buf); err != nil {
			return err
		}
	}
}

// rewrites reports whether the answers to key pass through the layer's
// rewrite.
func (s *session) rewrites(key int16) bool {
	switch key {
	case keyApiVersions, keySASLHandshake:
		return true
	case keyDescribeUserSCRAM, keyAlterUserSCRAM:
		return s.l.opts.Auth != nil
	case keyMetadata:
		return s.l.opts.Auth != nil && s.l.opts.Auth.autoCreate
	}
	return false
}

// forward notes a whole request frame and sends it to kfake.
func (s *session) forward(frame []byte) error {
	key, version, corr, ok := requestHeader(frame)
	if ok && s.rewrites(key) {
		n := noted{key: key, version: version}
		if key == keyAlterUserSCRAM || key == keyDescribeUserSCRAM || key == keyMetadata {
			n.req, _, _ = decodeRequest(frame) // nil when malformed: kfake answers that
		}
		s.mu.Lock()
		s.pending[corr] = append(s.pending[corr], n)
		s.mu.Unlock()
	}
	_, err := s.kf.Write(frame)
	return err
}

// takeRequest returns and forgets the oldest noted request with corr.
func (s *session) takeRequest(corr int32) (noted, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.pending[corr]
	if len(q) == 0 {
		return noted{}, false
	}
	if len(q) == 1 {
		delete(s.pending, corr)
	} else {
		s.pending[corr] = q[1:]
	}
	return q[0], true
}

// responses copies kfake's responses to the client, rewriting the noted
// ones.
func (s *session) responses() error {
	var hdr [8]byte
	buf := make([]byte, 64<<10)
	for {
		size, err := readSize(s.kfr, hdr[:], 1<<31-1)
		if err != nil {
			return err
		}
		if size < 4 {
			return fmt.Errorf("kfake sent a response of %d bytes", size)
		}
		if _, err := io.ReadFull(s.kfr, hdr[4:8]); err != nil {
			return err
		}
		n, ok := s.takeRequest(int32(binary.BigEndian.Uint32(hdr[4:])))
		if !ok || size > MaxFrame {
			if err := copyFrame(s.client, s.kfr, hdr[:], size-4, buf); err != nil {
				return err
			}
			continue
		}
		frame := make([]byte, 4+size)
		copy(frame, hdr[:])
		if _, err := io.ReadFull(s.kfr, frame[8:]); err != nil {
			return err
		}
		if _, err := s.client.Write(s.rewrite(n, frame)); err != nil {
			return err
		}
	}
}
