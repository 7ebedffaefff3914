// mTLS principals: a verified client certificate's Kafka user and the hidden SCRAM credential the layer logs in to kfake with.

package devcluster

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha512"
	"crypto/x509"
	"errors"
	"fmt"
	"net"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/pki"
)

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
