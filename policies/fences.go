package policies

import (
	"slices"
	"strings"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/inventory"
)

// streamsFences keeps Kafka Streams applications out of each other's
// internal topics and transactional ids. Kafka Streams names them
// "<application.id>-...", so the PREFIXED "fraud-" ACLs of application fraud
// also match "fraud-scorer-..." of application fraud-scorer. For every such
// pair of streams-app grants with different principals, the first grant's
// principal gets DENY bindings on the second's PREFIXED "<id>-" topics and
// transactional ids (DENY wins in Kafka), so each app reaches its own
// internal names only. The bindings' provenance is the first grant.
// Guardrail KG654 warns about the overlap as well.
func streamsFences(inv *inventory.Inventory, prov map[acl.Binding][]Provenance) []acl.Binding {
	var apps []inventory.Grant
	for _, g := range inv.Grants {
		if g.Role == "streams-app" && g.ApplicationID != "" && g.Permission == "ALLOW" && g.Principal != acl.Wildcard {
			apps = append(apps, g)
		}
	}
	slices.SortStableFunc(apps, func(a, b inventory.Grant) int { return strings.Compare(a.ApplicationID, b.ApplicationID) })
	var out []acl.Binding
	for i, a := range apps {
		prefix := a.ApplicationID + "-"
		p := grantProvenance(a.Source, a.Role)
		// Application ids that start with a's sort right after it.
		for _, b := range apps[i+1:] {
			if !strings.HasPrefix(b.ApplicationID, a.ApplicationID) {
				break
			}
			if !strings.HasPrefix(b.ApplicationID, prefix) || b.Principal == a.Principal {
				continue
			}
			fence := func(rt acl.ResourceType, ops ...acl.Operation) {
				for _, op := range ops {
					for _, h := range a.Hosts {
						bd := acl.Binding{Principal: "User:" + a.Principal, Host: h, ResourceType: rt, ResourceName: b.ApplicationID + "-",
							PatternType: acl.PatternPrefixed, Operation: op, Permission: acl.PermDeny}
						if prov != nil && !slices.Contains(prov[bd], p) {
							prov[bd] = append(prov[bd], p)
						}
						out = append(out, bd)
					}
				}
			}
			fence(acl.ResourceTopic, acl.OpRead, acl.OpWrite, acl.OpCreate, acl.OpDelete, acl.OpDescribe, acl.OpDescribeConfigs)
			fence(acl.ResourceTransactionalID, acl.OpWrite, acl.OpDescribe)
		}
	}
	return out
}
