package inventory

import (
	"fmt"
	"strings"
	"testing"
)

// TestConcurrentBlocksErrorOrder: the large topics and grants blocks are
// walked at the same time as the rest, and the error reported is still the
// first in the file, whichever block comes first and whichever finishes
// first.
func TestConcurrentBlocksErrorOrder(t *testing.T) {
	const n = concurrentBlockNodes // entries: well over the size
	// block is a block of n entries, the one at bad written by bad's side.
	block := func(head string, bad int, entry func(i int, bad bool) string) string {
		var b strings.Builder
		b.WriteString(head)
		for i := range n {
			b.WriteString(entry(i, i == bad))
		}
		return b.String()
	}
	topics := func(bad int) string {
		return block("topics:\n", bad, func(i int, bad bool) string {
			if bad {
				return fmt.Sprintf("  t%d: {team: a, classification: secret}\n", i)
			}
			return fmt.Sprintf("  t%d: {team: a, classification: internal}\n", i)
		})
	}
	grants := func(bad int) string {
		return block("grants:\n", bad, func(i int, bad bool) string {
			if bad {
				return fmt.Sprintf("  - {principal: p, rolle: consumer, topics: [t%d]}\n", i)
			}
			return fmt.Sprintf("  - {principal: p, role: consumer, topics: [t%d]}\n", i)
		})
	}
	const principals = "principals:\n  p: {auth: mtls}\n"
	const badWaiver = "waivers:\n  - {rule: KG602}\n"
	topicErr, grantErr := "unknown classification \"secret\"", "unknown key \"rolle\""
	for _, c := range []struct {
		name, yaml, want string
	}{
		{"topics first", principals + topics(n-1) + grants(0), topicErr},
		{"grants first", principals + grants(n-1) + topics(0), grantErr},
		{"a later small block", principals + topics(n-1) + badWaiver, topicErr},
		{"an earlier small block", principals + badWaiver + topics(0) + grants(0), "waiver: "},
		{"a later duplicate key", principals + grants(n-1) + "principals: {}\n", grantErr},
		{"only the later block", principals + topics(-1) + grants(n-1), grantErr},
	} {
		_, err := Parse("big.yaml", []byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error with %q", c.name, err, c.want)
		}
	}
	inv, err := Parse("big.yaml", []byte(principals+topics(-1)+grants(-1)))
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Topics) != n || len(inv.Grants) != n || inv.Grants[n-1].Index != n-1 {
		t.Errorf("%d topics, %d grants", len(inv.Topics), len(inv.Grants))
	}
}
