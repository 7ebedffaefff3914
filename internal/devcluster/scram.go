package devcluster

import (
	"bytes"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"sync"

	"github.com/kafkaguard/kafkaguard/internal/cluster"
)

// This file is the SCRAM (RFC 5802) the layer speaks on both sides: as the
// server to clients, with the credential as it was stored (salt, salted
// password and iteration count, as Kafka's ScramSaslServer does), and as
// the client to kfake, proving the same identity from the salted password
// whatever iteration count kfake announces (kfake always says 4096).

// scramCred is one stored SCRAM credential. saltedPass proves the identity
// to kfake; password is set instead for the superuser kfake created itself
// (its salt is kfake's own).
type scramCred struct {
	salt       []byte
	saltedPass []byte
	iterations int
	password   string // only for a credential kfake salted itself
}

// minScramIterations is Kafka's minimum for SCRAM-SHA-256 and -512.
const minScramIterations = 4096

func scramHash(mechanism string) (func() hash.Hash, bool) {
	switch mechanism {
	case cluster.MechanismSCRAMSHA256:
		return sha256.New, true
	case cluster.MechanismSCRAMSHA512:
		return sha512.New, true
	}
	return nil, false
}

func hmacSum(h func() hash.Hash, key []byte, msg ...string) []byte {
	m := hmac.New(h, key)
	for _, s := range msg {
		m.Write([]byte(s))
	}
	return m.Sum(nil)
}

func hashSum(h func() hash.Hash, b []byte) []byte {
	d := h()
	d.Write(b)
	return d.Sum(nil)
}

// saltPassword is SaltedPassword := Hi(password, salt, i).
func saltPassword(h func() hash.Hash, password string, salt []byte, iterations int) ([]byte, error) {
	return pbkdf2.Key(h, password, salt, iterations, h().Size())
}

func randomNonce() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// credStore holds the SCRAM credentials of the cluster's users, by
// mechanism and user name, as the layer learned them: from kfake's
// persisted state at start, and from every AlterUserScramCredentials that
// kfake accepted since. hidden marks the credentials the layer created for
// mTLS principals, which DescribeUserScramCredentials answers never show.
type credStore struct {
	mu     sync.Mutex
	creds  map[string]map[string]scramCred
	hidden map[credKey]bool
}

type credKey struct{ mechanism, user string }

func newCredStore() *credStore {
	return &credStore{creds: map[string]map[string]scramCred{}, hidden: map[credKey]bool{}}
}

func (s *credStore) get(mechanism, user string) (scramCred, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.creds[mechanism][user]
	return c, ok
}

func (s *credStore) put(mechanism, user string, c scramCred, hidden bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.creds[mechanism] == nil {
		s.creds[mechanism] = map[string]scramCred{}
	}
	s.creds[mechanism][user] = c
	if hidden {
		s.hidden[credKey{mechanism, user}] = true
	} else {
		delete(s.hidden, credKey{mechanism, user})
	}
}

func (s *credStore) remove(mechanism, user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.creds[mechanism], user)
	delete(s.hidden, credKey{mechanism, user})
}

func (s *credStore) isHidden(mechanism, user string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hidden[credKey{mechanism, user}]
}

func (s *credStore) hiddenKeys() []credKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]credKey, 0, len(s.hidden))
	for k := range s.hidden {
		out = append(out, k)
	}
	return out
}

// errInvalidCredentials is any SCRAM failure whose detail Kafka keeps from
// the client (unknown user, wrong proof, malformed message): the client is
// told only Kafka's generic message.
var errInvalidCredentials = errors.New("invalid credentials")

// authFailedMessage is Kafka's answer to a failed SASL authentication
// (SaslServerAuthenticator.handleSaslToken), word for word.
func authFailedMessage(mechanism string) string {
	return "Authentication failed during authentication due to invalid credentials with SASL mechanism " + mechanism
}

// scramServer is the server side of one SCRAM exchange with a client.
type scramServer struct {
	mechanism string
	h         func() hash.Hash
	store     *credStore

	user        string
	cred        scramCred
	clientBare  string
	serverFirst string
	nonce       string
}

// saslAuthError is a failure whose message Kafka does send to the client
// (a SaslAuthenticationException).
type saslAuthError struct{ msg string }

func (e *saslAuthError) Error() string { return e.msg }

// first answers the client-first-message
// ("n,[a=authzid],n=user,r=nonce[,ext]") with the server-first-message.
func (s *scramServer) first(msg []byte) ([]byte, error) {
	m := string(msg)
	if len(m) < 3 || (m[0] != 'n' && m[0] != 'y') || m[1] != ',' {
		return nil, errInvalidCredentials // "p=" (channel binding) included: Kafka refuses it
	}
	rest := m[2:]
	comma := strings.IndexByte(rest, ',')
	if comma < 0 {
		return nil, errInvalidCredentials
	}
	authzid := rest[:comma]
	bare := rest[comma+1:]
	if authzid != "" && !strings.HasPrefix(authzid, "a=") {
		return nil, errInvalidCredentials
	}
	authzid = strings.TrimPrefix(authzid, "a=")
	attrs := strings.Split(bare, ",")
	if len(attrs) < 2 || !strings.HasPrefix(attrs[0], "n=") || !strings.HasPrefix(attrs[1], "r=") {
		return nil, errInvalidCredentials
	}
	saslName, nonce := attrs[0][2:], attrs[1][2:]
	if saslName == "" || nonce == "" || strings.ContainsAny(nonce, ",") {
		return nil, errInvalidCredentials
	}
	// Kafka's ScramFormatter.username; other extensions are ignored, as Kafka does.
	user := strings.ReplaceAll(strings.ReplaceAll(saslName, "=2C", ","), "=3D", "=")
	cred, ok := s.store.get(s.mechanism, user)
	if !ok {
		return nil, errInvalidCredentials
	}
	authzid = strings.ReplaceAll(strings.ReplaceAll(authzid, "=2C", ","), "=3D", "=")
	if authzid != "" && authzid != user {
		return nil, &saslAuthError{"Authentication failed: Client requested an authorization id that is different from username"}
	}
	if cred.saltedPass == nil || cred.iterations < minScramIterations {
		return nil, errInvalidCredentials // as ScramSaslServer: "Iterations ... is less than the minimum"
	}
	s.user, s.cred, s.clientBare = user, cred, bare
	s.nonce = nonce + randomNonce()
	s.serverFirst = fmt.Sprintf("r=%s,s=%s,i=%d", s.nonce, base64.StdEncoding.EncodeToString(cred.salt), cred.iterations)
	return []byte(s.serverFirst), nil
}

