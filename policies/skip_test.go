package policies

import (
	"context"
	"testing"
)

// What a command skips is left out only where it could not have been
// printed: provenance always, the warn rules only while they could produce
// no expiry warning, waived finding or user warning.
func TestCompileSkipping(t *testing.T) {
	ctx := context.Background()
	e, err := Load(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Both grants warn (KG653: the prefix matches no declared topic); the
	// second only expires soon.
	plain := "principals:\n  a: {auth: mtls}\ngrants:\n  - {principal: a, role: producer, topics: [t, \"x.*\"]}\n"
	expiring := plain + "  - {principal: a, role: consumer, topics: [t], groups: [g], expires: \"2999-01-01\"}\n"
	waived := plain + "waivers:\n  - {rule: KG653, principal: a, reason: r, approved_by: b, expires: \"2999-01-01\"}\n"
	for _, tc := range []struct {
		name, inv  string
		skipsWarns bool
	}{
		{"no expiry, no waiver", plain, true},
		{"a grant with an expires date", expiring, false},
		{"a waiver", waived, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv := parseInv(t, tc.inv)
			full, err := e.Compile(ctx, inv)
			if err != nil {
				t.Fatal(err)
			}
			if full.Provenance == nil || len(full.Warn)+len(full.Info) == 0 {
				t.Fatalf("the full compile has no provenance or no warnings: %+v", full)
			}
			got, err := e.CompileSkipping(ctx, inv, Skip{Provenance: true, Warnings: true})
			if err != nil {
				t.Fatal(err)
			}
			if !got.ACLs.Equal(full.ACLs) || len(got.Deny) != len(full.Deny) {
				t.Errorf("skipping changed the bindings or the denies")
			}
			if got.Provenance != nil {
				t.Errorf("provenance built though skipped")
			}
			wantWarn, wantInfo := len(full.Warn), len(full.Info)
			if tc.skipsWarns {
				wantWarn, wantInfo = 0, 0
			}
			if len(got.Warn) != wantWarn || len(got.Info) != wantInfo {
				t.Errorf("warn/info = %d/%d, want %d/%d", len(got.Warn), len(got.Info), wantWarn, wantInfo)
			}
		})
	}
	// A user warn rule is printed by nobody that skips warnings, but its
	// findings may carry any id: it is evaluated.
	eu, err := Load(ctx, Options{PolicyDirs: []string{"../testdata/policies/acme"}})
	if err != nil {
		t.Fatal(err)
	}
	inv := parseInv(t, plain)
	full, err := eu.Compile(ctx, inv)
	if err != nil {
		t.Fatal(err)
	}
	got, err := eu.CompileSkipping(ctx, inv, Skip{Warnings: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Warn) != len(full.Warn) || got.Provenance == nil {
		t.Errorf("with user warn rules: warn = %d, want %d", len(got.Warn), len(full.Warn))
	}
}
