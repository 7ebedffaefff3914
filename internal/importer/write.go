package importer

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/inventory"
)

// File is one file of a written inventory.
type File struct {
	Name string // base name, e.g. "grants.yaml"
	Data []byte
}

// FileNames are the files Files writes, in order.
var FileNames = []string{"principals.yaml", "topics.yaml", "grants.yaml"}

// Files writes the inventory split for review: principals.yaml (the
// principals and managed.principals), topics.yaml and grants.yaml. Together
// they load as one inventory.
func (inv *Inventory) Files() ([]File, error) {
	header := inv.header()
	parts := []struct {
		name string
		keys []string
	}{
		{"principals.yaml", []string{"principals", "quotas", "managed"}},
		{"topics.yaml", []string{"topics"}},
		{"grants.yaml", []string{"grants", "waivers"}},
	}
	var out []File
	for _, p := range parts {
		data, err := inv.encode(header, p.keys...)
		if err != nil {
			return nil, err
		}
		out = append(out, File{Name: p.name, Data: data})
	}
	return out, nil
}

// YAML writes the whole inventory as one document.
func (inv *Inventory) YAML() ([]byte, error) {
	return inv.encode(inv.header(), "principals", "quotas", "topics", "grants", "waivers", "managed")
}

func (inv *Inventory) header() string {
	return fmt.Sprintf("Imported by 'kafkaguard import --from %s': %d ACL bindings, %d principals.\n"+
		"Principals with auth: external keep credentials managed elsewhere: kafkaguard\n"+
		"manages their ACLs only. Review, then check that 'kafkaguard plan' shows no changes.",
		inv.Source, inv.Stats.Bindings, inv.Stats.Principals)
}

func (inv *Inventory) encode(header string, keys ...string) ([]byte, error) {
	root := mapping(false)
	root.HeadComment = header
	for _, k := range keys {
		var v *yaml.Node
		switch k {
		case "principals":
			v = mapping(false)
			for _, p := range inv.Principals {
				m := mapping(true)
				add(m, "auth", str(p.Auth))
				if p.DN != "" {
					add(m, "dn", str(p.DN))
				}
				if p.Iterations != 0 && p.Iterations != inventory.DefaultIterations {
					add(m, "iterations", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(p.Iterations)})
				}
				if q, ok := inv.quotaOf(inventory.QuotaEntity{Type: inventory.QuotaUser, Name: p.Name}); ok {
					add(m, "quotas", quotaNode(q))
				}
				key := str(p.Name)
				key.HeadComment = p.Note
				v.Content = append(v.Content, key, m)
			}
		case "quotas":
			v = inv.quotasNode()
			if v == nil {
				continue
			}
		case "topics":
			v = mapping(false)
			for _, t := range inv.Topics {
				add(v, t, mapping(true))
			}
		case "grants":
			v = &yaml.Node{Kind: yaml.SequenceNode}
			for _, g := range inv.Grants {
				v.Content = append(v.Content, grantNode(g))
			}
		case "waivers":
			if len(inv.Waivers) == 0 {
				continue
			}
			v = &yaml.Node{Kind: yaml.SequenceNode}
			for _, w := range inv.Waivers {
				m := mapping(false)
				add(m, "rule", str(w.Rule))
				if w.Principal != "" {
					add(m, "principal", str(w.Principal))
				}
				if w.Topic != "" {
					add(m, "topic", str(w.Topic))
				}
				add(m, "reason", str(w.Reason))
				add(m, "approved_by", str(w.ApprovedBy))
				add(m, "expires", str(w.Expires))
				v.Content = append(v.Content, m)
			}
		case "managed":
			v = mapping(false)
			l := &yaml.Node{Kind: yaml.SequenceNode}
			for _, p := range inv.Managed {
				l.Content = append(l.Content, str(p))
			}
			add(v, "principals", l)
		}
		add(root, k, v)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}); err != nil {
		return nil, fmt.Errorf("write inventory: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("write inventory: %w", err)
	}
	return buf.Bytes(), nil
}

func grantNode(g Grant) *yaml.Node {
	m := mapping(true)
	add(m, "principal", str(g.Principal))
	if g.Permission == acl.PermDeny {
		add(m, "permission", str("DENY"))
	}
	if g.Role != "" {
		add(m, "role", str(g.Role))
	} else {
		ops := flowSeq()
		for _, o := range g.Operations {
			ops.Content = append(ops.Content, str(o.String()))
		}
		add(m, "operations", ops)
	}
	for _, l := range []struct {
		key   string
		names []string
	}{{"topics", g.Topics}, {"groups", g.Groups}, {"transactional_ids", g.TransactionalIDs}} {
		if len(l.names) > 0 {
			s := flowSeq()
			for _, n := range l.names {
				s.Content = append(s.Content, str(n))
			}
			add(m, l.key, s)
		}
	}
	if g.Resource != nil {
		r := mapping(true)
		add(r, "type", str(g.Resource.Type.String()))
		if g.Resource.Type != acl.ResourceCluster || g.Resource.Name != acl.ClusterName {
			add(r, "name", str(g.Resource.Name))
		}
		add(m, "resource", r)
	}
	if g.Create {
		add(m, "create", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
	}
	for _, l := range []struct {
		key    string
		values []string
	}{{"hosts", g.Hosts}} {
		if len(l.values) > 0 {
			s := flowSeq()
			for _, v := range l.values {
				s.Content = append(s.Content, str(v))
			}
			add(m, l.key, s)
		}
	}
	return m
}

func mapping(flow bool) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if flow {
		n.Style = yaml.FlowStyle
	}
	return n
}

func flowSeq() *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
}

func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

func add(m *yaml.Node, key string, v *yaml.Node) { m.Content = append(m.Content, str(key), v) }

func (inv *Inventory) quotaOf(e inventory.QuotaEntity) (inventory.Quota, bool) {
	for _, q := range inv.Quotas {
		if q.Entity == e {
			return q, true
		}
	}
	return inventory.Quota{}, false
}

// quotasNode is the top-level quotas: default (User:<default>) and clients
// (client ids, "<default>" for their default); nil when there are none.
func (inv *Inventory) quotasNode() *yaml.Node {
	v := mapping(false)
	if q, ok := inv.quotaOf(inventory.QuotaEntity{Type: inventory.QuotaUser, Default: true}); ok {
		add(v, "default", quotaNode(q))
	}
	clients := mapping(false)
	for _, q := range inv.Quotas {
		if q.Entity.Type != inventory.QuotaClientID {
			continue
		}
		name := q.Entity.Name
		if q.Entity.Default {
			name = "<default>"
		}
		add(clients, name, quotaNode(q))
	}
	if len(clients.Content) > 0 {
		add(v, "clients", clients)
	}
	if len(v.Content) == 0 {
		return nil
	}
	return v
}

// quotaNode writes quota values as kafka-configs.sh takes them: byte rates
// as whole numbers, the others as numbers that read back exactly.
func quotaNode(q inventory.Quota) *yaml.Node {
	m := mapping(true)
	for _, k := range inventory.QuotaKeys {
		v, ok := q.Values[k]
		if !ok {
			continue
		}
		s := strconv.FormatFloat(v, 'f', -1, 64)
		tag := "!!int"
		if k != inventory.QuotaProducerByteRate && k != inventory.QuotaConsumerByteRate && (v != math.Trunc(v) || math.Abs(v) >= 1<<53) {
			tag = "!!float"
			s = strconv.FormatFloat(v, 'g', -1, 64)
			if !strings.ContainsAny(s, ".e") {
				s += ".0"
			}
		}
		add(m, k, &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: s})
	}
	return m
}
