package cluster

import (
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
)

// Kinds of connection failure, for errors.Is: Dial's errors wrap one of these
// (besides the cause), so a caller can say what to check next without
// reading the message.
var (
	// ErrTLSVerification: the broker's certificate did not verify.
	ErrTLSVerification = errors.New("TLS verification failed")
	// ErrUnreachable: no TCP connection to the broker.
	ErrUnreachable = errors.New("broker unreachable")
	// ErrWrongProtocol: the broker speaks another security.protocol.
	ErrWrongProtocol = errors.New("wrong security protocol")
)

// kindError is err, also matching kind with errors.Is; its text is err's.
type kindError struct {
	kind error
	err  error
}

func (e *kindError) Error() string        { return e.err.Error() }
func (e *kindError) Unwrap() error        { return e.err }
func (e *kindError) Is(target error) bool { return target == e.kind }

func withKind(kind, err error) error { return &kindError{kind: kind, err: err} }

// IsNotAuthorized reports a Kafka authorization refusal (ACLs).
func IsNotAuthorized(err error) bool {
	return errors.Is(err, kerr.ClusterAuthorizationFailed) || errors.Is(err, kerr.TopicAuthorizationFailed) ||
		errors.Is(err, kerr.GroupAuthorizationFailed) || errors.Is(err, kerr.TransactionalIDAuthorizationFailed) ||
		errors.Is(err, kerr.DelegationTokenAuthorizationFailed)
}
