package acl

import "testing"

// Expected values are what Java's InetAddress.getByName(h).getHostAddress()
// returns (Inet6Address.numericToTextFormat: eight groups, Integer.toHexString,
// no compression; IPv4-mapped addresses become Inet4Address).
func TestNormalizeHostMatchesJavaGetHostAddress(t *testing.T) {
	for in, want := range map[string]string{
		"*":               "*",
		"10.0.0.7":        "10.0.0.7",
		"::1":             "0:0:0:0:0:0:0:1",
		"::":              "0:0:0:0:0:0:0:0",
		"2001:DB8::0a:FF": "2001:db8:0:0:0:0:a:ff",
		"2001:0db8:0000:0000:0000:ff00:0042:8329": "2001:db8:0:0:0:ff00:42:8329",
		"0:0:0:0:0:0:0:1":                         "0:0:0:0:0:0:0:1",
		"::ffff:10.1.2.3":                         "10.1.2.3",
		"::10.1.2.3":                              "0:0:0:0:0:0:a01:203",
		"fe80::1%eth0":                            "fe80:0:0:0:0:0:0:1%eth0",
		"fe80::1%2":                               "fe80:0:0:0:0:0:0:1%2",
	} {
		got, err := NormalizeHost(in)
		if err != nil || got != want {
			t.Errorf("NormalizeHost(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "localhost", "10.0.0.0/8", "1.2.3", "::1::", "01.2.3.4"} {
		if got, err := NormalizeHost(bad); err == nil {
			t.Errorf("NormalizeHost(%q) = %q, want an error", bad, got)
		}
	}
}

// A principal or host with a non-printable character is quoted in a plan
// line, so a newline cannot forge another line.
func TestBindingStringQuotesHostileNames(t *testing.T) {
	b := Binding{Principal: "User:x\n  + User:admin ALLOW ALL", Host: "*\x1b[1A", ResourceType: ResourceTopic, ResourceName: "t", PatternType: PatternLiteral, Operation: OpRead, Permission: PermAllow}
	got := b.String()
	want := `"User:x\n  + User:admin ALLOW ALL" ALLOW READ on LITERAL TOPIC "t" from host "*\x1b[1A"`
	if got != want {
		t.Fatalf("String() = %s\nwant       %s", got, want)
	}
}
