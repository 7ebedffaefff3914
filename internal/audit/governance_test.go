package audit

import (
	"strings"
	"testing"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/inventory"
)

func TestTopicGovernance(t *testing.T) {
	bind := func(name, pt string) acl.Binding {
		b, err := acl.FromStrings("User:app", "*", "TOPIC", name, pt, "READ", "ALLOW")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	desired := acl.NewSet(bind("orders.events", "LITERAL"), bind("gone.topic", "LITERAL"), bind("orders.", "PREFIXED"), bind("*", "LITERAL"))
	live := acl.NewSet(bind("live.only", "LITERAL"), bind("gone.topic", "LITERAL"))
	if got := strings.Join(LiteralTopics(desired, live), ","); got != "gone.topic,live.only,orders.events" {
		t.Errorf("literal topics = %s", got)
	}
	topics := []cluster.TopicInfo{
		{Name: "orders.events"}, {Name: "orders.audit"}, {Name: "payments.x"}, {Name: "__consumer_offsets", Internal: true},
	}
	declared := []inventory.Topic{{Name: "orders.events"}, {Name: "orders.*"}}
	fs := CheckTopicGovernance(topics, []string{"gone.topic", "live.only"}, desired, live, declared,
		map[acl.Binding]string{bind("gone.topic", "LITERAL"): "inv.yaml:7"})
	var got []string
	for _, f := range fs {
		got = append(got, f.ID+" "+f.Resource+" "+f.Location+" "+f.Severity.String())
	}
	want := []string{
		"KG801 Topic:gone.topic inv.yaml:7 warning",
		"KG801 Topic:live.only  warning",
		"KG802 Topic:payments.x  info",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
