// Command compilefloor is the floor kafkaguard compile is measured against
// (issue 19): a plain Go program that reads an inventory with the same YAML
// library (gopkg.in/yaml.v3, into structs), expands the grants of the roles
// the generated benchmark inventory uses (producer, consumer, streams-app)
// and writes the same JSON as `kafkaguard compile -o json`, byte for byte:
// the bindings sorted and without duplicates, one encoding/json object a
// line (acl.Binding.MarshalJSON). It checks nothing and evaluates no policy; see bench_test.go.
//
//	compilefloor INVENTORY.yaml > acls.json
package main

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kafkaguard/kafkaguard/acl"
)

type inventory struct {
	Principals map[string]principal
	Topics     map[string]topic
	Grants     []grant
}

type principal struct {
	Auth string `yaml:"auth"`
	Team string `yaml:"team"`
}

type topic struct {
	Team           string `yaml:"team"`
	Classification string `yaml:"classification"`
}

type grant struct {
	Principal     string `yaml:"principal"`
	Role          string `yaml:"role"`
	ApprovedBy    string `yaml:"approved_by"`
	ApplicationID string `yaml:"application_id"` // streams-app
	// The lists the roles select.
	Topics  []string `yaml:"topics"`
	Groups  []string `yaml:"groups"`
	Inputs  []string `yaml:"inputs"`
	Outputs []string `yaml:"outputs"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: compilefloor INVENTORY.yaml > acls.json")
		os.Exit(1)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintf(os.Stderr, "compilefloor: %v\n", err)
		os.Exit(1)
	}
}

func run(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	inv, err := parse(data)
	if err != nil {
		return err
	}
	bs, err := expand(inv.Grants)
	if err != nil {
		return err
	}
	slices.SortFunc(bs, acl.Compare)
	bs = slices.Compact(bs)
	w := bufio.NewWriter(os.Stdout)
	w.WriteString("[")
	for i, b := range bs {
		if i > 0 {
			w.WriteString(",")
		}
		w.WriteString("\n  ")
		j, err := b.MarshalJSON() // encoding/json, the documented form
		if err != nil {
			return err
		}
		w.Write(j)
	}
	if len(bs) > 0 {
		w.WriteString("\n")
	}
	w.WriteString("]\n")
	return w.Flush()
}

// parse reads the inventory through yaml.v3's node tree: decoding the
// top-level mappings straight into Go maps would compare every key with
// every other (yaml.v3's duplicate key check is quadratic), which no plain
// program reading 50k topics would put up with.
func parse(data []byte) (*inventory, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("the inventory is not a mapping")
	}
	inv := &inventory{Principals: map[string]principal{}, Topics: map[string]topic{}}
	top := doc.Content[0].Content
	for i := 0; i+1 < len(top); i += 2 {
		v := top[i+1]
		var err error
		switch top[i].Value {
		case "principals":
			err = decodeMapping(v, inv.Principals)
		case "topics":
			err = decodeMapping(v, inv.Topics)
		case "grants":
			inv.Grants = make([]grant, len(v.Content))
			for j, gn := range v.Content {
				if err = gn.Decode(&inv.Grants[j]); err != nil {
					break
				}
			}
		}
		if err != nil {
			return nil, err
		}
	}
	return inv, nil
}

// decodeMapping decodes each value of mapping n into m under its key.
func decodeMapping[T any](n *yaml.Node, m map[string]T) error {
	for i := 0; i+1 < len(n.Content); i += 2 {
		var v T
		if err := n.Content[i+1].Decode(&v); err != nil {
			return err
		}
		m[n.Content[i].Value] = v
	}
	return nil
}

// expand multiplies the grants out by the built-in roles' entries.
func expand(grants []grant) ([]acl.Binding, error) {
	out := make([]acl.Binding, 0, 10*len(grants))
	for _, g := range grants {
		emit := func(rt acl.ResourceType, names []string, ops ...acl.Operation) {
			for _, n := range names {
				pt := acl.PatternLiteral
				if n != "*" && strings.HasSuffix(n, "*") {
					n, pt = strings.TrimSuffix(n, "*"), acl.PatternPrefixed
				}
				for _, op := range ops {
					out = append(out, acl.Binding{Principal: "User:" + g.Principal, Host: "*", ResourceType: rt, ResourceName: n, PatternType: pt, Operation: op, Permission: acl.PermAllow})
				}
			}
		}
		switch g.Role {
		case "producer":
			emit(acl.ResourceTopic, g.Topics, acl.OpWrite, acl.OpDescribe)
		case "consumer":
			emit(acl.ResourceTopic, g.Topics, acl.OpRead, acl.OpDescribe)
			emit(acl.ResourceGroup, g.Groups, acl.OpRead)
		case "streams-app":
			emit(acl.ResourceTopic, g.Inputs, acl.OpRead, acl.OpDescribe)
			emit(acl.ResourceTopic, g.Outputs, acl.OpWrite, acl.OpDescribe)
			emit(acl.ResourceTopic, []string{g.ApplicationID + "-*"}, acl.OpRead, acl.OpWrite, acl.OpCreate, acl.OpDelete, acl.OpDescribe, acl.OpDescribeConfigs)
			emit(acl.ResourceGroup, []string{g.ApplicationID}, acl.OpRead, acl.OpDescribe)
		default:
			return nil, fmt.Errorf("grant of %s: role %q is not one the floor expands", g.Principal, g.Role)
		}
	}
	return out, nil
}
