package devcluster

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha512"
	"crypto/x509"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/fsutil"
	"github.com/kafkaguard/kafkaguard/pki"
)

// Authenticator makes the compatibility layer authenticate clients the way
// an Apache Kafka broker does, in front of kfake:
//
//   - SASL/SCRAM is answered by the layer (SaslServerAuthenticator and
//     ScramSaslServer's behaviour): the server-first message carries the
//     credential's stored iteration count, and a failed login is answered
//     with SASL_AUTHENTICATION_FAILED and Kafka's message before the
//     connection closes. kfake announces 4096 iterations whatever was stored
//     and closes the connection on a failure; the layer then logs in to
//     kfake as the same user with the salted password, which SCRAM needs and
//     AlterUserScramCredentials carries, whatever count kfake announces.
//   - A client that presents a certificate the TLS layer verified and does
//     not start SASL is the principal Kafka derives from the certificate:
//     its RFC 2253 subject through ssl.principal.mapping.rules (the pki
//     mapper). The layer logs in to kfake as that principal with a SCRAM
//     credential only it knows, created on first use and hidden from
//     DescribeUserScramCredentials answers, so `users plan` and `audit`
//     never see it.
//
// The credentials are learned from kfake's persisted state at start and
// from every AlterUserScramCredentials kfake accepts.
type Authenticator struct {
	mechanisms []string
	store      *credStore
	mapper     *pki.Mapper // nil: certificates carry no principal
	admin      string      // the superuser, who creates the hidden credentials
	statePath  string      // where the hidden credentials' names persist; "" for none
	autoCreate bool

	mu        sync.Mutex // serializes provisioning and saving the hidden names
	l         *compatListener
	attachErr error
}

// AuthOptions configure NewAuthenticator.
type AuthOptions struct {
	// Mechanisms are the enabled SCRAM mechanisms (sasl.enabled.mechanisms).
	Mechanisms []string
	// AdminUser and AdminPassword are kfake's superuser (SCRAM-SHA-512).
	AdminUser, AdminPassword string
	// DataDir is kfake's data directory, when it has one: the SCRAM
	// credentials it persisted are read from it, and the names of the
	// hidden mTLS credentials are kept in it.
	DataDir string
	// MappingRules are ssl.principal.mapping.rules for client certificates
	// ("" is DEFAULT). With NoCertPrincipals, certificates give no principal.
	MappingRules     string
	NoCertPrincipals bool
	// AutoCreateTopics is auto.create.topics.enable: a metadata request
	// creates a missing topic when its principal may CREATE it.
	AutoCreateTopics bool
}

// hiddenStateFile keeps, in the data dir, which SCRAM credentials the layer
// created for mTLS principals.
const hiddenStateFile = "kafkaguard-mtls-credentials.json"

// NewAuthenticator returns an Authenticator for a kfake cluster started with
// opts' superuser (and data dir).
func NewAuthenticator(opts AuthOptions) (*Authenticator, error) {
	a := &Authenticator{mechanisms: slices.Clone(opts.Mechanisms), store: newCredStore(), admin: opts.AdminUser, autoCreate: opts.AutoCreateTopics}
	if !opts.NoCertPrincipals {
		m, err := pki.ParseMappingRules(opts.MappingRules)
		if err != nil {
			return nil, fmt.Errorf("ssl.principal.mapping.rules: %w", err)
		}
		a.mapper = m
	}
	if opts.DataDir != "" {
		a.statePath = filepath.Join(opts.DataDir, hiddenStateFile)
		if err := a.loadPersisted(opts.DataDir); err != nil {
			return nil, err
		}
	}
	if _, ok := a.store.get(cluster.MechanismSCRAMSHA512, opts.AdminUser); !ok {
		// kfake salts the superuser's password itself: toward kfake the
		// layer proves it from the password, toward clients with its own salt.
		salt := make([]byte, 24)
		_, _ = rand.Read(salt)
		sp, err := saltPassword(sha512.New, opts.AdminPassword, salt, minScramIterations)
		if err != nil {
			return nil, err
		}
		a.store.put(cluster.MechanismSCRAMSHA512, opts.AdminUser, scramCred{salt: salt, saltedPass: sp, iterations: minScramIterations, password: opts.AdminPassword}, false)
	}
	return a, nil
}

