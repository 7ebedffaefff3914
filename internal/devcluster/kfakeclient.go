// The layer as a client of kfake: framed requests, round trips and the SCRAM login as a client's principal.

package devcluster

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// encodeRequest frames req with correlation id corr.
func encodeRequest(req kmsg.Request, corr int32) []byte {
	b := make([]byte, 4, 128)
	b = binary.BigEndian.AppendUint16(b, uint16(req.Key()))
	b = binary.BigEndian.AppendUint16(b, uint16(req.GetVersion()))
	b = binary.BigEndian.AppendUint32(b, uint32(corr))
	id := "kafkaguard-dev-layer"
	b = binary.BigEndian.AppendUint16(b, uint16(len(id)))
	b = append(b, id...)
	if req.IsFlexible() {
		b = append(b, 0)
	}
	b = req.AppendTo(b)
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	return b
}

// kfakeRoundTrip sends req to kfake and decodes its answer into resp.
func kfakeRoundTrip(w io.Writer, r io.Reader, req kmsg.Request, resp kmsg.Response, corr int32) error {
	if _, err := w.Write(encodeRequest(req, corr)); err != nil {
		return err
	}
	frame, err := readFrame(r, MaxFrame)
	if err != nil {
		return err
	}
	resp.SetVersion(req.GetVersion())
	hdr := 8
	if resp.IsFlexible() {
		hdr++
	}
	if len(frame) < hdr || int32(binary.BigEndian.Uint32(frame[4:])) != corr {
		return errors.New("unexpected answer from kfake")
	}
	return resp.ReadFrom(frame[hdr:])
}

// loginKfake authenticates a connection to kfake as user with SCRAM.
func loginKfake(w io.Writer, r io.Reader, mechanism, user string, cred scramCred) error {
	h, ok := scramHash(mechanism)
	if !ok {
		return fmt.Errorf("mechanism %s", mechanism)
	}
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.Version, hs.Mechanism = 1, mechanism
	hsResp := kmsg.NewPtrSASLHandshakeResponse()
	if err := kfakeRoundTrip(w, r, hs, hsResp, 0); err != nil {
		return err
	}
	if err := kerr.ErrorForCode(hsResp.ErrorCode); err != nil {
		return err
	}
	c := &scramClient{h: h, user: user, cred: cred}
	step := func(msg []byte, corr int32) ([]byte, error) {
		req := kmsg.NewPtrSASLAuthenticateRequest()
		req.Version, req.SASLAuthBytes = 1, msg
		resp := kmsg.NewPtrSASLAuthenticateResponse()
		if err := kfakeRoundTrip(w, r, req, resp, corr); err != nil {
			return nil, err
		}
		return resp.SASLAuthBytes, kerr.ErrorForCode(resp.ErrorCode)
	}
	serverFirst, err := step(c.first(), 1)
	if err != nil {
		return err
	}
	final, err := c.final(serverFirst)
	if err != nil {
		return err
	}
	serverFinal, err := step(final, 2)
	if err != nil {
		return err
	}
	return c.verify(serverFinal)
}
