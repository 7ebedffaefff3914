package inventory

import (
	"os"
	"testing"
)

// FuzzParse: any bytes are an inventory or an error, never a panic, and a
// parsed inventory stays within its limits.
func FuzzParse(f *testing.F) {
	if data, err := os.ReadFile("../testdata/inventory/design.yaml"); err == nil {
		f.Add(data)
	}
	f.Add([]byte("principals:\n  a: {auth: mtls, dn: \"CN=a\"}\ngrants:\n  - {principal: a, role: consumer, topics: [\"t*\"], hosts: [\"::1\"]}\n"))
	f.Add([]byte("a: &a [x, x]\nb: &b [*a, *a]\ngrants: [*b]\n"))
	f.Add([]byte("grants:\n  - &g {principal: a}\n  - *g\n"))
	f.Add([]byte("cluster: {name: \"x\\e[2K\"}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := Parse("f.yaml", data)
		if err != nil {
			return
		}
		var n int64
		for i := range inv.Grants {
			total, _, _, _ := grantBindings(&inv.Grants[i])
			n += total
		}
		if n > int64(inv.Limits.MaxBindings) {
			t.Fatalf("parsed an inventory of %d bindings over the limit %d", n, inv.Limits.MaxBindings)
		}
	})
}
