package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/kafkaguard/kafkaguard/acl"
)

// DefaultBatchSize is how many bindings one CreateAcls or DeleteAcls request
// carries.
const DefaultBatchSize = 1000

// Client is a connection to one cluster.
type Client struct {
	cfg       *Config
	cl        *kgo.Client
	adm       *kadm.Client
	hook      *connectHook
	BatchSize int // bindings per CreateAcls/DeleteAcls request; DefaultBatchSize when 0
}

// NewClientOpts returns the kgo options that reach cfg's cluster: seed
// brokers, TLS and SASL. Callers add their own (consumer groups, logging).
func NewClientOpts(cfg *Config) ([]kgo.Opt, error) {
	if cfg == nil || len(cfg.Bootstrap) == 0 {
		return nil, errors.New("no bootstrap server configured")
	}
	timeout := cfg.EffectiveTimeout()
	opts := []kgo.Opt{
		kgo.SeedBrokers(cfg.Bootstrap...),
		kgo.DialTimeout(min(timeout, 10*time.Second)),
		kgo.RetryTimeout(timeout),
	}
	if cfg.TLS != nil {
		opts = append(opts, kgo.DialTLSConfig(cfg.TLS.Clone()))
	}
	switch cfg.SASLMechanism {
	case "":
	case MechanismPlain:
		opts = append(opts, kgo.SASL(plain.Auth{User: cfg.Username, Pass: cfg.password}.AsMechanism()))
	case MechanismSCRAMSHA256:
		opts = append(opts, kgo.SASL(scram.Auth{User: cfg.Username, Pass: cfg.password}.AsSha256Mechanism()))
	case MechanismSCRAMSHA512:
		opts = append(opts, kgo.SASL(scram.Auth{User: cfg.Username, Pass: cfg.password}.AsSha512Mechanism()))
	default:
		return nil, fmt.Errorf("unsupported SASL mechanism %q", cfg.SASLMechanism)
	}
	return opts, nil
}

// connectHook remembers the last failed connection so that a timeout can say
// which address failed and why.
type connectHook struct {
	mu   sync.Mutex
	addr string
	err  error
}

func (h *connectHook) OnBrokerConnect(meta kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	if err == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.addr = net.JoinHostPort(meta.Host, fmt.Sprint(meta.Port))
	h.err = err
}

func (h *connectHook) last() (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.addr, h.err
}

// DialOption adjusts Dial.
type DialOption func(*dialOpts)

type dialOpts struct {
	log  io.Writer
	kopt []kgo.Opt
}

// WithLog writes franz-go's request-level logs to w (never secrets).
func WithLog(w io.Writer) DialOption { return func(o *dialOpts) { o.log = w } }

// WithKgoOpts adds franz-go options (tests: hooks, shorter timeouts).
func WithKgoOpts(opts ...kgo.Opt) DialOption {
	return func(o *dialOpts) { o.kopt = append(o.kopt, opts...) }
}

// Dial connects to cfg's cluster and checks with one Metadata request that a
// broker is reachable, speaks the configured protocol and accepts the
// credentials. Its errors say which address failed and why, never a secret.
func Dial(ctx context.Context, cfg *Config, options ...DialOption) (*Client, error) {
	var do dialOpts
	for _, o := range options {
		o(&do)
	}
	opts, err := NewClientOpts(cfg)
	if err != nil {
		return nil, err
	}
	hook := &connectHook{}
	opts = append(opts, kgo.WithHooks(hook))
	if do.log != nil {
		opts = append(opts, kgo.WithLogger(kgo.BasicLogger(do.log, kgo.LogLevelDebug, func() string { return "kafkaguard: kgo: " })))
	}
	opts = append(opts, do.kopt...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", strings.Join(cfg.Bootstrap, ","), err)
	}
	c := &Client{cfg: cfg, cl: cl, adm: kadm.NewClient(cl), hook: hook}
	timeout := cfg.EffectiveTimeout()
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req := kmsg.NewPtrMetadataRequest()
	req.Topics = []kmsg.MetadataRequestTopic{}
	if _, err := req.RequestWith(pctx, cl); err != nil {
		// Explain before closing: Close fails the connection attempts still
		// under way with "client closed", which is not why Dial failed.
		err = c.explain(err)
		cl.Close()
		return nil, err
	}
	return c, nil
}

// Close ends the connection.
func (c *Client) Close() { c.cl.Close() }

