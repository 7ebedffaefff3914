package importer

import (
	"errors"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kafkaguard/kafkaguard/acl"
)

// Julie Ops (kafka-ops/julie, last release 4.4.1) builds ACLs from a topology
// descriptor with the SimpleAclsProvider: AccessControlManager calls the
// builders of roles/acls/AclsBindingsBuilder.java. Followed here with Julie's
// default configuration (src/main/resources/reference.conf):
//
//   - topic names: "default" formats, separator ".": a project's prefix is
//     context, then every other top-level key's value in file order, then
//     the project name, each followed by "." (ProjectImpl.namePrefix); a
//     topic is prefix + name [+ "." + dataType] (Topic.toString); special
//     topics have no prefix.
//   - topology.acls.optimized = false: project-level consumers and producers
//     get ACLs on each of the project's topics, beside the topic's own.
//   - consumers: topic DESCRIBE, READ; group (default "*"; "x*" is PREFIXED
//     "x") READ. producers: topic DESCRIBE, WRITE; transactionId: DESCRIBE,
//     WRITE on it (same "*" rule); a transactionId or an idempotence key
//     (whatever its value) adds CLUSTER IDEMPOTENT_WRITE.
//   - streams: READ on read topics, WRITE on write topics (names as
//     written), ALL on TOPIC PREFIXED <applicationId or project prefix>,
//     READ on GROUP PREFIXED of it; exactlyOnce: also WRITE, DESCRIBE on
//     TRANSACTIONAL_ID PREFIXED of it. Read topics are required.
//   - ksql apps: READ/WRITE on their topics, ALL on TOPIC and GROUP PREFIXED
//     <applicationId or project prefix>.
//   - connectors: READ and WRITE on the status, offset and configs topics
//     (connect-status, connect-offsets, connect-configs), READ on the group
//     (connect-cluster), READ/WRITE on their topics, and with
//     topology.connector.allow.topic.create = true CREATE on the CLUSTER.
//   - platform: schema_registry instances (topic _schemas: CREATE,
//     DESCRIBE_CONFIGS, DESCRIBE, WRITE, READ; __consumer_offsets DESCRIBE;
//     group schema-registry READ), control_center instances and ksql
//     instances as their builders; rbac sections give no ACLs.
//   - other project keys are custom Julie roles, which need a roles file:
//     rejected as Julie rejects them without one.
type Julie struct{}

// Julie's defaults (reference.conf and the model classes).
const (
	julieSeparator          = "."
	julieMonitoringTopic    = "_confluent-monitoring"
	julieCommandTopic       = "_confluent-command"
	julieMetricsTopic       = "_confluent-metrics"
	julieConnectTopicCreate = true
)

type julieParser struct {
	file string
	out  []acl.Binding
}

func (p *julieParser) errf(n *yaml.Node, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", p.file, n.Line, fmt.Sprintf(format, args...))
}

func (p *julieParser) add(principal string, rt acl.ResourceType, name string, pt acl.PatternType, ops ...acl.Operation) error {
	for _, op := range ops {
		b := acl.Binding{Principal: principal, Host: acl.Wildcard, ResourceType: rt, ResourceName: name, PatternType: pt, Operation: op, Permission: acl.PermAllow}
		if err := b.ValidateStored(); err != nil {
			return err
		}
		p.out = append(p.out, b)
	}
	return nil
}

// evaluate is Julie's evaluateResourcePattern: "x*" (longer than "*") is
// PREFIXED "x", anything else LITERAL.
func evaluate(res string) (string, acl.PatternType) {
	if len(res) > 1 && strings.HasSuffix(res, "*") {
		return strings.TrimSuffix(res, "*"), acl.PatternPrefixed
	}
	return res, acl.PatternLiteral
}

