package pkcs12safe

import (
	"crypto/x509"
	"testing"

	"github.com/kafkaguard/kafkaguard/internal/testutil"
	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

// Check never panics on any bytes (the decoder after it is go-pkcs12's
// business, but what Check parses and decrypts itself must hold up).
func FuzzCheck(f *testing.F) {
	for _, c := range []testutil.PKCS12Counts{
		{MAC: 3, Contents: 3, Key: 3},
		{PBMAC1: 3, Contents: 3, PBE: true, Key: 3},
		{Contents: 3, HiddenKey: 3},
		{PBMAC1: 3, SignPBMAC1: true, Password: "pw", Contents: 3, HiddenKey: 3},
		{Key: 3, IV: []byte{1}},
	} {
		f.Add(testutil.PKCS12(f, c), c.Password)
	}
	key, leaf, ca := keyAndChain(f)
	for _, enc := range []*pkcs12.Encoder{pkcs12.LegacyRC2, pkcs12.Modern2023} {
		der, err := enc.Encode(key, leaf, []*x509.Certificate{ca}, "pw")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(der, "pw")
	}
	f.Fuzz(func(t *testing.T, data []byte, password string) {
		_ = Check(data, password)
	})
}
