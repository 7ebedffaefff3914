package pkcs12safe

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kafkaguard/kafkaguard/internal/testutil"
	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

const huge = 1<<31 - 1

// Without the check, each hostile file reaches the derivation whose count it
// inflates: with a small count, go-pkcs12 runs it and fails after it.
func TestHostileFilesReachGoPKCS12Derivations(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    testutil.PKCS12Counts
		err  string
	}{
		{"MAC", testutil.PKCS12Counts{MAC: 3, Contents: 3}, "decryption password incorrect"},
		{"PBMAC1", testutil.PKCS12Counts{PBMAC1: 3, Contents: 3}, "decryption password incorrect"},
		{"contents", testutil.PKCS12Counts{Contents: 3}, "decryption error"},
		{"key", testutil.PKCS12Counts{Key: 3}, "error decrypting PKCS#8 shrouded key bag"},
		{"hidden key", testutil.PKCS12Counts{Contents: 3, HiddenKey: 3}, "error decrypting PKCS#8 shrouded key bag"},
		{"hidden key behind a MAC", testutil.PKCS12Counts{PBMAC1: 3, SignPBMAC1: true, Password: "pw", Contents: 3, HiddenKey: 3}, "error decrypting PKCS#8 shrouded key bag"},
		{"contents in a UTF8String", testutil.PKCS12Counts{Contents: 3, AuthSafeTag: asn1.TagUTF8String}, "decryption error"},
	} {
		pw := tc.c.Password
		if _, _, _, err := pkcs12.DecodeChain(testutil.PKCS12(t, tc.c), pw); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: go-pkcs12 says %v, want %q", tc.name, err, tc.err)
		}
	}
}

// A shrouded key inside encrypted contents is seen by decrypting them, at
// their (checked) count, with the password go-pkcs12 would use.
func TestCheckFindsTheKeyEncryptedContentsHide(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    testutil.PKCS12Counts
	}{
		{"no MAC, no password", testutil.PKCS12Counts{Contents: 1000, HiddenKey: huge}},
		{"PBMAC1 and a password", testutil.PKCS12Counts{PBMAC1: 1000, SignPBMAC1: true, Password: "pw", Contents: 1000, HiddenKey: huge}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			der := testutil.PKCS12(t, tc.c)
			if err := Check(der, tc.c.Password); !errors.As(err, new(*LimitError)) {
				t.Fatalf("Check: %v", err) // DecodeChain would spin for hours
			}
			start := time.Now()
			_, _, _, err := DecodeChain(der, tc.c.Password)
			if le := limitError(t, err); le.What != "the private key (PKCS8ShroudedKeyBag)" || le.Value.Int64() != huge {
				t.Fatalf("got %v", err)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %s", d)
			}
			// A trust store never decrypts a key: nothing to look for.
			if _, err := DecodeTrustStore(der, tc.c.Password); errors.As(err, new(*LimitError)) {
				t.Errorf("trust store: %v", err)
			}
		})
	}
	// With the wrong password neither Check nor go-pkcs12 sees inside: the
	// MAC refuses the password first.
	der := testutil.PKCS12(t, testutil.PKCS12Counts{PBMAC1: 1000, SignPBMAC1: true, Password: "pw", Contents: 1000, HiddenKey: huge})
	if _, _, _, err := DecodeChain(der, "wrong"); !errors.Is(err, pkcs12.ErrIncorrectPassword) {
		t.Fatalf("wrong password: %v", err)
	}
}

// go-pkcs12 hands a PBES2 IV of any length to crypto/cipher, which panics.
func TestCheckRefusesAPBES2IVOfTheWrongLength(t *testing.T) {
	der := testutil.PKCS12(t, testutil.PKCS12Counts{Key: 3, IV: []byte{1, 2, 3}})
	func() {
		defer func() {
			if recover() == nil {
				t.Error("go-pkcs12 no longer panics on a 3-byte IV: the check may go")
			}
		}()
		_, _, _, _ = pkcs12.DecodeChain(der, "")
	}()
	_, _, _, err := DecodeChain(der, "")
	if err == nil || err.Error() != "the private key (PKCS8ShroudedKeyBag): the AES-CBC IV is 3 bytes, not 16" {
		t.Fatalf("got %v", err)
	}
}

func TestPBMAC1KeyLengthIsBounded(t *testing.T) {
	if err := Check(testutil.PKCS12(t, testutil.PKCS12Counts{PBMAC1: 1, PBMAC1KeyLen: 64}), "x"); err != nil {
		t.Fatal(err)
	}
	err := Check(testutil.PKCS12(t, testutil.PKCS12Counts{PBMAC1: 1, PBMAC1KeyLen: 1 << 30}), "x")
	if le := limitError(t, err); le.Kind != "key length" || err.Error() != "the MAC (PBMAC1) asks for a 1073741824-byte key, over the limit of 64 bytes" {
		t.Fatalf("got %v", err)
	}
}

func keyAndChain(t testing.TB) (any, *x509.Certificate, *x509.Certificate) {
	t.Helper()
	ca, caKey := testutil.Cert(t, &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}, nil, nil)
	leaf, key := testutil.Cert(t, &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}, ca, caKey)
	return key, leaf, ca
}

