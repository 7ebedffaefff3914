package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Refusals callers check with errors.Is. The Kafka ones are the kerr codes
// themselves, so errors.Is(err, ErrTopicAuthorization) holds for any error
// that wraps the broker's TOPIC_AUTHORIZATION_FAILED answer.
var (
	// ErrTopicAuthorization: the principal may not do that on the topic.
	ErrTopicAuthorization error = kerr.TopicAuthorizationFailed
	// ErrGroupAuthorization: the principal may not use the consumer group.
	ErrGroupAuthorization error = kerr.GroupAuthorizationFailed
	// ErrAuthenticationFailed: the broker refused the connection's
	// credentials (Dial). LoginSCRAM reports ErrLoginRejected instead.
	ErrAuthenticationFailed = errors.New("authentication failed")
)

// IsAuthError reports whether err says the broker refused the credentials:
// a failed Dial or LoginSCRAM, or a Kafka SASL error code.
func IsAuthError(err error) bool {
	return errors.Is(err, ErrAuthenticationFailed) || errors.Is(err, ErrLoginRejected) ||
		errors.Is(err, kerr.SaslAuthenticationFailed)
}

// KafkaErrorName is the name of the Kafka error code err wraps
// ("TOPIC_AUTHORIZATION_FAILED"), or err's message when it wraps none.
func KafkaErrorName(err error) string {
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Message
	}
	return err.Error()
}

// userClient is a franz-go client for cfg, as an application configured
// with the same properties would be, bounded by cfg.Timeout.
func userClient(cfg *Config, opts ...kgo.Opt) (*kgo.Client, error) {
	base, err := NewClientOpts(cfg)
	if err != nil {
		return nil, err
	}
	base = append(base, kgo.RecordDeliveryTimeout(cfg.EffectiveTimeout()))
	cl, err := kgo.NewClient(append(base, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", strings.Join(cfg.Bootstrap, ","), err)
	}
	return cl, nil
}

// Produce writes one record with value to topic as cfg's user and waits for
// the broker's acknowledgement (acks=all), within cfg.Timeout. The producer
// is not idempotent, so a refusal is the broker's answer about the topic
// (errors.Is(err, ErrTopicAuthorization)) rather than InitProducerId's about
// the cluster's IDEMPOTENT_WRITE.
func Produce(ctx context.Context, cfg *Config, topic, value string) error {
	cl, err := userClient(cfg, kgo.DisableIdempotentWrite())
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, cfg.EffectiveTimeout())
	defer cancel()
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte(value)}).FirstErr(); err != nil {
		return fmt.Errorf("produce to %s as %s: %w", topic, cfg.Username, err)
	}
	return nil
}

// ConsumeOne joins group as cfg's user, reads topic from its start and
// returns the value of the first record, within cfg.Timeout. A refusal wraps
// the broker's code (ErrTopicAuthorization, ErrGroupAuthorization).
func ConsumeOne(ctx context.Context, cfg *Config, topic, group string) (string, error) {
	cl, err := userClient(cfg, kgo.ConsumeTopics(topic), kgo.ConsumerGroup(group),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return "", err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, cfg.EffectiveTimeout())
	defer cancel()
	for {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return "", fmt.Errorf("consume %s in group %s as %s: no record: %w", topic, group, cfg.Username, err)
		}
		var ferr error
		fs.EachError(func(_ string, _ int32, err error) {
			if ferr == nil {
				ferr = err
			}
		})
		if ferr != nil {
			return "", fmt.Errorf("consume %s in group %s as %s: %w", topic, group, cfg.Username, ferr)
		}
		if recs := fs.Records(); len(recs) > 0 {
			return string(recs[0].Value), nil
		}
	}
}

// CreateTopic creates topic with partitions partitions and the brokers'
// default replication factor. A topic that already exists is an error
// wrapping kerr.TopicAlreadyExists.
func (c *Client) CreateTopic(ctx context.Context, topic string, partitions int32) error {
	rs, err := c.adm.CreateTopics(ctx, partitions, -1, nil, topic)
	if err == nil {
		var r = rs[topic]
		err = r.Err
		if r.Topic == "" && err == nil {
			err = errors.New("no answer for the topic")
		}
	}
	if err != nil {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	return nil
}

// DeleteTopic deletes topic.
func (c *Client) DeleteTopic(ctx context.Context, topic string) error {
	rs, err := c.adm.DeleteTopics(ctx, topic)
	if err == nil {
		err = rs[topic].Err
	}
	if err != nil {
		return fmt.Errorf("delete topic %s: %w", topic, err)
	}
	return nil
}

// EffectiveTimeout is c.Timeout, or DefaultTimeout when it is not set.
func (c *Config) EffectiveTimeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}
