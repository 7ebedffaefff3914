package cli

import (
	ucli "github.com/urfave/cli/v2"

	"github.com/kafkaguard/kafkaguard/inventory"
)

// limitFlags are the global flags that raise the inventory limits (see
// docs/security.md); an inventory over one fails fast, naming the flag.
func limitFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.Int64Flag{Name: "max-inventory-bytes", Value: inventory.DefaultMaxBytes, Usage: "refuse inventory files larger than this in total", EnvVars: envVars("max-inventory-bytes")},
		&ucli.IntFlag{Name: "max-yaml-nodes", Value: inventory.DefaultMaxNodes, Usage: "refuse an inventory file with more YAML nodes than this, aliases expanded", EnvVars: envVars("max-yaml-nodes")},
		&ucli.IntFlag{Name: "max-grant-bindings", Value: inventory.DefaultMaxGrantBindings, Usage: "refuse a grant producing more ACL bindings than this", EnvVars: envVars("max-grant-bindings")},
		&ucli.IntFlag{Name: "max-bindings", Value: inventory.DefaultMaxBindings, Usage: "refuse an inventory producing more ACL bindings than this", EnvVars: envVars("max-bindings")},
	}
}

// inventoryLimits are the limits the global flags set.
func inventoryLimits(c *ucli.Context) inventory.Limits {
	return inventory.Limits{
		MaxBytes:         c.Int64("max-inventory-bytes"),
		MaxNodes:         c.Int("max-yaml-nodes"),
		MaxGrantBindings: c.Int("max-grant-bindings"),
		MaxBindings:      c.Int("max-bindings"),
	}
}