// Config returns the configuration the client was dialled with.
func (c *Client) Config() *Config { return c.cfg }

// Kgo is the underlying franz-go client.
func (c *Client) Kgo() *kgo.Client { return c.cl }

// Kadm is the underlying admin client.
func (c *Client) Kadm() *kadm.Client { return c.adm }

// Principal is the Kafka principal the client runs as: "User:<sasl user>", or
// for mTLS the certificate's principal when Config.CertPrincipal is set, else "".
func (c *Client) Principal() string {
	if c.cfg.SASLMechanism != "" {
		return "User:" + c.cfg.Username
	}
	if c.cfg.ClientCert != nil && c.cfg.CertPrincipal != nil {
		if p, err := c.cfg.CertPrincipal(c.cfg.ClientCert); err == nil {
			return p
		}
	}
	return ""
}

// UserName is the running principal's name without its "User:" type: the
// SCRAM user name the client logs in as ("" when it has no principal).
func (c *Client) UserName() string { return strings.TrimPrefix(c.Principal(), "User:") }

// explain turns a franz-go error into one a person understands, keeping the
// original (kerr codes, x509 errors) reachable with errors.Is and errors.As.
func (c *Client) explain(err error) error {
	addr, connErr := c.hook.last()
	if addr == "" {
		addr = strings.Join(c.cfg.Bootstrap, ",")
	}
	// A failed connection says more than the deadline it caused, unless it
	// failed only because of that deadline or a closing client.
	if connErr != nil && !errors.Is(connErr, kgo.ErrClientClosed) && !errors.Is(connErr, context.DeadlineExceeded) && !errors.Is(connErr, context.Canceled) &&
		(errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || isNetErr(err)) {
		err = connErr
	}
	var (
		unknownCA *x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
		verifyErr *tls.CertificateVerificationError
		recErr    tls.RecordHeaderError
		opErr     *net.OpError
	)
	switch {
	case errors.Is(err, kerr.SaslAuthenticationFailed), errors.Is(err, kerr.IllegalSaslState), errors.Is(err, kerr.UnsupportedSaslMechanism):
		return fmt.Errorf("%w at %s as %s with %s: %w", ErrAuthenticationFailed, addr, c.cfg.Username, c.cfg.SASLMechanism, err)
	case errors.As(err, &unknownCA):
		return withKind(ErrTLSVerification, fmt.Errorf("TLS verification of broker %s failed: its certificate is not signed by a trusted CA (check ssl.truststore.location): %w", addr, err))
	case errors.As(err, &hostErr):
		return withKind(ErrTLSVerification, fmt.Errorf("TLS verification of broker %s failed: the certificate is not valid for that host name (set ssl.endpoint.identification.algorithm= to skip the host check): %w", addr, err))
	case errors.As(err, &invalid), errors.As(err, &verifyErr):
		return withKind(ErrTLSVerification, fmt.Errorf("TLS verification of broker %s failed: %w", addr, err))
	case errors.As(err, &recErr):
		return withKind(ErrWrongProtocol, fmt.Errorf("broker %s did not answer TLS (is it a PLAINTEXT listener? check security.protocol): %w", addr, err))
	case errors.Is(err, io.EOF) && c.cfg.TLS == nil:
		return withKind(ErrWrongProtocol, fmt.Errorf("broker %s closed the connection (does it expect TLS or SASL? check security.protocol): %w", addr, err))
	case errors.Is(err, io.EOF) && c.cfg.SASLMechanism != "":
		// kfake (and some proxies) close the connection on a failed SCRAM
		// login instead of answering SASL_AUTHENTICATION_FAILED.
		return fmt.Errorf("%w at %s as %s with %s (the broker closed the connection during login): %w", ErrAuthenticationFailed, addr, c.cfg.Username, c.cfg.SASLMechanism, err)
	case errors.Is(err, kerr.ClusterAuthorizationFailed):
		return fmt.Errorf("not authorized: needs DESCRIBE on CLUSTER kafka-cluster: %w", err)
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return withKind(ErrUnreachable, fmt.Errorf("cannot reach broker %s: %w", addr, err))
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("no answer from %s: timed out after %s: %w", addr, c.cfg.EffectiveTimeout(), err)
	}
	return fmt.Errorf("request to %s failed: %w", addr, err)
}

func isNetErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne)
}

// ACLResult is the outcome of creating or deleting one binding.
type ACLResult struct {
	Binding acl.Binding
	Err     error
}