// Parse reads one topology descriptor (YAML or JSON).
func (Julie) Parse(file string, data []byte) (Input, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return Input{}, yamlError(file, err)
	}
	p := &julieParser{file: file}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return Input{}, fmt.Errorf("%s:1: a topology descriptor is a mapping with context and projects", file)
	}
	root := doc.Content[0]
	ctx := mapValue(root, "context")
	if ctx == nil || ctx.Kind != yaml.ScalarNode {
		return Input{}, p.errf(root, "TopologyParsingException: the key context is required")
	}
	prefix := ctx.Value
	for i := 0; i+1 < len(root.Content); i += 2 {
		switch k := root.Content[i].Value; k {
		case "projects", "context", "platform", "special_topics":
		default:
			prefix += julieSeparator + scalarText(root.Content[i+1])
		}
	}
	if projects := mapValue(root, "projects"); projects != nil && !isNull(projects) {
		if projects.Kind != yaml.SequenceNode {
			return Input{}, p.errf(projects, "projects must be a list")
		}
		for _, pn := range projects.Content {
			if err := p.project(pn, prefix); err != nil {
				return Input{}, err
			}
		}
	}
	if platform := mapValue(root, "platform"); platform != nil && platform.Kind == yaml.MappingNode {
		if err := p.platform(platform); err != nil {
			return Input{}, err
		}
	}
	if special := mapValue(root, "special_topics"); special != nil && special.Kind == yaml.SequenceNode {
		for _, tn := range special.Content {
			if err := p.topic(tn, "", nil, nil); err != nil {
				return Input{}, err
			}
		}
	}
	return Input{Bindings: p.out}, nil
}

// scalarText is Jackson's asText: a scalar's text, "" for anything else.
func scalarText(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return n.Value
	}
	return ""
}

