package testutil

import (
	"fmt"
	"strings"
)

// HugeGrantInventory is the red team's inventory: one grant whose hosts and
// topics lists multiply out to hosts×topics bindings (2000×2000 is a 36 KB
// file that grew past 5 GB before the limits).
func HugeGrantInventory(hosts, topics int) string {
	var b strings.Builder
	b.WriteString("principals:\n  a: {auth: mtls}\ngrants:\n  - principal: a\n    role: consumer\n    hosts: [")
	for i := range hosts {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "10.%d.%d.1", i/250, i%250)
	}
	b.WriteString("]\n    topics: [")
	for i := range topics {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "t%d", i)
	}
	b.WriteString("]\n")
	return b.String()
}
