package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kafkaguard/kafkaguard/internal/testutil"
)

// A key or trust store from client properties whose key derivation asks for
// 2^31-1 iterations (hours of CPU) fails at once with exit 1, naming the
// file and the count, as Java's PKCS12KeyStore refuses it (its limit,
// 5,000,000, is allowed).
func TestHostilePKCS12IterationCountsExit1Fast(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	inv := write("inventory.yaml", []byte("principals:\n  alice: {auth: scram-sha-512, team: a}\n"))
	for _, tc := range []struct {
		name, props, want string
	}{
		{"keystore MAC", "ssl.keystore.type=PKCS12\nssl.keystore.location=" + write("mac.p12", testutil.PKCS12(t, testutil.PKCS12Counts{MAC: 1<<31 - 1, Contents: 2048})) + "\nssl.keystore.password=changeit\n",
			"client.properties:4: ssl.keystore.location: PKCS12 keystore " + dir + "/mac.p12: the MAC iteration count 2147483647 is over the limit of 5000000 (Java's PKCS12 key store refuses it too)"},
		{"keystore hidden key", "ssl.keystore.location=" + write("hidden.p12", testutil.PKCS12(t, testutil.PKCS12Counts{Contents: 1000, HiddenKey: 1<<31 - 1})) + "\nssl.keystore.password=\n",
			"client.properties:3: ssl.keystore.location: PKCS12 keystore " + dir + "/hidden.p12: the private key (PKCS8ShroudedKeyBag) iteration count 2147483647 is over the limit of 5000000"},
		{"truststore contents", "ssl.truststore.location=" + write("trust.p12", testutil.PKCS12(t, testutil.PKCS12Counts{MAC: 2048, Contents: 5_000_001})) + "\nssl.truststore.password=changeit\n",
			"client.properties:3: ssl.truststore.location: PKCS12 truststore " + dir + "/trust.p12: the encrypted contents (certificates) iteration count 5000001 is over the limit of 5000000"},
	} {
		props := write("client.properties", []byte("bootstrap.servers=127.0.0.1:1\nsecurity.protocol=SSL\n"+tc.props))
		start := time.Now()
		code, stdout, stderr := runMain(t, "plan", "-f", inv, "--command-config", props)
		if code != ExitError || stdout != "" || !strings.HasPrefix(stderr, "kafkaguard: error: "+dir+"/"+tc.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", tc.name, code, stdout, stderr)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s took %s", tc.name, d)
		}
	}
	// At the limit the store is read as Java reads it: here its MAC (zeros)
	// then says the password is wrong.
	props := write("client.properties", []byte("bootstrap.servers=127.0.0.1:1\nsecurity.protocol=SSL\nssl.keystore.location="+
		write("limit.p12", testutil.PKCS12(t, testutil.PKCS12Counts{MAC: 5_000_000, Contents: 2048}))+"\nssl.keystore.password=changeit\n"))
	code, _, stderr := runMain(t, "plan", "-f", inv, "--command-config", props)
	if code != ExitError || !strings.Contains(stderr, "limit.p12: pkcs12: decryption password incorrect") {
		t.Errorf("at the limit: exit %d, %q", code, stderr)
	}
}