// users returns the list of a project key ("consumers", ...), reading an
// object's access_control list for connectors and ksql (and nothing from an
// object without one, as Julie's parser finds no users in it).
func users(n *yaml.Node) []*yaml.Node {
	if n == nil || isNull(n) {
		return nil
	}
	if n.Kind == yaml.MappingNode {
		ac := mapValue(n, "access_control")
		if ac == nil || ac.Kind != yaml.SequenceNode {
			return nil
		}
		n = ac
	}
	if n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

func principalOf(p *julieParser, n *yaml.Node) (string, error) {
	if n.Kind != yaml.MappingNode {
		return "", p.errf(n, "a user must be a mapping with principal")
	}
	pr := scalarAt(n, "principal")
	if pr == "" {
		return "", p.errf(n, "a user without principal")
	}
	if _, err := ksmPrincipalOf(pr); err != nil {
		return "", p.errf(n, "%v", err)
	}
	return pr, nil
}

// topicList is a user's topics.read or topics.write, names as written.
func topicList(n *yaml.Node, key string) []string {
	t := mapValue(n, "topics")
	if t == nil || t.Kind != yaml.MappingNode {
		return nil
	}
	l := mapValue(t, key)
	if l == nil || l.Kind != yaml.SequenceNode {
		return nil
	}
	var out []string
	for _, c := range l.Content {
		out = append(out, scalarText(c))
	}
	return out
}

var projectCoreKeys = map[string]bool{"name": true, "topics": true, "consumers": true, "producers": true, "connectors": true, "streams": true, "schemas": true, "ksql": true, "rbac": true}

func (p *julieParser) project(pn *yaml.Node, topologyPrefix string) error {
	if pn.Kind != yaml.MappingNode {
		return p.errf(pn, "a project must be a mapping")
	}
	name := mapValue(pn, "name")
	if name == nil || scalarText(name) == "" {
		return p.errf(pn, "a project without name")
	}
	for i := 0; i+1 < len(pn.Content); i += 2 {
		if k := pn.Content[i]; !projectCoreKeys[k.Value] {
			return p.errf(k, "project %s: %q is a custom JulieRole: Custom JulieRoles are being used without providing the required config file", name.Value, k.Value)
		}
	}
	prefix := topologyPrefix + julieSeparator + name.Value + julieSeparator
	projConsumers, projProducers := users(mapValue(pn, "consumers")), users(mapValue(pn, "producers"))
	if topics := mapValue(pn, "topics"); topics != nil && topics.Kind == yaml.SequenceNode {
		for _, tn := range topics.Content {
			if err := p.topic(tn, prefix, projConsumers, projProducers); err != nil {
				return err
			}
		}
	}
	for _, s := range users(mapValue(pn, "streams")) {
		if err := p.streams(s, prefix); err != nil {
			return err
		}
	}
	for _, k := range users(mapValue(pn, "ksql")) {
		if err := p.ksqlApp(k, prefix); err != nil {
			return err
		}
	}
	for _, c := range users(mapValue(pn, "connectors")) {
		if err := p.connector(c); err != nil {
			return err
		}
	}
	return nil
}

// topic gives the topic's consumers and producers (and the project's) their
// ACLs on its full name.
func (p *julieParser) topic(tn *yaml.Node, prefix string, projConsumers, projProducers []*yaml.Node) error {
	if tn.Kind != yaml.MappingNode {
		return p.errf(tn, "a topic must be a mapping")
	}
	nameNode := mapValue(tn, "name")
	if nameNode == nil {
		return p.errf(tn, "TopologyParsingException: the key name is required")
	}
	if plan := mapValue(tn, "plan"); plan != nil {
		return p.errf(plan, "A plan definition is required if the topology uses them (import reads no plans file)")
	}
	full := prefix + scalarText(nameNode)
	if dt := mapValue(tn, "dataType"); dt != nil && !isNull(dt) {
		full += julieSeparator + scalarText(dt)
	}
	for _, c := range append(append([]*yaml.Node(nil), users(mapValue(tn, "consumers"))...), projConsumers...) {
		pr, err := principalOf(p, c)
		if err != nil {
			return err
		}
		group := "*"
		if g := mapValue(c, "group"); g != nil && !isNull(g) {
			group = scalarText(g)
		}
		gname, gpt := evaluate(group)
		if err := p.add(pr, acl.ResourceTopic, full, acl.PatternLiteral, acl.OpDescribe, acl.OpRead); err != nil {
			return p.errf(c, "%v", err)
		}
		if err := p.add(pr, acl.ResourceGroup, gname, gpt, acl.OpRead); err != nil {
			return p.errf(c, "%v", err)
		}
	}
	for _, pn := range append(append([]*yaml.Node(nil), users(mapValue(tn, "producers"))...), projProducers...) {
		pr, err := principalOf(p, pn)
		if err != nil {
			return err
		}
		if err := p.add(pr, acl.ResourceTopic, full, acl.PatternLiteral, acl.OpDescribe, acl.OpWrite); err != nil {
			return p.errf(pn, "%v", err)
		}
		tx := mapValue(pn, "transactionId")
		if tx != nil && !isNull(tx) {
			tname, tpt := evaluate(scalarText(tx))
			if err := p.add(pr, acl.ResourceTransactionalID, tname, tpt, acl.OpDescribe, acl.OpWrite); err != nil {
				return p.errf(pn, "%v", err)
			}
		}
		if idem := mapValue(pn, "idempotence"); (tx != nil && !isNull(tx)) || (idem != nil && !isNull(idem)) {
			if err := p.add(pr, acl.ResourceCluster, acl.ClusterName, acl.PatternLiteral, acl.OpIdempotentWrite); err != nil {
				return p.errf(pn, "%v", err)
			}
		}
	}
	return nil
}

func (p *julieParser) appPrefix(n *yaml.Node, projectPrefix string) string {
	if id := mapValue(n, "applicationId"); id != nil && !isNull(id) {
		return scalarText(id)
	}
	return projectPrefix
}

func (p *julieParser) streams(s *yaml.Node, projectPrefix string) error {
	pr, err := principalOf(p, s)
	if err != nil {
		return err
	}
	read, write := topicList(s, "read"), topicList(s, "write")
	if len(read) == 0 {
		return p.errf(s, "Kafka Streams application with principal %s has missing read topics. This field is required.", pr)
	}
	prefix := p.appPrefix(s, projectPrefix)
	if prefix == "" {
		return p.errf(s, "KStream application prefix should not be empty")
	}
	eos := false
	if e := mapValue(s, "exactlyOnce"); e != nil && !isNull(e) {
		if e.Tag != "!!bool" {
			return p.errf(e, "exactlyOnce must be true or false")
		}
		eos = e.Value == "true"
	}
	for _, t := range read {
		if err := p.add(pr, acl.ResourceTopic, t, acl.PatternLiteral, acl.OpRead); err != nil {
			return p.errf(s, "%v", err)
		}
	}
	for _, t := range write {
		if err := p.add(pr, acl.ResourceTopic, t, acl.PatternLiteral, acl.OpWrite); err != nil {
			return p.errf(s, "%v", err)
		}
	}
	errs := []error{
		p.add(pr, acl.ResourceTopic, prefix, acl.PatternPrefixed, acl.OpAll),
		p.add(pr, acl.ResourceGroup, prefix, acl.PatternPrefixed, acl.OpRead),
	}
	if eos {
		errs = append(errs, p.add(pr, acl.ResourceTransactionalID, prefix, acl.PatternPrefixed, acl.OpWrite, acl.OpDescribe))
	}
	if err := errors.Join(errs...); err != nil {
		return p.errf(s, "%v", err)
	}
	return nil
}

func (p *julieParser) ksqlApp(k *yaml.Node, projectPrefix string) error {
	pr, err := principalOf(p, k)
	if err != nil {
		return err
	}
	prefix := p.appPrefix(k, projectPrefix)
	if prefix == "" {
		return p.errf(k, "KSqlApp application prefix should not be empty")
	}
	var errs []error
	for _, t := range topicList(k, "read") {
		errs = append(errs, p.add(pr, acl.ResourceTopic, t, acl.PatternLiteral, acl.OpRead))
	}
	for _, t := range topicList(k, "write") {
		errs = append(errs, p.add(pr, acl.ResourceTopic, t, acl.PatternLiteral, acl.OpWrite))
	}
	errs = append(errs, p.add(pr, acl.ResourceTopic, prefix, acl.PatternPrefixed, acl.OpAll),
		p.add(pr, acl.ResourceGroup, prefix, acl.PatternPrefixed, acl.OpAll))
	if err := errors.Join(errs...); err != nil {
		return p.errf(k, "%v", err)
	}
	return nil
}

func (p *julieParser) connector(c *yaml.Node) error {
	pr, err := principalOf(p, c)
	if err != nil {
		return err
	}
	or := func(key, def string) string { return valueOr(c, key, def) }
	var errs []error
	for _, t := range []string{or("status_topic", "connect-status"), or("offset_topic", "connect-offsets"), or("configs_topic", "connect-configs")} {
		errs = append(errs, p.add(pr, acl.ResourceTopic, t, acl.PatternLiteral, acl.OpRead, acl.OpWrite))
	}
	if julieConnectTopicCreate {
		errs = append(errs, p.add(pr, acl.ResourceCluster, acl.ClusterName, acl.PatternLiteral, acl.OpCreate))
	}
	errs = append(errs, p.add(pr, acl.ResourceGroup, or("group", "connect-cluster"), acl.PatternLiteral, acl.OpRead))
	for _, t := range topicList(c, "read") {
		errs = append(errs, p.add(pr, acl.ResourceTopic, t, acl.PatternLiteral, acl.OpRead))
	}
	for _, t := range topicList(c, "write") {
		errs = append(errs, p.add(pr, acl.ResourceTopic, t, acl.PatternLiteral, acl.OpWrite))
	}
	if err := errors.Join(errs...); err != nil {
		return p.errf(c, "%v", err)
	}
	return nil
}

// valueOr is the scalar text of n's key, or def when the key is absent or
// null (Julie's defaults for platform topic and group names).
func valueOr(n *yaml.Node, key, def string) string {
	if v := mapValue(n, key); v != nil && !isNull(v) {
		return scalarText(v)
	}
	return def
}

func instances(platform *yaml.Node, key string) []*yaml.Node {
	n := mapValue(platform, key)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	l := mapValue(n, "instances")
	if l == nil || l.Kind != yaml.SequenceNode {
		return nil
	}
	return l.Content
}

func (p *julieParser) platform(platform *yaml.Node) error {
	var errs []error
	for _, sr := range instances(platform, "schema_registry") {
		pr, err := principalOf(p, sr)
		if err != nil {
			return err
		}
		or := func(key, def string) string { return valueOr(sr, key, def) }
		errs = append(errs,
			p.add(pr, acl.ResourceTopic, or("topic", "_schemas"), acl.PatternLiteral, acl.OpCreate, acl.OpDescribeConfigs, acl.OpDescribe, acl.OpWrite, acl.OpRead),
			p.add(pr, acl.ResourceTopic, or("consumer_offsets_topic", "__consumer_offsets"), acl.PatternLiteral, acl.OpDescribe),
			p.add(pr, acl.ResourceGroup, or("group", "schema-registry"), acl.PatternLiteral, acl.OpRead))
	}
	for _, cc := range instances(platform, "control_center") {
		pr, err := principalOf(p, cc)
		if err != nil {
			return err
		}
		app := scalarAt(cc, "appId")
		if app == "" {
			return p.errf(cc, "control_center instance without appId")
		}
		rw := []acl.Operation{acl.OpWrite, acl.OpRead, acl.OpCreate, acl.OpDescribe}
		errs = append(errs,
			p.add(pr, acl.ResourceGroup, app, acl.PatternPrefixed, acl.OpRead),
			p.add(pr, acl.ResourceGroup, app+"-command", acl.PatternPrefixed, acl.OpRead),
			p.add(pr, acl.ResourceGroup, acl.Wildcard, acl.PatternLiteral, acl.OpDescribe),
			p.add(pr, acl.ResourceTopic, julieMonitoringTopic, acl.PatternLiteral, rw...),
			p.add(pr, acl.ResourceTopic, julieCommandTopic, acl.PatternLiteral, rw...),
			p.add(pr, acl.ResourceTopic, julieMetricsTopic, acl.PatternLiteral, rw...),
			p.add(pr, acl.ResourceTopic, "_confluent-controlcenter", acl.PatternPrefixed, rw...),
			p.add(pr, acl.ResourceTopic, acl.Wildcard, acl.PatternLiteral, acl.OpCreate),
			p.add(pr, acl.ResourceCluster, acl.ClusterName, acl.PatternLiteral, acl.OpDescribe, acl.OpDescribeConfigs))
	}
	for _, ks := range instances(platform, "ksql") {
		pr, err := principalOf(p, ks)
		if err != nil {
			return err
		}
		id := scalarAt(ks, "ksqlDbId")
		errs = append(errs,
			p.add(pr, acl.ResourceCluster, acl.ClusterName, acl.PatternLiteral, acl.OpDescribeConfigs),
			p.add(pr, acl.ResourceTopic, "_confluent-ksql-"+id, acl.PatternPrefixed, acl.OpAll),
			p.add(pr, acl.ResourceTopic, id+"ksql_processing_log", acl.PatternLiteral, acl.OpAll),
			p.add(pr, acl.ResourceGroup, "_confluent-ksql-"+id, acl.PatternPrefixed, acl.OpAll))
	}
	if err := errors.Join(errs...); err != nil {
		return p.errf(platform, "%v", err)
	}
	return nil
}
