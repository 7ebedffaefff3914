package policies

import (
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// The queries get no inter-query value cache because the one builtin of the
// library that would use it cannot: OPA declares strings.any_prefix_match
// CanSkipBctx and never passes it a BuiltinContext. Should that change, a
// configured cache (cache.ParseCachingConfig) would give it its tries.
func TestAnyPrefixMatchGetsNoBuiltinContext(t *testing.T) {
	if !ast.AnyPrefixMatch.CanSkipBctx {
		t.Error("OPA now passes strings.any_prefix_match a BuiltinContext: give the queries an inter-query value cache again (evalQuery)")
	}
}
