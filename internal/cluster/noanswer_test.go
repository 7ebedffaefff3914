package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
)

// TestIsConnectivity: errors that mean the cluster did not answer (so a
// request's outcome is unknown) against those that are an answer or a
// local mistake.
func TestIsConnectivity(t *testing.T) {
	for _, err := range []error{
		context.DeadlineExceeded,
		fmt.Errorf("x: %w", io.EOF),
		io.ErrUnexpectedEOF,
		&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED},
		&net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET},
		withKind(ErrUnreachable, errors.New("cannot reach broker")),
	} {
		if !isConnectivity(err) {
			t.Errorf("%v: not a connectivity error", err)
		}
	}
	for _, err := range []error{
		kerr.ClusterAuthorizationFailed,
		kerr.SecurityDisabled,
		errors.New("broker answered 3 results for 4 creations"),
		context.Canceled, // Ctrl-C is the user's stop, not the cluster's
	} {
		if isConnectivity(err) {
			t.Errorf("%v: taken for a connectivity error", err)
		}
	}
}
