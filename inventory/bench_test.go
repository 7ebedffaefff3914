package inventory

import (
	"fmt"
	"strings"
	"testing"
)

// genYAML writes an inventory of principals and topics in teams of 20, with
// a producer and a consumer grant per principal.
func genYAML(principals, topics int) []byte {
	teams := max(principals/20, 1)
	per := max(topics/teams, 1)
	var b strings.Builder
	b.WriteString("cluster: {name: bench}\nprincipals:\n")
	for i := range principals {
		fmt.Fprintf(&b, "  svc-%06d: {auth: scram-sha-512, team: team%d}\n", i, i%teams)
	}
	b.WriteString("topics:\n")
	for i := range topics {
		fmt.Fprintf(&b, "  team%d.topic-%d: {team: team%d, classification: internal}\n", i%teams, (i/teams)%per, i%teams)
	}
	b.WriteString("grants:\n")
	for i := range principals {
		team, k := i%teams, i/teams
		fmt.Fprintf(&b, "  - {principal: svc-%06d, role: producer, topics: [team%d.topic-%d, team%d.topic-%d]}\n", i, team, (k*2)%per, team, (k*2+1)%per)
		fmt.Fprintf(&b, "  - {principal: svc-%06d, role: consumer, topics: [team%d.topic-%d], groups: [svc-%06d]}\n", i, (team+1)%teams, i%per, i)
	}
	return []byte(b.String())
}

// BenchmarkLoad10kPrincipals parses and validates a 10k principal, 50k topic
// inventory (about 6 MB of YAML; most of the time is yaml.v3's parser).
func BenchmarkLoad10kPrincipals(b *testing.B) {
	data := genYAML(10000, 50000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		inv, err := Parse("bench.yaml", data)
		if err != nil {
			b.Fatal(err)
		}
		if len(inv.Principals) != 10000 || len(inv.Topics) != 50000 {
			b.Fatalf("loaded %d principals, %d topics", len(inv.Principals), len(inv.Topics))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/load")
}