// DescribeACLs reads every ACL binding of the cluster with one DescribeAcls
// request and the match-anything filter.
func (c *Client) DescribeACLs(ctx context.Context) (acl.Set, error) {
	req := kmsg.NewPtrDescribeACLsRequest()
	req.ResourceType = kmsg.ACLResourceTypeAny
	req.ResourcePatternType = kmsg.ACLResourcePatternTypeAny
	req.Operation = kmsg.ACLOperationAny
	req.PermissionType = kmsg.ACLPermissionTypeAny
	resp, err := req.RequestWith(ctx, c.cl)
	if err != nil {
		return acl.Set{}, fmt.Errorf("describe ACLs: %w", c.explain(err))
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		if errors.Is(err, kerr.ClusterAuthorizationFailed) {
			return acl.Set{}, fmt.Errorf("describe ACLs: not authorized: %s needs DESCRIBE on CLUSTER kafka-cluster: %w", c.principalOrUnknown(), err)
		}
		if errors.Is(err, kerr.SecurityDisabled) {
			return acl.Set{}, fmt.Errorf("describe ACLs: the cluster has no authorizer configured (authorizer.class.name): %w", err)
		}
		return acl.Set{}, fmt.Errorf("describe ACLs: %w%s", err, msgSuffix(resp.ErrorMessage))
	}
	var bs []acl.Binding
	for _, r := range resp.Resources {
		for _, a := range r.ACLs {
			bs = append(bs, acl.Binding{
				Principal: a.Principal, Host: a.Host,
				ResourceType: acl.ResourceType(r.ResourceType), ResourceName: r.ResourceName,
				PatternType: acl.PatternType(r.ResourcePatternType),
				Operation:   acl.Operation(a.Operation), Permission: acl.Permission(a.PermissionType),
			})
		}
	}
	return acl.NewSet(bs...), nil
}

func (c *Client) principalOrUnknown() string {
	if p := c.Principal(); p != "" {
		return p
	}
	return "the running principal"
}

func msgSuffix(m *string) string {
	if m == nil || *m == "" {
		return ""
	}
	return " (" + *m + ")"
}

func (c *Client) batchSize() int {
	if c.BatchSize > 0 {
		return c.BatchSize
	}
	return DefaultBatchSize
}

// CreateACLs creates bs, BatchSize bindings per CreateAcls request, and
// returns one result per binding sent, in order. A request refused as a whole
// fails its bindings and the next still runs; a request that gets no answer
// (ErrNoAnswer) stops it: the results end with that request's bindings.
func (c *Client) CreateACLs(ctx context.Context, bs []acl.Binding) []ACLResult {
	return c.inBatches(ctx, bs, "create", "creations", func(batch []acl.Binding) kmsg.Request {
		req := kmsg.NewPtrCreateACLsRequest()
		req.Creations = convertBindings(batch, aclCreation)
		return req
	})
}

// DeleteACLs deletes exactly bs (one exact-match filter per binding, never a
// wildcard filter), BatchSize filters per DeleteAcls request. Deleting a
// binding that is already gone succeeds. It stops like CreateACLs.
func (c *Client) DeleteACLs(ctx context.Context, bs []acl.Binding) []ACLResult {
	return c.inBatches(ctx, bs, "delete", "deletions", func(batch []acl.Binding) kmsg.Request {
		req := kmsg.NewPtrDeleteACLsRequest()
		req.Filters = convertBindings(batch, aclExactFilter)
		return req
	})
}

// convertBindings converts each binding of a batch into one item of a request.
func convertBindings[T any](batch []acl.Binding, item func(acl.Binding) T) []T {
	items := make([]T, len(batch))
	for i, b := range batch {
		items[i] = item(b)
	}
	return items
}

// aclCreation is b as one creation of a CreateAcls request.
func aclCreation(b acl.Binding) kmsg.CreateACLsRequestCreation {
	cr := kmsg.NewCreateACLsRequestCreation()
	cr.ResourceType = kmsg.ACLResourceType(b.ResourceType)
	cr.ResourceName = b.ResourceName
	cr.ResourcePatternType = kmsg.ACLResourcePatternType(b.PatternType)
	cr.Principal = b.Principal
	cr.Host = b.Host
	cr.Operation = kmsg.ACLOperation(b.Operation)
	cr.PermissionType = kmsg.ACLPermissionType(b.Permission)
	return cr
}

