package main

import (
	"bufio"
	"fmt"
	"io"
)

// writeInventory writes the inventory policies' benchmarks generate
// (policies/bench_test.go genInventory) as YAML: teams of 20 principals,
// topics spread over the teams (5% restricted), and per principal a
// producer grant on five of its team's topics, a consumer grant on four
// topics of the next team with a group, every 10th principal a prefixed
// consumer grant on its team's prefix, and every 20th a streams app. About
// 20 bindings a principal.
func writeInventory(out io.Writer, principals, topics int) error {
	w := bufio.NewWriterSize(out, 1<<20)
	teams := max(principals/20, 1)
	perTeam := max(topics/teams, 1)
	topicName := func(team, i int) string { return fmt.Sprintf("team%d.topic-%d", team, i%perTeam) }
	fmt.Fprintf(w, "cluster: {name: bench}\nprincipals:\n")
	for i := range principals {
		fmt.Fprintf(w, "  svc-%06d: {auth: scram-sha-512, team: team%d}\n", i, i%teams)
	}
	fmt.Fprintf(w, "topics:\n")
	for i := range topics {
		team := i % teams
		c := "internal"
		if i%20 == 0 {
			c = "restricted"
		}
		fmt.Fprintf(w, "  %s: {team: team%d, classification: %s}\n", topicName(team, i/teams), team, c)
	}
	fmt.Fprintf(w, "grants:\n")
	for i := range principals {
		p := fmt.Sprintf("svc-%06d", i)
		team := i % teams
		next := (team + 1) % teams
		k := i / teams
		fmt.Fprintf(w, "  - {principal: %s, role: producer, topics: [%s, %s, %s, %s, %s]}\n", p,
			topicName(team, k*5), topicName(team, k*5+1), topicName(team, k*5+2), topicName(team, k*5+3), topicName(team, k*5+4))
		fmt.Fprintf(w, "  - {principal: %s, role: consumer, approved_by: bench, topics: [%s, %s, %s, %s], groups: [%s]}\n", p,
			topicName(next, i), topicName(next, i+1), topicName(next, i+2), topicName(next, i+3), p)
		if i%10 == 0 {
			fmt.Fprintf(w, "  - {principal: %s, role: consumer, topics: [\"team%d.*\"], groups: [%s-replay]}\n", p, team, p)
		}
		if i%20 == 0 {
			fmt.Fprintf(w, "  - {principal: %s, role: streams-app, application_id: %s-app, inputs: [%s], outputs: [%s]}\n", p, p,
				topicName(team, i+2), topicName(team, i+3))
		}
	}
	return w.Flush()
}
