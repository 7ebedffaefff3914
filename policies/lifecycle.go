package policies

import (
	"fmt"
	"time"

	"github.com/kafkaguard/kafkaguard/inventory"
)

// ExpiryWarningDays is how many days ahead policy check, compile and audit
// warn that a grant or a waiver expires (KG655, KG657).
const ExpiryWarningDays = 14

// withoutExpiredGrants returns inv without the grants whose expires date is
// before now's date (a shallow copy; inv itself is not changed) and the
// grants it left out. Grant.Index is renumbered in the copy.
func withoutExpiredGrants(inv *inventory.Inventory, now time.Time) (*inventory.Inventory, []inventory.Grant) {
	var expired []inventory.Grant
	for _, g := range inv.Grants {
		if inventory.Expired(g.Expires, now) {
			expired = append(expired, g)
		}
	}
	if len(expired) == 0 {
		return inv, nil
	}
	cp := *inv
	cp.Grants = make([]inventory.Grant, 0, len(inv.Grants)-len(expired))
	for _, g := range inv.Grants {
		if !inventory.Expired(g.Expires, now) {
			g.Index = len(cp.Grants)
			cp.Grants = append(cp.Grants, g)
		}
	}
	return &cp, expired
}

// waiverEffective says why a waiver does not waive ("" when it does): it
// must be approved and not expired.
func waiverEffective(w inventory.Waiver, now time.Time) string {
	switch {
	case w.ApprovedBy == "":
		return "it has no approved_by"
	case inventory.Expired(w.Expires, now):
		return "it expired on " + w.Expires
	}
	return ""
}

// waives reports whether waiver w is about finding f: the same rule (ID or
// check) and the same principal or topic.
func waives(w inventory.Waiver, f Finding) bool {
	if w.Rule != f.ID && w.Rule != f.Check {
		return false
	}
	if w.Principal != "" {
		return f.Resource == "User:"+w.Principal
	}
	return f.Resource == "Topic:"+w.Topic || f.Topic == w.Topic
}

// applyWaivers splits findings into those that stand and those an
// effective waiver waives; a waived finding's message says which waiver
// waived it, who approved it and until when.
func applyWaivers(findings []Finding, waivers []inventory.Waiver, now time.Time) (kept, waived []Finding) {
	if len(waivers) == 0 {
		return findings, nil
	}
	kept = findings[:0:0]
	for _, f := range findings {
		var by *inventory.Waiver
		for i, w := range waivers {
			if waives(w, f) && waiverEffective(w, now) == "" {
				by = &waivers[i]
				break
			}
		}
		if by == nil {
			kept = append(kept, f)
			continue
		}
		f.Message = fmt.Sprintf("waived until %s by waiver %s (approved by %s: %s): %s", by.Expires, by.Source, by.ApprovedBy, by.Reason, f.Message)
		waived = append(waived, f)
	}
	return kept, waived
}
