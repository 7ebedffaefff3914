package cli

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/internal/app"
	"github.com/kafkaguard/kafkaguard/internal/devcluster"
	"github.com/kafkaguard/kafkaguard/internal/importer"
	"github.com/kafkaguard/kafkaguard/internal/testutil/devtest"
)

// fleet is n bindings as a large cluster holds them: per application a
// producer (with create), a consumer of the previous app's topic with its
// group, a prefixed read, and every tenth app a DENY and a host-specific
// grant.
func fleet(n int) []acl.Binding {
	var out []acl.Binding
	add := func(p, host string, rt acl.ResourceType, name string, pt acl.PatternType, perm acl.Permission, ops ...acl.Operation) {
		for _, op := range ops {
			out = append(out, acl.Binding{Principal: p, Host: host, ResourceType: rt, ResourceName: name, PatternType: pt, Operation: op, Permission: perm})
		}
	}
	for i := 0; len(out) < n; i++ {
		p := fmt.Sprintf("User:app-%05d", i)
		add(p, "*", acl.ResourceTopic, fmt.Sprintf("t.%05d", i), acl.PatternLiteral, acl.PermAllow, acl.OpWrite, acl.OpDescribe, acl.OpCreate)
		add(p, "*", acl.ResourceTopic, fmt.Sprintf("t.%05d", i+1), acl.PatternLiteral, acl.PermAllow, acl.OpRead, acl.OpDescribe)
		add(p, "*", acl.ResourceGroup, fmt.Sprintf("g-%05d", i), acl.PatternLiteral, acl.PermAllow, acl.OpRead)
		add(p, "*", acl.ResourceTopic, fmt.Sprintf("shared.%d.", i%50), acl.PatternPrefixed, acl.PermAllow, acl.OpDescribeConfigs)
		if i%10 == 0 {
			add(p, "*", acl.ResourceTopic, "secret", acl.PatternLiteral, acl.PermDeny, acl.OpRead)
			add(p, fmt.Sprintf("10.1.%d.%d", i%250, i%200+1), acl.ResourceTopic, "audit", acl.PatternLiteral, acl.PermAllow, acl.OpRead)
		}
	}
	return out[:n]
}

// BenchmarkImportFromCluster100kACLs imports a dev cluster holding 100,000
// ACLs: one DescribeAcls and one DescribeUserScramCredentials request, role
// inference, and the compile-back that proves the round trip. Most of the
// benchmark's wall time is the setup (kfake seeds ACLs quadratically).
func BenchmarkImportFromCluster100kACLs(b *testing.B) {
	if testing.Short() {
		b.Skip("loading 100k ACLs into kfake takes about two minutes")
	}
	const n = 100_000
	ctx := context.Background()
	dc, err := devcluster.Start(ctx, devcluster.Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer dc.Close()
	client := devtest.DialAdmin(ctx, b, dc)
	defer client.Close()
	for _, r := range client.CreateACLs(ctx, fleet(n)) {
		if r.Err != nil {
			b.Fatal(r.Err)
		}
	}
	describes := countRequests(dc, kmsg.DescribeACLs)
	// How much of an import is the cluster answering (kfake filters its
	// flat ACL list slowly; a real broker answers from its cache).
	describeStart := time.Now()
	if _, err := client.DescribeACLs(ctx); err != nil {
		b.Fatal(err)
	}
	describeTime := time.Since(describeStart)
	describes.Store(0)
	var grants int
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		res, err := app.Import(ctx, client, importer.Options{From: "cluster"})
		if err != nil {
			b.Fatal(err)
		}
		if res.Compiled.ACLs.Len() != n {
			b.Fatalf("imported %d bindings, want %d", res.Compiled.ACLs.Len(), n)
		}
		grants = len(res.Inventory.Grants)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(elapsed.Milliseconds())/float64(b.N), "import-ms")
	b.ReportMetric(float64(describes.Load())/float64(b.N), "describe-requests/import")
	b.ReportMetric(float64(grants), "grants")
	b.ReportMetric(float64(describeTime.Milliseconds()), "describe-acls-ms")
}
