// The server side of a client's SASL login: SaslHandshake and the SCRAM conversation over SaslAuthenticate.

package devcluster

import (
	"errors"
	"fmt"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// authenticate runs a connection's authentication: ApiVersions (forwarded),
// SaslHandshake and SaslAuthenticate (answered here), or, for a client
// with a verified certificate, its first other request. It returns that
// request, to be forwarded once the layer has logged in to kfake, or nil
// after a SASL login.
func (s *session) authenticate() ([]byte, error) {
	a := s.l.opts.Auth
	var scram *scramServer
	handshaken := false
	for {
		frame, err := readFrame(s.cr, MaxPreAuthFrame)
		if err != nil {
			return nil, err
		}
		key, version, _, ok := requestHeader(frame)
		if !ok {
			return nil, errors.New("invalid request: shorter than a request header")
		}
		switch {
		case key == keyApiVersions && !handshaken:
			resp, err := s.roundTrip(frame, noted{key: key, version: version})
			if err != nil {
				return nil, err
			}
			if _, err := s.client.Write(resp); err != nil {
				return nil, err
			}

		case key == keySASLHandshake && !handshaken:
			req, corr, err := decodeRequest(frame)
			if err != nil {
				return nil, fmt.Errorf("invalid SaslHandshake request: %w", err)
			}
			mech := req.(*kmsg.SASLHandshakeRequest).Mechanism
			if version < 1 {
				// v0 would be followed by unframed SASL tokens, which
				// the layer does not speak; every current client sends v1.
				return nil, errors.New("SaslHandshake v0 is not supported")
			}
			resp := kmsg.NewPtrSASLHandshakeResponse()
			resp.Version, resp.SupportedMechanisms = version, slices.Clone(a.mechanisms)
			h, known := scramHash(mech)
			if !known || !slices.Contains(a.mechanisms, mech) {
				resp.ErrorCode = kerr.UnsupportedSaslMechanism.Code
				_, _ = s.client.Write(encodeResponse(resp, corr))
				return nil, fmt.Errorf("unsupported SASL mechanism %q", mech)
			}
			if _, err := s.client.Write(encodeResponse(resp, corr)); err != nil {
				return nil, err
			}
			scram = &scramServer{mechanism: mech, h: h, store: a.store}
			handshaken = true

		case key == keySASLAuthenticate && scram != nil:
			done, err := s.saslStep(scram, frame)
			if err != nil || done {
				return nil, err
			}

		case !handshaken && s.cert != nil && a.mapper != nil:
			return frame, s.certLogin()

		default:
			return nil, fmt.Errorf("unexpected Kafka request of type %d during SASL handshake", key)
		}
	}
}

// saslStep answers one SaslAuthenticate request and reports whether the
// login is complete.
func (s *session) saslStep(scram *scramServer, frame []byte) (bool, error) {
	kreq, corr, err := decodeRequest(frame)
	if err != nil {
		return false, fmt.Errorf("invalid SaslAuthenticate request: %w", err)
	}
	req := kreq.(*kmsg.SASLAuthenticateRequest)
	resp := kmsg.NewPtrSASLAuthenticateResponse()
	resp.Version = req.Version
	final := scram.serverFirst != ""
	var out []byte
	if final {
		out, err = scram.final(req.SASLAuthBytes)
	} else {
		out, err = scram.first(req.SASLAuthBytes)
	}
	if err == nil && final {
		if err = s.connectKfake(); err == nil {
			err = loginKfake(s.kf, s.kfr, scram.mechanism, scram.user, scram.cred)
		}
		if err == nil {
			s.login = &kfakeLogin{scram.mechanism, scram.user, scram.cred}
		}
		if err != nil {
			s.l.logf("dev cluster: could not log in to kfake as %q: %v", scram.user, err)
			err = errInvalidCredentials
		}
	}
	if err != nil {
		msg := authFailedMessage(scram.mechanism)
		var ae *saslAuthError
		if errors.As(err, &ae) {
			msg = ae.msg
		}
		resp.ErrorCode, resp.ErrorMessage = kerr.SaslAuthenticationFailed.Code, &msg
		_, _ = s.client.Write(encodeResponse(resp, corr))
		return false, errClosed
	}
	resp.SASLAuthBytes = out
	if _, err := s.client.Write(encodeResponse(resp, corr)); err != nil {
		return false, err
	}
	return final, nil
}
