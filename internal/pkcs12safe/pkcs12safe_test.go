package pkcs12safe

import (
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/kafkaguard/kafkaguard/internal/testutil"
)

func TestRC2DecryptsRFC2268Vectors(t *testing.T) {
	for _, tc := range []struct {
		key, plain, cipher string
		bits               int
	}{
		{"0000000000000000", "0000000000000000", "ebb773f993278eff", 63},
		{"ffffffffffffffff", "ffffffffffffffff", "278b27e42e2f0d49", 64},
		{"3000000000000000", "1000000000000001", "30649edf9be7d2c2", 64},
		{"88", "0000000000000000", "61a8a244adacccf0", 64},
		{"88bca90e90875a", "0000000000000000", "6ccf4308974c267f", 64},
		{"88bca90e90875a7f0f79c384627bafb2", "0000000000000000", "1a807d272bbe5db1", 64},
		{"88bca90e90875a7f0f79c384627bafb2", "0000000000000000", "2269552ab0f85ca6", 128},
	} {
		key, _ := hex.DecodeString(tc.key)
		ct, _ := hex.DecodeString(tc.cipher)
		got := make([]byte, 8)
		newRC2Decrypter(key, tc.bits).Decrypt(got, ct[:8])
		if hex.EncodeToString(got) != tc.plain {
			t.Errorf("key %s/%d bits: decrypt %s = %x, want %s", tc.key, tc.bits, tc.cipher, got, tc.plain)
		}
	}
}

func limitError(t *testing.T, err error) *LimitError {
	t.Helper()
	var le *LimitError
	if !errors.As(err, &le) {
		t.Fatalf("want a *LimitError, got %v", err)
	}
	return le
}

// Each count is read where Java reads it; the limit is Java's, inclusive.
func TestCheckRefusesEachCountOverJavasLimit(t *testing.T) {
	huge := int64(1<<31 - 1)
	for _, tc := range []struct {
		name string
		at   func(n int64) testutil.PKCS12Counts
		what string
	}{
		{"MAC", func(n int64) testutil.PKCS12Counts { return testutil.PKCS12Counts{MAC: n} }, "the MAC iteration count"},
		{"PBMAC1", func(n int64) testutil.PKCS12Counts { return testutil.PKCS12Counts{PBMAC1: n} }, "the MAC (PBMAC1) iteration count"},
		{"contents PBES2", func(n int64) testutil.PKCS12Counts { return testutil.PKCS12Counts{Contents: n} }, "the encrypted contents (certificates) iteration count"},
		{"contents PBE", func(n int64) testutil.PKCS12Counts { return testutil.PKCS12Counts{Contents: n, PBE: true} }, "the encrypted contents (certificates) iteration count"},
		{"key PBES2", func(n int64) testutil.PKCS12Counts { return testutil.PKCS12Counts{Key: n} }, "the private key (PKCS8ShroudedKeyBag) iteration count"},
		{"key PBE", func(n int64) testutil.PKCS12Counts { return testutil.PKCS12Counts{Key: n, PBE: true, MAC: 1} }, "the private key (PKCS8ShroudedKeyBag) iteration count"},
		{"contents in a UTF8String", func(n int64) testutil.PKCS12Counts {
			return testutil.PKCS12Counts{Contents: n, AuthSafeTag: asn1.TagUTF8String}
		}, "the encrypted contents (certificates) iteration count"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A password and no MAC: go-pkcs12 would stop before decrypting
			// anything, and so does Check (no 5,000,000-count decryption).
			if err := Check(testutil.PKCS12(t, tc.at(MaxIterations)), "x"); err != nil {
				t.Fatalf("at the limit: %v", err)
			}
			for _, n := range []int64{MaxIterations + 1, huge} {
				err := Check(testutil.PKCS12(t, tc.at(n)), "")
				le := limitError(t, err)
				want := tc.what + " " + big.NewInt(n).String() + " is over the limit of 5000000"
				if le.Value.Int64() != n || !strings.HasPrefix(err.Error(), want) {
					t.Errorf("count %d: %v, want %q", n, err, want)
				}
			}
		})
	}
}

// A count too large for an int is named as the file gives it.
func TestCheckNamesCountsBeyondInt64(t *testing.T) {
	big80 := new(big.Int).Lsh(big.NewInt(1), 80)
	err := Check(testutil.PKCS12(t, testutil.PKCS12Counts{HugeMAC: big80}), "")
	if le := limitError(t, err); le.Value.Cmp(big80) != 0 || !strings.Contains(err.Error(), "1208925819614629174706176") {
		t.Fatalf("got %v", err)
	}
}
