package cluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStoreFormatSniffsLikeJava(t *testing.T) {
	jks := []byte{0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2}
	p12 := []byte{0x30, 0x82, 0x01, 0x00}
	pemText := []byte("-----BEGIN CERTIFICATE-----\n")
	for _, tc := range []struct {
		declared string
		data     []byte
		want     string
		err      string
	}{
		{"JKS", p12, "PKCS12", ""},
		{"", p12, "PKCS12", ""},
		{"PKCS12", jks, "JKS", ""},
		{"P12", jks, "JKS", ""},
		{"", jks, "JKS", ""},
		{"", pemText, "PEM", ""},
		{"PEM", jks, "PEM", ""},
		{"JKS", pemText, "", "set the type to PEM"},
		{"JKS", []byte{0xCE, 0xCE, 0xCE, 0xCE}, "", "JCEKS"},
		{"JKS", []byte("hello"), "", "neither JKS, PKCS12 nor PEM"},
		{"", nil, "", "neither"},
		{"BCFKS", jks, "", `unsupported store type "BCFKS"`},
	} {
		got, err := storeFormat(tc.declared, tc.data)
		if got != tc.want || (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("storeFormat(%q, % x) = %q, %v; want %q, %q", tc.declared, tc.data, got, err, tc.want, tc.err)
		}
	}
}

func TestCAProbeTakesTheFirstLocationThatLoads(t *testing.T) {
	dir := t.TempDir()
	ca, err := os.ReadFile("../../testdata/properties/ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.pem")
	os.WriteFile(empty, []byte("no certificates here\n"), 0o644)
	bundle := filepath.Join(dir, "bundle.pem")
	os.WriteFile(bundle, ca, 0o644)
	l := &loader{source: "client.properties"}
	pool, err := caLocation(l, "ssl.ca.location", "probe", []string{filepath.Join(dir, "missing.crt"), empty, bundle})
	if err != nil || pool == nil {
		t.Fatalf("probe: %v, %v", pool, err)
	}
	want := pemCerts(ca)
	if len(want) == 0 || !pool.Equal(certPool(want)) {
		t.Errorf("probe loaded another pool than %s", bundle)
	}
	// Nothing found: the system roots (nil), as librdkafka falls back to
	// OpenSSL's default paths.
	pool, err = caLocation(l, "ssl.ca.location", "probe", []string{filepath.Join(dir, "missing.crt")})
	if err != nil || pool != nil {
		t.Errorf("probe with nothing found: %v, %v; want the system pool", pool, err)
	}
	// The real list starts with librdkafka's first path.
	if p := caProbePaths(); p[0] != "/etc/pki/tls/certs/ca-bundle.crt" || len(p) < 17 {
		t.Errorf("caProbePaths = %v", p)
	}
}