// encryptedBags decrypts each EncryptedData of der as Check does and counts
// the bags found, failing when one does not decrypt.
func encryptedBags(t *testing.T, der []byte, password string) int {
	t.Helper()
	var pfx pfxPDU
	var authSafe []byte
	var contents []contentInfo
	if _, err := asn1.Unmarshal(der, &pfx); err != nil {
		t.Fatal(err)
	}
	if _, err := asn1.Unmarshal(pfx.AuthSafe.Content.Bytes, &authSafe); err != nil {
		t.Fatal(err)
	}
	if _, err := asn1.Unmarshal(authSafe, &contents); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ci := range contents {
		if !ci.ContentType.Equal(oidEncryptedData) {
			continue
		}
		var ed encryptedData
		if _, err := asn1.Unmarshal(ci.Content.Bytes, &ed); err != nil {
			t.Fatal(err)
		}
		plain, err := decryptContents(ed.EncryptedContentInfo.Algorithm, ed.EncryptedContentInfo.EncryptedContent, password, len(pfx.MacData.Mac.Algorithm.Algorithm) > 0)
		if err != nil {
			t.Fatalf("%v: %v", ed.EncryptedContentInfo.Algorithm.Algorithm, err)
		}
		var bags []safeBag
		if _, err := asn1.Unmarshal(plain, &bags); err != nil {
			t.Fatal(err)
		}
		n += len(bags)
	}
	return n
}

// The decryption Check does matches go-pkcs12's for every algorithm its
// encoders write: RC2-40 (Legacy RC2), 3DES, PBES2/AES-256 with a SHA-256
// MAC or PBMAC1.
func TestDecryptContentsReadsGoPKCS12Stores(t *testing.T) {
	key, leaf, ca := keyAndChain(t)
	for name, enc := range map[string]*pkcs12.Encoder{
		"LegacyRC2": pkcs12.LegacyRC2, "LegacyDES": pkcs12.LegacyDES, "Modern2023": pkcs12.Modern2023, "Modern2026": pkcs12.Modern2026,
	} {
		for _, pw := range []string{"changeit", "", "pässwörd"} {
			der, err := enc.Encode(key, leaf, []*x509.Certificate{ca}, pw)
			if err != nil {
				t.Fatal(err)
			}
			if n := encryptedBags(t, der, pw); n != 2 {
				t.Errorf("%s %q: %d certificate bags decrypted, want 2", name, pw, n)
			}
			if _, got, cas, err := DecodeChain(der, pw); err != nil || !got.Equal(leaf) || len(cas) != 1 {
				t.Errorf("%s %q: DecodeChain: %v", name, pw, err)
			}
		}
	}
}

// storeLoads checks that the store at path decrypts as Check decrypts it
// (wantBags certificate bags) and loads.
func storeLoads(t *testing.T, name, path string, wantBags int) {
	t.Helper()
	der, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := encryptedBags(t, der, "changeit"); n != wantBags {
		t.Errorf("%s: %d certificate bags decrypted, want %d", name, n, wantBags)
	}
	if _, leaf, _, err := DecodeChain(der, "changeit"); err != nil || leaf.Subject.CommonName != "client" {
		t.Errorf("%s: DecodeChain: %v", name, err)
	}
}

// Stores the JDK's keytool writes, today's default (PBES2/AES-256 at 10,000
// iterations, HmacPBESHA256) and the legacy one (RC2-40 certificates, 3DES
// key, SHA-1 MAC), decrypt as Java decrypts them and load.
func TestKeytoolStoresLoad(t *testing.T) {
	keytool := testutil.NeedTool(t, "keytool")
	dir := t.TempDir()
	for name, jopts := range map[string][]string{
		"default": nil,
		"legacy":  {"-J-Dkeystore.pkcs12.legacy"},
	} {
		ks := filepath.Join(dir, name+".p12")
		args := append([]string{"-genkeypair", "-noprompt", "-alias", "client", "-keyalg", "EC", "-groupname", "secp256r1",
			"-dname", "CN=client", "-validity", "2", "-storetype", "PKCS12", "-keystore", ks, "-storepass", "changeit"}, jopts...)
		testutil.RunTool(t, keytool, args...)
		storeLoads(t, name, ks, 1)
	}
}

// OpenSSL's stores: its default (PBES2/AES-256-CBC, PBKDF2-HMAC-SHA256) and
// PBE-SHA1-3DES certificates, and RC2-40 with -legacy where the legacy
// provider is installed.
func TestOpenSSLStoresLoad(t *testing.T) {
	openssl := testutil.NeedTool(t, "openssl")
	dir := t.TempDir()
	testutil.RunTool(t, openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=client",
		"-days", "2", "-keyout", filepath.Join(dir, "key.pem"), "-out", filepath.Join(dir, "cert.pem"))
	for name, extra := range map[string][]string{
		"default":   nil,
		"3DES":      {"-certpbe", "PBE-SHA1-3DES", "-keypbe", "PBE-SHA1-3DES", "-macalg", "sha1"},
		"AES-128":   {"-certpbe", "AES-128-CBC", "-keypbe", "AES-192-CBC"},
		"legacyRC2": {"-legacy"},
	} {
		out := filepath.Join(dir, name+".p12")
		args := append([]string{"pkcs12", "-export", "-in", filepath.Join(dir, "cert.pem"), "-inkey", filepath.Join(dir, "key.pem"),
			"-out", out, "-passout", "pass:changeit"}, extra...)
		if o, err := exec.Command(openssl, args...).CombinedOutput(); err != nil {
			if name == "legacyRC2" {
				t.Logf("openssl -legacy: %v (no legacy provider?) %s", err, o)
				continue
			}
			t.Fatalf("%s: %v\n%s", name, err, o)
		}
		storeLoads(t, name, out, 1)
	}
}
