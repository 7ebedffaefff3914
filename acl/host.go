package acl

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// NormalizeHost writes an ACL host as the broker compares it: Kafka matches a
// binding's host against the client's InetAddress.getHostAddress() as
// strings, so "::1" in a binding never matches a client at ::1, whose
// address the broker spells "0:0:0:0:0:0:0:1". The form is Java's:
//
//   - IPv4: dotted decimal ("10.0.0.7");
//   - IPv4-mapped IPv6 (::ffff:a.b.c.d): the IPv4 address, as Java's
//     InetAddress.getByName returns an Inet4Address for it;
//   - other IPv6: all eight groups, lowercase hex without leading zeros and
//     without "::" compression (Inet6Address.numericToTextFormat), then
//     "%" and the scope (zone) as written, if any;
//   - "*" stays "*".
//
// Anything else (names, CIDRs) is an error: Kafka ACLs match addresses only.
func NormalizeHost(h string) (string, error) {
	if h == Wildcard {
		return h, nil
	}
	a, err := netip.ParseAddr(h)
	if err != nil {
		return "", fmt.Errorf("host %q is not an IP address or \"*\" (Kafka ACLs match client IP addresses, not names or CIDRs)", h)
	}
	if a.Is4In6() && a.Zone() == "" {
		a = a.Unmap()
	}
	if a.Is4() {
		return a.String(), nil
	}
	b := a.As16()
	var s strings.Builder
	for i := 0; i < 16; i += 2 {
		if i > 0 {
			s.WriteByte(':')
		}
		s.WriteString(strconv.FormatUint(uint64(b[i])<<8|uint64(b[i+1]), 16))
	}
	if z := a.Zone(); z != "" {
		s.WriteString("%" + z)
	}
	return s.String(), nil
}
