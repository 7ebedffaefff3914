// Rewrites of kfake's answers: ApiVersions and SaslHandshake fixes, hidden SCRAM credentials, learned credentials, topic auto-creation.

package devcluster

import (
	"encoding/binary"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// rewrite returns frame (size, correlation id, response) with the layer's
// changes applied, or frame itself when it needs none or cannot be decoded.
func (s *session) rewrite(n noted, frame []byte) []byte {
	resp := kmsg.ResponseForKey(n.key)
	if resp == nil {
		return frame
	}
	resp.SetVersion(n.version)
	hdrLen := 8
	if resp.IsFlexible() && n.key != keyApiVersions {
		hdrLen++ // empty header tagged fields; ApiVersions responses always use header v0
	}
	if len(frame) < hdrLen {
		return frame
	}
	body := frame[hdrLen:]
	// An ApiVersions answer to a too-new version is a v0 body whatever the
	// request's version (KIP-511): leave it alone.
	if n.key == keyApiVersions && len(body) >= 2 && int16(binary.BigEndian.Uint16(body)) == kerr.UnsupportedVersion.Code {
		return frame
	}
	if err := resp.ReadFrom(body); err != nil {
		return frame
	}
	if !s.fix(n, resp) {
		return frame
	}
	out := append(slices.Clone(frame[:hdrLen]), resp.AppendTo(nil)...)
	binary.BigEndian.PutUint32(out[:4], uint32(len(out)-4))
	return out
}

// fix changes a decoded response and reports whether it changed anything.
func (s *session) fix(n noted, resp kmsg.Response) bool {
	switch r := resp.(type) {
	case *kmsg.ApiVersionsResponse:
		for i := range r.ApiKeys {
			if r.ApiKeys[i].ApiKey == keySASLHandshake && r.ApiKeys[i].MinVersion > 0 {
				r.ApiKeys[i].MinVersion = 0
				return true
			}
		}
	case *kmsg.SASLHandshakeResponse:
		if m := s.l.opts.Mechanisms; len(m) > 0 && !slices.Equal(r.SupportedMechanisms, m) {
			r.SupportedMechanisms = slices.Clone(m)
			return true
		}
	case *kmsg.DescribeUserSCRAMCredentialsResponse:
		req, _ := n.req.(*kmsg.DescribeUserSCRAMCredentialsRequest)
		return s.l.opts.Auth.hideDescribed(req, r)
	case *kmsg.MetadataResponse:
		if req, ok := n.req.(*kmsg.MetadataRequest); ok {
			return s.autoCreate(req, r)
		}
	case *kmsg.AlterUserSCRAMCredentialsResponse:
		if req, ok := n.req.(*kmsg.AlterUserSCRAMCredentialsRequest); ok {
			s.l.opts.Auth.learn(req, r)
		}
	}
	return false
}