// kfakeSASLState is the part of kfake's sasl.json (its persist format) the
// layer reads.
type kfakeSASLState struct {
	Scram256 map[string]kfakeScram `json:"scram256"`
	Scram512 map[string]kfakeScram `json:"scram512"`
}

type kfakeScram struct {
	Salt       []byte `json:"salt"`
	SaltedPass []byte `json:"salted_pass"`
	Iterations int    `json:"iterations"`
}

func (a *Authenticator) loadPersisted(dir string) error {
	b, err := os.ReadFile(filepath.Join(dir, "sasl.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("dev cluster: read SCRAM credentials: %w", err)
	}
	var st kfakeSASLState
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("dev cluster: read SCRAM credentials %s: %w", filepath.Join(dir, "sasl.json"), err)
	}
	for mech, m := range map[string]map[string]kfakeScram{cluster.MechanismSCRAMSHA256: st.Scram256, cluster.MechanismSCRAMSHA512: st.Scram512} {
		for user, c := range m {
			a.store.put(mech, user, scramCred{salt: c.Salt, saltedPass: c.SaltedPass, iterations: c.Iterations}, false)
		}
	}
	b, err = os.ReadFile(a.statePath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("dev cluster: %w", err)
	}
	var hidden []hiddenCred
	if err := json.Unmarshal(b, &hidden); err != nil {
		return fmt.Errorf("dev cluster: read %s: %w", a.statePath, err)
	}
	for _, h := range hidden {
		if c, ok := a.store.get(h.Mechanism, h.User); ok {
			a.store.put(h.Mechanism, h.User, c, true)
		}
	}
	return nil
}

type hiddenCred struct {
	Mechanism string `json:"mechanism"`
	User      string `json:"user"`
}

// saveHidden writes the hidden credentials' names; a.mu is held.
func (a *Authenticator) saveHidden() error {
	if a.statePath == "" {
		return nil
	}
	keys := a.store.hiddenKeys()
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].user != keys[j].user {
			return keys[i].user < keys[j].user
		}
		return keys[i].mechanism < keys[j].mechanism
	})
	out := make([]hiddenCred, len(keys))
	for i, k := range keys {
		out[i] = hiddenCred{k.mechanism, k.user}
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(a.statePath, append(b, '\n'), fsutil.SecretPerm)
}

func (a *Authenticator) attach(l *compatListener) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.l != nil {
		a.attachErr = errors.New("one Authenticator serves one listener (one broker)")
		return
	}
	a.l = l
}

var scramMechanismCodes = map[int8]string{1: cluster.MechanismSCRAMSHA256, 2: cluster.MechanismSCRAMSHA512}