// final checks the client-final-message ("c=...,r=nonce[,ext],p=proof")
// and returns the server-final-message.
func (s *scramServer) final(msg []byte) ([]byte, error) {
	m := string(msg)
	i := strings.LastIndex(m, ",p=")
	if i < 0 {
		return nil, errInvalidCredentials
	}
	withoutProof, proof64 := m[:i], m[i+3:]
	attrs := strings.Split(withoutProof, ",")
	// Kafka's ScramSaslServer checks that the echoed nonce ends with the
	// server's: librdkafka sends its own nonce once more in front.
	if len(attrs) < 2 || !strings.HasPrefix(attrs[0], "c=") || !strings.HasPrefix(attrs[1], "r=") || !strings.HasSuffix(attrs[1], s.nonce) {
		return nil, errInvalidCredentials
	}
	proof, err := base64.StdEncoding.DecodeString(proof64)
	if err != nil || len(proof) != s.h().Size() {
		return nil, errInvalidCredentials
	}
	authMessage := s.clientBare + "," + s.serverFirst + "," + withoutProof
	clientKey := hmacSum(s.h, s.cred.saltedPass, "Client Key")
	storedKey := hashSum(s.h, clientKey)
	signature := hmacSum(s.h, storedKey, authMessage)
	for i := range proof {
		proof[i] ^= signature[i]
	}
	if subtle.ConstantTimeCompare(hashSum(s.h, proof), storedKey) != 1 {
		return nil, errInvalidCredentials
	}
	serverKey := hmacSum(s.h, s.cred.saltedPass, "Server Key")
	return []byte("v=" + base64.StdEncoding.EncodeToString(hmacSum(s.h, serverKey, authMessage))), nil
}

// scramClient is the client side of one SCRAM exchange with kfake.
type scramClient struct {
	h     func() hash.Hash
	user  string
	cred  scramCred
	nonce string
	bare  string

	authMessage string
	saltedPass  []byte
}

// saslName escapes a user name for a SCRAM message (RFC 5802 5.1).
func saslName(user string) string {
	return strings.ReplaceAll(strings.ReplaceAll(user, "=", "=3D"), ",", "=2C")
}

func (c *scramClient) first() []byte {
	c.nonce = randomNonce()
	c.bare = "n=" + saslName(c.user) + ",r=" + c.nonce
	return []byte("n,," + c.bare)
}

// final answers kfake's server-first-message.
func (c *scramClient) final(serverFirst []byte) ([]byte, error) {
	var nonce, salt64, iters string
	for _, a := range strings.Split(string(serverFirst), ",") {
		switch {
		case strings.HasPrefix(a, "r="):
			nonce = a[2:]
		case strings.HasPrefix(a, "s="):
			salt64 = a[2:]
		case strings.HasPrefix(a, "i="):
			iters = a[2:]
		}
	}
	if !strings.HasPrefix(nonce, c.nonce) {
		return nil, fmt.Errorf("server nonce %q does not extend ours", nonce)
	}
	salt, err := base64.StdEncoding.DecodeString(salt64)
	if err != nil {
		return nil, fmt.Errorf("server salt: %w", err)
	}
	n, err := strconv.Atoi(iters)
	if err != nil || n < 1 {
		return nil, fmt.Errorf("server iteration count %q", iters)
	}
	c.saltedPass = c.cred.saltedPass
	if c.cred.password != "" || !bytes.Equal(salt, c.cred.salt) {
		if c.cred.password == "" {
			return nil, errors.New("the cluster holds another salt for this user than the layer knows")
		}
		if c.saltedPass, err = saltPassword(c.h, c.cred.password, salt, n); err != nil {
			return nil, err
		}
	}
	withoutProof := "c=biws,r=" + nonce
	c.authMessage = c.bare + "," + string(serverFirst) + "," + withoutProof
	clientKey := hmacSum(c.h, c.saltedPass, "Client Key")
	signature := hmacSum(c.h, hashSum(c.h, clientKey), c.authMessage)
	for i := range clientKey {
		clientKey[i] ^= signature[i]
	}
	return []byte(withoutProof + ",p=" + base64.StdEncoding.EncodeToString(clientKey)), nil
}

// verify checks kfake's server-final-message.
func (c *scramClient) verify(serverFinal []byte) error {
	want := "v=" + base64.StdEncoding.EncodeToString(hmacSum(c.h, hmacSum(c.h, c.saltedPass, "Server Key"), c.authMessage))
	if !hmac.Equal([]byte(want), serverFinal) {
		return errors.New("server signature does not match")
	}
	return nil
}
