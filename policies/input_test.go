package policies

import (
	"testing"
	"time"

	"github.com/kafkaguard/kafkaguard/inventory"
)

// TestInputGrantsInHalves: the input of an inventory whose grants are built
// in two halves at the same time is the input built in one pass, grant for
// grant and in order, with grants of every shape in both halves.
func TestInputGrantsInHalves(t *testing.T) {
	inv := genInventory(2000, 10000)
	if half := len(inv.Grants) / 2; half < splitGrants {
		t.Fatalf("%d grants: too few to be built in halves (%d each)", len(inv.Grants), splitGrants)
	}
	for i := 0; i < len(inv.Grants); i += 97 {
		g := &inv.Grants[i]
		switch i % 4 {
		case 0:
			g.Hosts = []string{"10.0.0.1", "10.0.0.2"}
		case 1:
			g.Hosts = []string{"10.0.0.9"}
			g.Permission = "DENY"
		case 2:
			g.Resource = &inventory.Resource{Type: "topic", Name: "orders"}
			g.Expires = "2031-01-01"
		case 3:
			g.Create, g.ExactlyOnce, g.Reason = true, true, "why"
		}
	}
	now := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	halves := inputValueAt(inv, now, nil)
	defer func(n int) { splitGrants = n }(splitGrants)
	splitGrants = len(inv.Grants)
	whole := inputValueAt(inv, now, nil)
	if halves.Compare(whole) != 0 {
		t.Fatalf("the input built in halves differs from the one built in one pass")
	}
}
