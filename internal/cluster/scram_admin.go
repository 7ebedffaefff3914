package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ErrSCRAMUnsupported says the cluster cannot manage SCRAM credentials
// (KIP-554 needs Kafka 2.7 or later).
var ErrSCRAMUnsupported = errors.New("the cluster does not support SCRAM credential management (KIP-554, Kafka 2.7 or later)")

func scramMechanismCode(m string) (int8, error) {
	switch m {
	case MechanismSCRAMSHA256:
		return 1, nil
	case MechanismSCRAMSHA512:
		return 2, nil
	}
	return 0, fmt.Errorf("unknown SCRAM mechanism %q", m)
}

func scramMechanismName(code int8) string {
	switch code {
	case 1:
		return MechanismSCRAMSHA256
	case 2:
		return MechanismSCRAMSHA512
	}
	return fmt.Sprintf("UNKNOWN(%d)", code)
}

// scramRequestErr explains a failed SCRAM admin request.
func (c *Client) scramRequestErr(verb string, err error) error {
	switch {
	case errors.Is(err, kerr.ClusterAuthorizationFailed):
		op := "DESCRIBE"
		if verb == "alter" {
			op = "ALTER"
		}
		return fmt.Errorf("%s SCRAM credentials: not authorized: %s needs %s on CLUSTER kafka-cluster: %w", verb, c.principalOrUnknown(), op, err)
	case errors.Is(err, kerr.UnsupportedVersion), strings.Contains(err.Error(), "too old"), strings.Contains(err.Error(), "unknown request key"):
		return fmt.Errorf("%s SCRAM credentials: %w: %v", verb, ErrSCRAMUnsupported, err)
	}
	return fmt.Errorf("%s SCRAM credentials: %w", verb, c.explain(err))
}

// DescribeSCRAM reads every SCRAM user of the cluster with one
// DescribeUserScramCredentials request: user -> its credentials, sorted by
// mechanism. Users without credentials are absent.
func (c *Client) DescribeSCRAM(ctx context.Context) (map[string][]SCRAMCredentialInfo, error) {
	req := kmsg.NewPtrDescribeUserSCRAMCredentialsRequest() // nil Users: all
	resp, err := req.RequestWith(ctx, c.cl)
	if err != nil {
		return nil, c.scramRequestErr("describe", err)
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return nil, c.scramRequestErr("describe", fmt.Errorf("%w%s", err, msgSuffix(resp.ErrorMessage)))
	}
	out := make(map[string][]SCRAMCredentialInfo, len(resp.Results))
	for _, r := range resp.Results {
		if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
			if errors.Is(err, kerr.ResourceNotFound) {
				continue
			}
			return nil, fmt.Errorf("describe SCRAM credentials of %s: %w%s", r.User, err, msgSuffix(r.ErrorMessage))
		}
		for _, ci := range r.CredentialInfos {
			out[r.User] = append(out[r.User], SCRAMCredentialInfo{Mechanism: scramMechanismName(ci.Mechanism), Iterations: int(ci.Iterations)})
		}
	}
	for u, infos := range out {
		if len(infos) == 2 && infos[0].Mechanism > infos[1].Mechanism {
			out[u] = []SCRAMCredentialInfo{infos[1], infos[0]}
		}
	}
	return out, nil
}

// AlterSCRAM deletes and upserts SCRAM credentials with one
// AlterUserScramCredentials request and returns one result per user, in the
// order the users first appear (deletions, then upserts). Kafka allows a user
// only once per request: callers split a mechanism change into two calls. A
// failed request is an error (ErrNoAnswer when the cluster did not answer
// within the timeout: the request may have been committed); per-user
// failures are in the results and keep their Kafka error code reachable
// with errors.Is.
func (c *Client) AlterSCRAM(ctx context.Context, del []SCRAMDeletion, up []SCRAMUpsert) ([]SCRAMResult, error) {
	req := kmsg.NewPtrAlterUserSCRAMCredentialsRequest()
	var order []string
	seen := map[string]bool{}
	note := func(u string) {
		if !seen[u] {
			seen[u] = true
			order = append(order, u)
		}
	}
	for _, d := range del {
		code, err := scramMechanismCode(d.Mechanism)
		if err != nil {
			return nil, fmt.Errorf("delete SCRAM credential of %s: %w", d.User, err)
		}
		rd := kmsg.NewAlterUserSCRAMCredentialsRequestDeletion()
		rd.Name, rd.Mechanism = d.User, code
		req.Deletions = append(req.Deletions, rd)
		note(d.User)
	}
	for _, u := range up {
		code, err := scramMechanismCode(u.Mechanism)
		if err != nil {
			return nil, fmt.Errorf("upsert SCRAM credential of %s: %w", u.User, err)
		}
		if len(u.Salt) == 0 || len(u.SaltedPassword) == 0 {
			return nil, fmt.Errorf("upsert SCRAM credential of %s: no salt or salted password", u.User)
		}
		ru := kmsg.NewAlterUserSCRAMCredentialsRequestUpsertion()
		ru.Name, ru.Mechanism, ru.Iterations = u.User, code, int32(u.Iterations)
		ru.Salt, ru.SaltedPassword = u.Salt, u.SaltedPassword
		req.Upsertions = append(req.Upsertions, ru)
		note(u.User)
	}
	if len(order) == 0 {
		return nil, nil
	}
	rctx, cancel := c.requestContext(ctx)
	defer cancel()
	resp, err := req.RequestWith(rctx, c.cl)
	if err != nil {
		return nil, markNoAnswer(err, c.scramRequestErr("alter", err))
	}
	byUser := map[string]error{}
	answered := map[string]bool{}
	for _, r := range resp.Results {
		answered[r.User] = true
		if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
			switch {
			case errors.Is(err, kerr.ClusterAuthorizationFailed):
				err = fmt.Errorf("not authorized: %s needs ALTER on CLUSTER kafka-cluster: %w", c.principalOrUnknown(), err)
			case errors.Is(err, kerr.UnacceptableCredential):
				err = fmt.Errorf("the cluster refused the credential (user name or iterations): %w%s", err, msgSuffix(r.ErrorMessage))
			default:
				err = fmt.Errorf("%w%s", err, msgSuffix(r.ErrorMessage))
			}
			byUser[r.User] = err
		}
	}
	out := make([]SCRAMResult, 0, len(order))
	for _, u := range order {
		err := byUser[u]
		if err == nil && !answered[u] {
			err = errors.New("the cluster did not answer for this user")
		}
		out = append(out, SCRAMResult{User: u, Err: err})
	}
	return out, nil
}
