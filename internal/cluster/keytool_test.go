package cluster_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/devcluster"
	"github.com/kafkaguard/kafkaguard/internal/testutil"
	"github.com/kafkaguard/kafkaguard/internal/testutil/devtest"
)

// Stores made by the real JDK keytool (and openssl rehash), read the way Java
// and librdkafka read them, then used to connect to the dev cluster.

// propsWithTrust is the dev cluster's admin.properties with its truststore
// lines replaced by trust.
func propsWithTrust(t *testing.T, dc *devcluster.Cluster, trust ...string) string {
	t.Helper()
	data, err := os.ReadFile(dc.AdminProperties())
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(l, "ssl.truststore.") {
			lines = append(lines, l)
		}
	}
	lines = append(lines, trust...)
	path := filepath.Join(t.TempDir(), "client.properties")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func connect(t *testing.T, props string) error {
	t.Helper()
	cfg, err := cluster.LoadConfig("", props)
	if err != nil {
		return err
	}
	cl, err := cluster.Dial(context.Background(), cfg)
	if err != nil {
		return err
	}
	defer cl.Close()
	_, err = cl.DescribeACLs(context.Background())
	return err
}

func TestKeytoolStoresConnect(t *testing.T) {
	keytool := testutil.NeedTool(t, "keytool")
	dc := devtest.Start(context.Background(), t)
	dir := t.TempDir()
	importCA := func(store string, extra ...string) string {
		path := filepath.Join(dir, store)
		args := append([]string{"-importcert", "-noprompt", "-alias", "kafkaguard-ca", "-file", dc.CAPath(), "-keystore", path, "-storepass", "changeit"}, extra...)
		testutil.RunTool(t, keytool, args...)
		return path
	}
	magic := func(path string) []byte {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return data[:4]
	}

	t.Run("PKCS12 in a .jks name (Java 9+ keytool default)", func(t *testing.T) {
		path := importCA("truststore.jks")
		if m := magic(path); m[0] != 0x30 {
			t.Fatalf("keytool wrote %x, not PKCS12: the JDK is older than 9?", m)
		}
		for _, typ := range []string{"ssl.truststore.type=JKS", ""} {
			props := propsWithTrust(t, dc, typ, "ssl.truststore.location="+path, "ssl.truststore.password=changeit")
			if err := connect(t, props); err != nil {
				t.Errorf("%q: %v", typ, err)
			}
		}
		props := propsWithTrust(t, dc, "ssl.truststore.location="+path, "ssl.truststore.password=wrong")
		if err := connect(t, props); err == nil || !strings.Contains(err.Error(), "PKCS12 truststore") {
			t.Errorf("wrong password: err = %v", err)
		}
	})

	t.Run("JKS without a password", func(t *testing.T) {
		path := importCA("legacy.jks", "-storetype", "JKS")
		if m := magic(path); !bytes.Equal(m, []byte{0xFE, 0xED, 0xFE, 0xED}) {
			t.Fatalf("keytool wrote %x, not JKS", m)
		}
		// Kafka: no ssl.truststore.password, no integrity check.
		props := propsWithTrust(t, dc, "ssl.truststore.type=JKS", "ssl.truststore.location="+path)
		if err := connect(t, props); err != nil {
			t.Errorf("no password: %v", err)
		}
		// declared PKCS12 but JKS inside: Java's DualFormatPKCS12 reads it
		props = propsWithTrust(t, dc, "ssl.truststore.type=PKCS12", "ssl.truststore.location="+path, "ssl.truststore.password=changeit")
		if err := connect(t, props); err != nil {
			t.Errorf("type PKCS12, JKS file: %v", err)
		}
		// a password that is set is checked, as Java does
		props = propsWithTrust(t, dc, "ssl.truststore.location="+path, "ssl.truststore.password=wrong")
		if err := connect(t, props); err == nil || !strings.Contains(err.Error(), "wrong ssl.*store.password?") {
			t.Errorf("wrong password: err = %v", err)
		}
		// a tampered store without a password still yields only the real
		// certificates: a flipped byte in the certificate fails to parse
		data, _ := os.ReadFile(path)
		data[len(data)/2] ^= 0xFF
		bad := filepath.Join(dir, "tampered.jks")
		os.WriteFile(bad, data, 0o600)
		props = propsWithTrust(t, dc, "ssl.truststore.location="+bad)
		if err := connect(t, props); err == nil {
			t.Error("a tampered JKS truststore connected")
		}
	})

	t.Run("PKCS12 without a password", func(t *testing.T) {
		path := importCA("nopass.p12", "-storetype", "PKCS12",
			"-J-Dkeystore.pkcs12.certProtectionAlgorithm=NONE", "-J-Dkeystore.pkcs12.macAlgorithm=NONE")
		props := propsWithTrust(t, dc, "ssl.truststore.type=PKCS12", "ssl.truststore.location="+path)
		if err := connect(t, props); err != nil {
			t.Errorf("no password: %v", err)
		}
		// a password-protected PKCS12 with no password set says what to do
		protected := importCA("protected.p12", "-storetype", "PKCS12")
		props = propsWithTrust(t, dc, "ssl.truststore.location="+protected)
		if err := connect(t, props); err == nil || !strings.Contains(err.Error(), "no ssl.truststore.password is set") {
			t.Errorf("protected store, no password: err = %v", err)
		}
	})

	t.Run("keystore: PKCS12 in a .jks name", func(t *testing.T) {
		ks := filepath.Join(dir, "client.keystore.jks")
		testutil.RunTool(t, keytool, "-genkeypair", "-noprompt", "-alias", "client", "-keyalg", "EC", "-groupname", "secp256r1",
			"-dname", "CN=orders-api,OU=payments,O=acme", "-validity", "2", "-keystore", ks, "-storepass", "changeit")
		props := propsWithTrust(t, dc, "ssl.truststore.location="+dc.CAPath(), "ssl.truststore.type=PEM",
			"ssl.keystore.type=JKS", "ssl.keystore.location="+ks, "ssl.keystore.password=changeit", "ssl.key.password=changeit")
		cfg, err := cluster.LoadConfig("", props)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(cfg.TLS.Certificates); n != 1 {
			t.Fatalf("%d client certificates, want 1", n)
		}
	})
}

func TestCALocationDirectoryConnects(t *testing.T) {
	openssl := testutil.NeedTool(t, "openssl")
	dc := devtest.Start(context.Background(), t)
	dir := t.TempDir()
	ca, err := os.ReadFile(dc.CAPath())
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "kafkaguard-ca.pem"), ca, 0o644)
	os.WriteFile(filepath.Join(dir, "README"), []byte("not a certificate"), 0o644)
	librdkafka := func(loc string) string {
		return propsWithTrust(t, dc, "ssl.ca.location="+loc)
	}
	// OpenSSL looks a CA up by its subject hash: no hashed names, no CA.
	err = connect(t, librdkafka(dir))
	if err == nil || !strings.Contains(err.Error(), "openssl rehash") {
		t.Fatalf("unhashed directory: err = %v", err)
	}
	testutil.RunTool(t, openssl, "rehash", dir)
	if err := connect(t, librdkafka(dir)); err != nil {
		t.Errorf("hashed directory: %v", err)
	}
	// ssl.ca.location=probe takes the system's CA bundle, which does not
	// hold the dev CA: the handshake must fail on verification.
	if err := connect(t, librdkafka("probe")); err == nil {
		t.Error("probe: the dev cluster's certificate was trusted by the system CAs")
	}
}