// aclExactFilter is the DeleteAcls filter that matches b and nothing else:
// every field set, no ANY or MATCH.
func aclExactFilter(b acl.Binding) kmsg.DeleteACLsRequestFilter {
	f := kmsg.NewDeleteACLsRequestFilter()
	f.ResourceType = kmsg.ACLResourceType(b.ResourceType)
	f.ResourceName = kmsg.StringPtr(b.ResourceName)
	f.ResourcePatternType = kmsg.ACLResourcePatternType(b.PatternType)
	f.Principal = kmsg.StringPtr(b.Principal)
	f.Host = kmsg.StringPtr(b.Host)
	f.Operation = kmsg.ACLOperation(b.Operation)
	f.PermissionType = kmsg.ACLPermissionType(b.Permission)
	return f
}

// aclAnswers sends a CreateAcls or DeleteAcls request and returns the
// broker's answer for each of its bindings, in the order sent. The two
// responses are different kmsg types with the same per-binding fields.
func (c *Client) aclAnswers(ctx context.Context, req kmsg.Request) ([]aclAnswer, error) {
	resp, err := c.cl.Request(ctx, req)
	if err != nil {
		return nil, err
	}
	var answers []aclAnswer
	switch resp := resp.(type) {
	case *kmsg.CreateACLsResponse:
		for _, r := range resp.Results {
			answers = append(answers, aclAnswer{r.ErrorCode, r.ErrorMessage})
		}
	case *kmsg.DeleteACLsResponse:
		for _, r := range resp.Results {
			answers = append(answers, aclAnswer{r.ErrorCode, r.ErrorMessage})
		}
	default:
		return nil, fmt.Errorf("unexpected %T answering an ACL request", resp)
	}
	return answers, nil
}

// aclAnswer is the broker's answer for one binding of a CreateAcls or
// DeleteAcls request.
type aclAnswer struct {
	code int16
	msg  *string
}

// inBatches sends bs in requests that request builds, BatchSize bindings
// per request, and returns one result per binding sent, in order. A request that answers for another
// number of bindings than it was sent fails all its bindings (things, e.g.
// "creations", names them in that error) and the next request still runs.
// A request that gets no answer within the timeout (each request has at
// most one --timeout, retries included) marks its bindings ErrNoAnswer and
// ends the run: the cluster is gone, and waiting a timeout per remaining
// request would only delay the report.
func (c *Client) inBatches(ctx context.Context, bs []acl.Binding, verb, things string, request func([]acl.Binding) kmsg.Request) []ACLResult {
	out := make([]ACLResult, 0, len(bs))
	for start := 0; start < len(bs); start += c.batchSize() {
		batch := bs[start:min(start+c.batchSize(), len(bs))]
		rctx, cancel := c.requestContext(ctx)
		answers, err := c.aclAnswers(rctx, request(batch))
		cancel()
		noAnswer := err != nil && isConnectivity(err)
		if err == nil && len(answers) != len(batch) {
			err = fmt.Errorf("broker answered %d results for %d %s", len(answers), len(batch), things)
		}
		for i, b := range batch {
			r := ACLResult{Binding: b}
			switch {
			case err != nil:
				r.Err = markNoAnswer(err, fmt.Errorf("%s ACLs: %w", verb, c.explain(err)))
			default:
				r.Err = aclErr(verb, answers[i].code, answers[i].msg, c)
			}
			out = append(out, r)
		}
		if noAnswer {
			break
		}
	}
	return out
}

func aclErr(verb string, code int16, msg *string, c *Client) error {
	err := kerr.ErrorForCode(code)
	if err == nil {
		return nil
	}
	if errors.Is(err, kerr.ClusterAuthorizationFailed) {
		return fmt.Errorf("%s ACL: not authorized: %s needs ALTER on CLUSTER kafka-cluster: %w", verb, c.principalOrUnknown(), err)
	}
	return fmt.Errorf("%s ACL: %w%s", verb, err, msgSuffix(msg))
}

// requestContext bounds one write request, retries included, to one
// --timeout: a cluster that stopped answering costs one timeout, not one
// per remaining request.
func (c *Client) requestContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.cfg.EffectiveTimeout())
}

// markNoAnswer is worded, the error of a failed request caused by cause,
// also matching ErrNoAnswer when the cluster did not answer it
// (isConnectivity): its outcome is unknown, and callers stop there.
func markNoAnswer(cause, worded error) error {
	if isConnectivity(cause) {
		return withKind(ErrNoAnswer, worded)
	}
	return worded
}