// learn records the credential changes kfake accepted.
func (a *Authenticator) learn(req *kmsg.AlterUserSCRAMCredentialsRequest, resp *kmsg.AlterUserSCRAMCredentialsResponse) {
	ok := map[string]bool{}
	for _, r := range resp.Results {
		if r.ErrorCode == 0 {
			ok[r.User] = true
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	changedHidden := false
	for _, d := range req.Deletions {
		if mech := scramMechanismCodes[d.Mechanism]; ok[d.Name] && mech != "" {
			changedHidden = changedHidden || a.store.isHidden(mech, d.Name)
			a.store.remove(mech, d.Name)
		}
	}
	for _, u := range req.Upsertions {
		if mech := scramMechanismCodes[u.Mechanism]; ok[u.Name] && mech != "" {
			changedHidden = changedHidden || a.store.isHidden(mech, u.Name)
			a.store.put(mech, u.Name, scramCred{salt: slices.Clone(u.Salt), saltedPass: slices.Clone(u.SaltedPassword), iterations: int(u.Iterations)}, false)
		}
	}
	if changedHidden {
		_ = a.saveHidden() // at worst a restart shows the credential as a user
	}
}

// hideDescribed removes the hidden credentials from a
// DescribeUserScramCredentials answer and reports whether it changed it. A
// user asked for by name whose only credentials are hidden is answered as
// absent (RESOURCE_NOT_FOUND), as Kafka answers for a user it does not have.
func (a *Authenticator) hideDescribed(req *kmsg.DescribeUserSCRAMCredentialsRequest, resp *kmsg.DescribeUserSCRAMCredentialsResponse) bool {
	byName := req != nil && req.Users != nil
	changed := false
	results := resp.Results[:0]
	for _, r := range resp.Results {
		infos := slices.DeleteFunc(slices.Clone(r.CredentialInfos), func(ci kmsg.DescribeUserSCRAMCredentialsResponseResultCredentialInfo) bool {
			return a.store.isHidden(scramMechanismCodes[ci.Mechanism], r.User)
		})
		if len(infos) == len(r.CredentialInfos) {
			results = append(results, r)
			continue
		}
		changed = true
		if len(infos) == 0 && !byName {
			continue
		}
		r.CredentialInfos = infos
		if len(infos) == 0 {
			r.ErrorCode = kerr.ResourceNotFound.Code
			msg := "Attempt to describe a user credential that does not exist"
			r.ErrorMessage = &msg
		}
		results = append(results, r)
	}
	resp.Results = results
	return changed
}

// certUser is the Kafka user name (the principal without "User:") of a
// verified client certificate.
func (a *Authenticator) certUser(cert *x509.Certificate) (string, error) {
	dn, err := pki.FormatRFC2253(cert.RawSubject)
	if err != nil {
		return "", err
	}
	name, err := a.mapper.Map(dn)
	if err != nil {
		return "", err
	}
	if name == "" {
		return "", fmt.Errorf("certificate subject %q maps to an empty principal", dn)
	}
	return name, nil
}

// credFor returns a credential the layer can log in to kfake with as user:
// the user's own SCRAM credential when it has one, else a hidden one,
// created now through a connection of the superuser.
func (a *Authenticator) credFor(ctx context.Context, user string) (string, scramCred, error) {
	for _, m := range []string{cluster.MechanismSCRAMSHA512, cluster.MechanismSCRAMSHA256} {
		if c, ok := a.store.get(m, user); ok {
			return m, c, nil
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if c, ok := a.store.get(cluster.MechanismSCRAMSHA512, user); ok {
		return cluster.MechanismSCRAMSHA512, c, nil
	}
	if a.l == nil || a.attachErr != nil {
		return "", scramCred{}, errors.Join(errors.New("authenticator has no listener"), a.attachErr)
	}
	salt := make([]byte, 24)
	secret := make([]byte, 32)
	_, _ = rand.Read(salt)
	_, _ = rand.Read(secret)
	sp, err := saltPassword(sha512.New, string(secret), salt, minScramIterations)
	if err != nil {
		return "", scramCred{}, err
	}
	cred := scramCred{salt: salt, saltedPass: sp, iterations: minScramIterations}
	conn, err := a.l.dial(ctx, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return "", scramCred{}, err
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	adminCred, _ := a.store.get(cluster.MechanismSCRAMSHA512, a.admin)
	if err := loginKfake(conn, r, cluster.MechanismSCRAMSHA512, a.admin, adminCred); err != nil {
		return "", scramCred{}, fmt.Errorf("log in as %s: %w", a.admin, err)
	}
	req := kmsg.NewPtrAlterUserSCRAMCredentialsRequest()
	up := kmsg.NewAlterUserSCRAMCredentialsRequestUpsertion()
	up.Name, up.Mechanism, up.Iterations, up.Salt, up.SaltedPassword = user, 2, minScramIterations, salt, sp
	req.Upsertions = append(req.Upsertions, up)
	resp := kmsg.NewPtrAlterUserSCRAMCredentialsResponse()
	if err := kfakeRoundTrip(conn, r, req, resp, 3); err != nil {
		return "", scramCred{}, err
	}
	for _, res := range resp.Results {
		if err := kerr.ErrorForCode(res.ErrorCode); err != nil {
			return "", scramCred{}, fmt.Errorf("create the credential of %s: %w", user, err)
		}
	}
	a.store.put(cluster.MechanismSCRAMSHA512, user, cred, true)
	if err := a.saveHidden(); err != nil {
		return "", scramCred{}, err
	}
	return cluster.MechanismSCRAMSHA512, cred, nil
}

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

// certLogin logs in to kfake as the principal of the client's certificate.
func (s *session) certLogin() error {
	a := s.l.opts.Auth
	user, err := a.certUser(s.cert)
	if err != nil {
		return fmt.Errorf("client certificate: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.l.opts.HandshakeTimeout)
	defer cancel()
	mech, cred, err := a.credFor(ctx, user)
	if err != nil {
		return fmt.Errorf("principal User:%s: %w", user, err)
	}
	if err := s.connectKfake(); err != nil {
		return err
	}
	if err := loginKfake(s.kf, s.kfr, mech, user, cred); err != nil {
		return fmt.Errorf("principal User:%s: %w", user, err)
	}
	s.login = &kfakeLogin{mech, user, cred}
	return nil
}

// autoCreate does what auto.create.topics.enable does for a metadata
// request that allows it (KafkaApis.getTopicMetadata): a missing topic is
// created when the principal may CREATE it (on the cluster or the topic),
// answered LEADER_NOT_AVAILABLE so that the client asks again, and answered
// TOPIC_AUTHORIZATION_FAILED otherwise. kfake runs without its own
// auto-creation, which asks nobody; the layer creates the topic with a
// CreateTopics request as the session's principal, which kfake authorizes.
func (s *session) autoCreate(req *kmsg.MetadataRequest, resp *kmsg.MetadataResponse) bool {
	if s.login == nil || (req.Version >= 4 && !req.AllowAutoTopicCreation) {
		return false
	}
	var missing []string
	for _, t := range resp.Topics {
		if t.ErrorCode == kerr.UnknownTopicOrPartition.Code && t.Topic != nil && *t.Topic != "" {
			missing = append(missing, *t.Topic)
		}
	}
	if len(missing) == 0 {
		return false
	}
	codes := s.createTopics(missing)
	for i := range resp.Topics {
		t := &resp.Topics[i]
		if t.Topic == nil {
			continue
		}
		if code, ok := codes[*t.Topic]; ok {
			switch code {
			case 0, kerr.TopicAlreadyExists.Code:
				t.ErrorCode = kerr.LeaderNotAvailable.Code
			case kerr.TopicAuthorizationFailed.Code, kerr.ClusterAuthorizationFailed.Code:
				t.ErrorCode = kerr.TopicAuthorizationFailed.Code
			default:
				t.ErrorCode = code
			}
		}
	}
	return true
}

// createTopics creates topics with the broker defaults as the session's
// principal and returns each topic's error code.
func (s *session) createTopics(topics []string) map[string]int16 {
	codes := map[string]int16{}
	fail := func(code int16) map[string]int16 {
		for _, t := range topics {
			codes[t] = code
		}
		return codes
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.l.opts.HandshakeTimeout)
	defer cancel()
	conn, err := s.l.dial(ctx, s.raw.RemoteAddr())
	if err != nil {
		return fail(kerr.UnknownServerError.Code)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	if err := loginKfake(conn, r, s.login.mechanism, s.login.user, s.login.cred); err != nil {
		return fail(kerr.UnknownServerError.Code)
	}
	req := kmsg.NewPtrCreateTopicsRequest()
	req.Version, req.TimeoutMillis = 4, 30000
	for _, t := range topics {
		rt := kmsg.NewCreateTopicsRequestTopic()
		rt.Topic, rt.NumPartitions, rt.ReplicationFactor = t, -1, -1
		req.Topics = append(req.Topics, rt)
	}
	resp := kmsg.NewPtrCreateTopicsResponse()
	if err := kfakeRoundTrip(conn, r, req, resp, 3); err != nil {
		return fail(kerr.UnknownServerError.Code)
	}
	for _, t := range resp.Topics {
		codes[t.Topic] = t.ErrorCode
	}
	return codes
}
