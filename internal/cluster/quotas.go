package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// QuotaComponent is one part of a client quota entity: its type ("user",
// "client-id", "ip") and name; a nil Name is the type's default
// (kafka-configs.sh --entity-default).
type QuotaComponent struct {
	Type string
	Name *string
}

// ClientQuota is the quota values of one entity, as the cluster stores them.
type ClientQuota struct {
	Entity []QuotaComponent // sorted by Type
	Values map[string]float64
}

// QuotaKey names an entity: its components "type=name" ("type=<default>"),
// sorted by type and joined with ",", as kafka-configs.sh prints them.
func QuotaKey(entity []QuotaComponent) string {
	parts := make([]string, len(entity))
	for i, c := range entity {
		name := "<default>"
		if c.Name != nil {
			name = *c.Name
		}
		parts[i] = c.Type + "=" + name
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// QuotaAlteration sets and removes quota values of one entity.
type QuotaAlteration struct {
	Entity []QuotaComponent
	Set    map[string]float64
	Remove []string
}

// QuotaResult is the outcome of one QuotaAlteration.
type QuotaResult struct {
	Entity []QuotaComponent
	Err    error
}

// DescribeClientQuotas reads every client quota of the cluster with one
// DescribeClientQuotas request (no filter, not strict: every entity).
// It needs DESCRIBE_CONFIGS on CLUSTER kafka-cluster.
func (c *Client) DescribeClientQuotas(ctx context.Context) ([]ClientQuota, error) {
	req := kmsg.NewPtrDescribeClientQuotasRequest()
	resp, err := req.RequestWith(ctx, c.cl)
	if err != nil {
		return nil, fmt.Errorf("describe client quotas: %w", c.explain(err))
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		if errors.Is(err, kerr.ClusterAuthorizationFailed) {
			return nil, fmt.Errorf("describe client quotas: not authorized: %s needs DESCRIBE_CONFIGS on CLUSTER kafka-cluster: %w", c.principalOrUnknown(), err)
		}
		return nil, fmt.Errorf("describe client quotas: %w%s", err, msgSuffix(resp.ErrorMessage))
	}
	out := make([]ClientQuota, 0, len(resp.Entries))
	for _, e := range resp.Entries {
		q := ClientQuota{Values: make(map[string]float64, len(e.Values))}
		for _, ec := range e.Entity {
			q.Entity = append(q.Entity, QuotaComponent{Type: ec.Type, Name: ec.Name})
		}
		slices.SortFunc(q.Entity, func(a, b QuotaComponent) int { return strings.Compare(a.Type, b.Type) })
		for _, v := range e.Values {
			q.Values[v.Key] = v.Value
		}
		out = append(out, q)
	}
	slices.SortFunc(out, func(a, b ClientQuota) int { return strings.Compare(QuotaKey(a.Entity), QuotaKey(b.Entity)) })
	return out, nil
}

// AlterClientQuotas applies alts with one AlterClientQuotas request and
// returns one result per alteration, in order. A failed request fails them
// all (ErrNoAnswer when the cluster did not answer within the timeout). It needs ALTER_CONFIGS on CLUSTER kafka-cluster.
func (c *Client) AlterClientQuotas(ctx context.Context, alts []QuotaAlteration) []QuotaResult {
	out := make([]QuotaResult, len(alts))
	if len(alts) == 0 {
		return out
	}
	req := kmsg.NewPtrAlterClientQuotasRequest()
	for i, a := range alts {
		out[i].Entity = a.Entity
		entry := kmsg.NewAlterClientQuotasRequestEntry()
		for _, ec := range a.Entity {
			e := kmsg.NewAlterClientQuotasRequestEntryEntity()
			e.Type, e.Name = ec.Type, ec.Name
			entry.Entity = append(entry.Entity, e)
		}
		keys := make([]string, 0, len(a.Set))
		for k := range a.Set {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			op := kmsg.NewAlterClientQuotasRequestEntryOp()
			op.Key, op.Value = k, a.Set[k]
			entry.Ops = append(entry.Ops, op)
		}
		for _, k := range a.Remove {
			op := kmsg.NewAlterClientQuotasRequestEntryOp()
			op.Key, op.Remove = k, true
			entry.Ops = append(entry.Ops, op)
		}
		req.Entries = append(req.Entries, entry)
	}
	rctx, cancel := c.requestContext(ctx)
	defer cancel()
	resp, err := req.RequestWith(rctx, c.cl)
	if err != nil {
		err = markNoAnswer(err, fmt.Errorf("alter client quotas: %w", c.explain(err)))
		for i := range out {
			out[i].Err = err
		}
		return out
	}
	// Answers name their entity; match them by key, not position.
	byKey := map[string]error{}
	for _, e := range resp.Entries {
		var ent []QuotaComponent
		for _, ec := range e.Entity {
			ent = append(ent, QuotaComponent{Type: ec.Type, Name: ec.Name})
		}
		var rerr error
		if err := kerr.ErrorForCode(e.ErrorCode); err != nil {
			if errors.Is(err, kerr.ClusterAuthorizationFailed) {
				rerr = fmt.Errorf("not authorized: %s needs ALTER_CONFIGS on CLUSTER kafka-cluster: %w", c.principalOrUnknown(), err)
			} else {
				rerr = fmt.Errorf("%w%s", err, msgSuffix(e.ErrorMessage))
			}
		}
		byKey[QuotaKey(ent)] = rerr
	}
	for i, a := range alts {
		rerr, ok := byKey[QuotaKey(a.Entity)]
		if !ok {
			rerr = errors.New("the broker did not answer for this entity")
		}
		out[i].Err = rerr
	}
	return out
}

// TopicInfo is one topic of the cluster.
type TopicInfo struct {
	Name     string
	Internal bool // Kafka's own (__consumer_offsets, __transaction_state)
}

// ListTopics lists the cluster's topics with one Metadata request (the
// topics the running principal may DESCRIBE), sorted by name.
func (c *Client) ListTopics(ctx context.Context) ([]TopicInfo, error) {
	req := kmsg.NewPtrMetadataRequest()
	req.Topics = nil // all topics
	resp, err := req.RequestWith(ctx, c.cl)
	if err != nil {
		return nil, fmt.Errorf("list topics: %w", c.explain(err))
	}
	out := make([]TopicInfo, 0, len(resp.Topics))
	for _, t := range resp.Topics {
		if t.Topic == nil || kerr.ErrorForCode(t.ErrorCode) != nil {
			continue
		}
		out = append(out, TopicInfo{Name: *t.Topic, Internal: t.IsInternal})
	}
	slices.SortFunc(out, func(a, b TopicInfo) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// MissingTopics asks the cluster about names (one Metadata request, never
// creating a topic) and returns those it says do not exist. A topic the
// running principal may not DESCRIBE is answered TOPIC_AUTHORIZATION_FAILED
// whether it exists or not, so it is not reported missing.
func (c *Client) MissingTopics(ctx context.Context, names []string) ([]string, error) {
	if len(names) == 0 {
		return nil, nil
	}
	req := kmsg.NewPtrMetadataRequest()
	req.AllowAutoTopicCreation = false
	for _, n := range names {
		t := kmsg.NewMetadataRequestTopic()
		t.Topic = kmsg.StringPtr(n)
		req.Topics = append(req.Topics, t)
	}
	resp, err := req.RequestWith(ctx, c.cl)
	if err != nil {
		return nil, fmt.Errorf("describe topics: %w", c.explain(err))
	}
	var out []string
	for _, t := range resp.Topics {
		if t.Topic != nil && errors.Is(kerr.ErrorForCode(t.ErrorCode), kerr.UnknownTopicOrPartition) {
			out = append(out, *t.Topic)
		}
	}
	sort.Strings(out)
	return out, nil
}
