package cluster

import (
	"context"
	"errors"
	"io"
	"syscall"

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
	// ErrNoAnswer: a request got no answer (the connection failed or the
	// broker did not answer within the timeout). The request may have been
	// written and committed: its outcome is unknown, not failed.
	ErrNoAnswer = errors.New("no answer from the cluster")
	// ErrNoBootstrap: LoadConfig was given no broker, neither as its
	// argument nor as bootstrap.servers in the properties file.
	ErrNoBootstrap = errors.New("no bootstrap server")
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

// isConnectivity reports a request-level error that means the cluster did
// not answer: a network error (refused, reset, closed), an EOF mid-answer,
// or the deadline. A broker's error code or a protocol mismatch is not one.
func isConnectivity(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, ErrUnreachable) || isNetErr(err)
}
