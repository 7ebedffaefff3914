package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/kafkaguard/kafkaguard/internal/cluster"
)

// Every connection error docs/cluster.md lists comes with a hint, including
// a refusal by ACLs and a timeout (which names --timeout and its value).
func TestConnectHintCoversAuthorizationAndTimeout(t *testing.T) {
	cfg := &cluster.Config{Source: "admin.properties", Username: "ops", SecurityProtocol: "SASL_SSL", Timeout: 2 * time.Second}
	tests := []struct {
		err  error
		hint string
	}{
		{fmt.Errorf("describe ACLs: not authorized: User:ops needs DESCRIBE on CLUSTER kafka-cluster: %w", kerr.ClusterAuthorizationFailed), "grant User:ops the operation named above on CLUSTER kafka-cluster"},
		{fmt.Errorf("no answer from 127.0.0.1:9092: timed out after 2s (--timeout): %w", context.DeadlineExceeded), "raise --timeout (now 2s)"},
	}
	for _, tt := range tests {
		var h *hintError
		if err := connectHint(tt.err, cfg); !errors.As(err, &h) || !strings.Contains(h.hint, tt.hint) {
			t.Errorf("connectHint(%v): hint %v, want %q", tt.err, h, tt.hint)
		}
	}
	// A hint already given stays.
	given := withHint(fmt.Errorf("x: %w", kerr.ClusterAuthorizationFailed), "the first hint")
	var h *hintError
	if errors.As(connectHint(given, cfg), &h); h.hint != "the first hint" {
		t.Errorf("hint replaced: %q", h.hint)
	}
}
