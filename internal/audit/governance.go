package audit

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/plan"
	"github.com/kafkaguard/kafkaguard/internal/quotas"
	"github.com/kafkaguard/kafkaguard/internal/report"
	"github.com/kafkaguard/kafkaguard/inventory"
)

// Checks of this file.
const (
	CheckQuotaDrift = "quota-drift"
	CheckTopics     = "topic-governance"
)

// Finding IDs: KG7xx client quota drift, KG8xx topic governance.
const (
	KGQuotaMissing   = "KG701"
	KGQuotaDiffers   = "KG702"
	KGQuotaExtra     = "KG703"
	KGQuotaUnmanaged = "KG704"

	KGTopicMissing    = "KG801"
	KGTopicUndeclared = "KG802"
)

var governanceRules = []Rule{
	{KGQuotaMissing, CheckQuotaDrift, report.SeverityWarning, "client quota in the inventory is missing on the cluster"},
	{KGQuotaDiffers, CheckQuotaDrift, report.SeverityWarning, "client quota on the cluster differs from the inventory"},
	{KGQuotaExtra, CheckQuotaDrift, report.SeverityWarning, "client quota of a managed entity on the cluster is not in the inventory"},
	{KGQuotaUnmanaged, CheckQuotaDrift, report.SeverityInfo, "client quota outside kafkaguard's scope"},
	{KGTopicMissing, CheckTopics, report.SeverityWarning, "ACL names a LITERAL topic the cluster does not have"},
	{KGTopicUndeclared, CheckTopics, report.SeverityInfo, "topic on the cluster that the inventory does not declare"},
}

// QuotaReader reads the cluster's client quotas; *cluster.Client is one.
type QuotaReader interface {
	DescribeClientQuotas(ctx context.Context) ([]cluster.ClientQuota, error)
}

// TopicLister lists the cluster's topics and says which of some names do
// not exist; *cluster.Client is one.
type TopicLister interface {
	ListTopics(ctx context.Context) ([]cluster.TopicInfo, error)
	MissingTopics(ctx context.Context, names []string) ([]string, error)
}

// LiteralTopics are the LITERAL topic names (not "*") the sets' TOPIC
// bindings name, sorted, each once.
func LiteralTopics(sets ...acl.Set) []string {
	seen := map[string]bool{}
	var out []string
	for _, set := range sets {
		for _, b := range set.Bindings() {
			if b.ResourceType == acl.ResourceTopic && b.PatternType == acl.PatternLiteral && b.ResourceName != acl.Wildcard && !seen[b.ResourceName] {
				seen[b.ResourceName] = true
				out = append(out, b.ResourceName)
			}
		}
	}
	slices.Sort(out)
	return out
}

// CheckQuotas compares the cluster's quotas with the inventory's, as the
// quota section of a plan does: each change it would make is a finding.
func CheckQuotas(p quotas.Planner, actual []cluster.ClientQuota, applyCmd string) []report.Finding {
	sec := quotas.NewSection(p, actual)
	var out []report.Finding
	for _, c := range sec.Planned() {
		name := quotas.Name(c.Entity)
		switch c.Action {
		case plan.Add:
			out = append(out, finding(KGQuotaMissing, name,
				fmt.Sprintf("quota of %s (%s) is not set on the cluster", name, c.Detail()), "run '"+applyCmd+"'", c.Source))
		case plan.Update:
			out = append(out, finding(KGQuotaDiffers, name,
				fmt.Sprintf("quota of %s differs from the inventory: %s", name, c.Detail()), "run '"+applyCmd+"' (or update the inventory if the change was intended)", c.Source))
		default:
			out = append(out, finding(KGQuotaExtra, name,
				fmt.Sprintf("quota of %s on the cluster is not in the inventory: %s", name, c.Detail()), "declare it in the inventory, or run '"+applyCmd+"' to remove it", ""))
		}
	}
	for _, q := range sec.Unmanaged() {
		name := quotas.Name(q.Entity)
		out = append(out, finding(KGQuotaUnmanaged, name, fmt.Sprintf("quota of %s is outside kafkaguard's scope", name), "add the principal to managed.principals (or declare quotas) to manage it", ""))
	}
	return out
}

// CheckTopicGovernance reports the LITERAL topics that ACLs name (in the
// compiled policy or live) and the cluster says do not exist (missing), and
// the cluster's topics that no declared topic (name or prefix) covers;
// Kafka's internal topics are not reported.
func CheckTopicGovernance(topics []cluster.TopicInfo, missing []string, desired, live acl.Set, declared []inventory.Topic, sources map[acl.Binding]string) []report.Finding {
	gone := map[string]bool{}
	for _, m := range missing {
		gone[m] = true
	}
	var out []report.Finding
	seen := map[string]bool{}
	for _, set := range []acl.Set{desired, live} {
		for _, b := range set.Bindings() {
			if b.ResourceType != acl.ResourceTopic || b.PatternType != acl.PatternLiteral || !gone[b.ResourceName] || seen[b.ResourceName] {
				continue
			}
			seen[b.ResourceName] = true
			out = append(out, finding(KGTopicMissing, "Topic:"+b.ResourceName,
				fmt.Sprintf("ACLs name topic %s (e.g. %s), which the cluster does not have", b.ResourceName, b),
				"create the topic, or remove the grant if the topic is gone", sources[b]))
		}
	}
	for _, t := range topics {
		if t.Internal || declaredCovers(declared, t.Name) {
			continue
		}
		out = append(out, finding(KGTopicUndeclared, "Topic:"+t.Name,
			fmt.Sprintf("topic %s is on the cluster but the inventory does not declare it", t.Name),
			"declare it under topics: (with its team and classification), or delete it if unused", ""))
	}
	return out
}

func declaredCovers(declared []inventory.Topic, name string) bool {
	for _, t := range declared {
		base, pt := inventory.SplitName(t.Name)
		if base == name || (pt == acl.PatternPrefixed && strings.HasPrefix(name, base)) {
			return true
		}
	}
	return false
}
