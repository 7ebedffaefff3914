// auto.create.topics.enable: topics created for a metadata request as the session's principal, as Kafka does.

package devcluster

import (
	"bufio"
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// autoCreate does what auto.create.topics.enable does for a metadata
// request that allows it (KafkaApis.getTopicMetadata): a missing topic is
// created when the principal may CREATE it (on the cluster or the topic),
// answered LEADER_NOT_AVAILABLE so that the client asks again, and answered
// TOPIC_AUTHORIZATION_FAILED otherwise. kfake runs without its own
// auto-creation, which asks nobody; the layer creates the topic with a
// CreateTopics request as the session's principal, which kfake authorizes.
func (s *session) autoCreate(req *kmsg.MetadataRequest, resp *kmsg.MetadataResponse) bool {
	if s.login == nil || (req.Version >= 4 && !req.AllowAutoTopicCreation) {
		return false
	}
	var missing []string
	for _, t := range resp.Topics {
		if t.ErrorCode == kerr.UnknownTopicOrPartition.Code && t.Topic != nil && *t.Topic != "" {
			missing = append(missing, *t.Topic)
		}
	}
	if len(missing) == 0 {
		return false
	}
	codes := s.createTopics(missing)
	for i := range resp.Topics {
		t := &resp.Topics[i]
		if t.Topic == nil {
			continue
		}
		if code, ok := codes[*t.Topic]; ok {
			switch code {
			case 0, kerr.TopicAlreadyExists.Code:
				t.ErrorCode = kerr.LeaderNotAvailable.Code
			case kerr.TopicAuthorizationFailed.Code, kerr.ClusterAuthorizationFailed.Code:
				t.ErrorCode = kerr.TopicAuthorizationFailed.Code
			default:
				t.ErrorCode = code
			}
		}
	}
	return true
}

// createTopics creates topics with the broker defaults as the session's
// principal and returns each topic's error code.
func (s *session) createTopics(topics []string) map[string]int16 {
	codes := map[string]int16{}
	fail := func(code int16) map[string]int16 {
		for _, t := range topics {
			codes[t] = code
		}
		return codes
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.l.opts.HandshakeTimeout)
	defer cancel()
	conn, err := s.l.dial(ctx, s.raw.RemoteAddr())
	if err != nil {
		return fail(kerr.UnknownServerError.Code)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	if err := loginKfake(conn, r, s.login.mechanism, s.login.user, s.login.cred); err != nil {
		return fail(kerr.UnknownServerError.Code)
	}
	req := kmsg.NewPtrCreateTopicsRequest()
	req.Version, req.TimeoutMillis = 4, 30000
	for _, t := range topics {
		rt := kmsg.NewCreateTopicsRequestTopic()
		rt.Topic, rt.NumPartitions, rt.ReplicationFactor = t, -1, -1
		req.Topics = append(req.Topics, rt)
	}
	resp := kmsg.NewPtrCreateTopicsResponse()
	if err := kfakeRoundTrip(conn, r, req, resp, 3); err != nil {
		return fail(kerr.UnknownServerError.Code)
	}
	for _, t := range resp.Topics {
		codes[t.Topic] = t.ErrorCode
	}
	return codes
}
