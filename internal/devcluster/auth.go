package devcluster

import (
	"crypto/rand"
	"crypto/sha512"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"

	"github.com/kafkaguard/kafkaguard/internal/cluster"
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

func (a *Authenticator) attach(l *compatListener) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.l != nil {
		a.attachErr = errors.New("one Authenticator serves one listener (one broker)")
		return
	}
	a.l = l
}
