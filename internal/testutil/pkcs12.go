package testutil

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"testing"
)

// PKCS12Counts describes a hand-built PKCS#12 file whose key derivations ask
// for the given iteration counts (0: that part is absent). Nothing but the
// counts is meant to be valid: the MAC digest and the visible ciphertexts are
// zeros, so a reader that checks the counts first refuses the file at once
// and one that does not spins, then fails.
type PKCS12Counts struct {
	MAC          int64    // the MacData's iterations (SHA-256 MAC)
	HugeMAC      *big.Int // a MAC count beyond int64 instead
	PBMAC1       int64    // a PBMAC1 MAC's PBKDF2 iterations instead (RFC 9579)
	PBMAC1KeyLen int64    // its PBKDF2 keyLength (0: 32)
	Contents     int64    // an EncryptedData's PBES2 iterations
	Key          int64    // a visible PKCS8ShroudedKeyBag's PBES2 iterations
	// HiddenKey puts a shrouded key with this count inside the
	// EncryptedData, encrypted for real with Password at Contents
	// iterations (keep Contents small).
	HiddenKey int64
	Password  string
	// SignPBMAC1 computes the PBMAC1 MAC for real with Password, so that a
	// reader gets past it (keep PBMAC1 small).
	SignPBMAC1 bool
	// PBE uses PKCS#12's pbeWithSHAAnd3-KeyTripleDES-CBC ({salt, iterations})
	// for the visible key and contents instead of PBES2.
	PBE bool
	IV  []byte // the PBES2 IV of the visible shrouded key (nil: 16 zero bytes)
	// AuthSafeTag wraps the authenticated safe in this universal tag
	// instead of an OCTET STRING (go-pkcs12 reads any).
	AuthSafeTag int
}

var (
	oidData          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidEncryptedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 6}
	oidShroudedKey   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 2}
	oidPBKDF2        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidPBES2         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBMAC1        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 14}
	oidHmacSHA256    = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidPBE3DES       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 3}
	oidAES256CBC     = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
	oidSHA256        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
)

type p12ContentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue // explicit [0]
}

type p12SafeBag struct {
	ID    asn1.ObjectIdentifier
	Value asn1.RawValue // explicit [0]
}

type p12EncryptedData struct {
	Version int
	Info    struct {
		ContentType asn1.ObjectIdentifier
		Algorithm   pkix.AlgorithmIdentifier
		Data        []byte `asn1:"tag:0"`
	}
}

type p12DigestInfo struct {
	Algorithm pkix.AlgorithmIdentifier
	Digest    []byte
}

type p12MacData struct {
	Mac        p12DigestInfo
	Salt       []byte
	Iterations *big.Int
}

type p12PBKDF2Params struct {
	Salt       []byte
	Iterations int64
	KeyLength  int64 `asn1:"optional"`
	PRF        pkix.AlgorithmIdentifier
}

// PKCS12 returns the DER of the file c describes.
func PKCS12(tb testing.TB, c PKCS12Counts) []byte {
	tb.Helper()
	der := func(v any) []byte {
		b, err := asn1.Marshal(v)
		if err != nil {
			tb.Fatal(err)
		}
		return b
	}
	explicit := func(b []byte) asn1.RawValue {
		return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: b}
	}
	raw := func(b []byte) asn1.RawValue { return asn1.RawValue{FullBytes: b} }
	pbes2 := func(iter int64, iv []byte) pkix.AlgorithmIdentifier {
		if iv == nil {
			iv = make([]byte, aes.BlockSize)
		}
		kdf := pkix.AlgorithmIdentifier{Algorithm: oidPBKDF2, Parameters: raw(der(p12PBKDF2Params{
			Salt: make([]byte, 16), Iterations: iter, PRF: pkix.AlgorithmIdentifier{Algorithm: oidHmacSHA256, Parameters: asn1.NullRawValue},
		}))}
		enc := pkix.AlgorithmIdentifier{Algorithm: oidAES256CBC, Parameters: raw(der(iv))}
		return pkix.AlgorithmIdentifier{Algorithm: oidPBES2, Parameters: raw(der([]pkix.AlgorithmIdentifier{kdf, enc}))}
	}
	visible := func(iter int64, iv []byte) pkix.AlgorithmIdentifier {
		if c.PBE {
			return pkix.AlgorithmIdentifier{Algorithm: oidPBE3DES, Parameters: raw(der(struct {
				Salt       []byte
				Iterations int64
			}{make([]byte, 8), iter}))}
		}
		return pbes2(iter, iv)
	}
	keyBag := func(alg pkix.AlgorithmIdentifier) p12SafeBag {
		info := der(struct {
			Algorithm pkix.AlgorithmIdentifier
			Data      []byte
		}{alg, make([]byte, 32)})
		return p12SafeBag{ID: oidShroudedKey, Value: explicit(info)}
	}
	var contents []p12ContentInfo
	if c.Key > 0 {
		bags := der([]p12SafeBag{keyBag(visible(c.Key, c.IV))})
		contents = append(contents, p12ContentInfo{oidData, explicit(der(bags))})
	}
	if c.Contents > 0 {
		ciphertext, alg := make([]byte, 32), visible(c.Contents, nil)
		if c.HiddenKey > 0 {
			alg = pbes2(c.Contents, nil)
			ciphertext = pbes2Encrypt(tb, der([]p12SafeBag{keyBag(pbes2(c.HiddenKey, nil))}), c.Password, c.Contents)
		}
		var ed p12EncryptedData
		ed.Info.ContentType, ed.Info.Algorithm, ed.Info.Data = oidData, alg, ciphertext
		contents = append(contents, p12ContentInfo{oidEncryptedData, explicit(der(ed))})
	}
	authSafeData := der(contents)
	authSafe := p12ContentInfo{oidData, explicit(der(authSafeData))}
	if c.AuthSafeTag != 0 {
		authSafe.Content = explicit(der(asn1.RawValue{Tag: c.AuthSafeTag, Bytes: authSafeData}))
	}
	digest := p12DigestInfo{pkix.AlgorithmIdentifier{Algorithm: oidSHA256, Parameters: asn1.NullRawValue}, make([]byte, 32)}
	switch {
	case c.PBMAC1 > 0:
		keyLen := c.PBMAC1KeyLen
		if keyLen == 0 {
			keyLen = 32
		}
		prf := pkix.AlgorithmIdentifier{Algorithm: oidHmacSHA256, Parameters: asn1.NullRawValue}
		kdf := pkix.AlgorithmIdentifier{Algorithm: oidPBKDF2, Parameters: raw(der(p12PBKDF2Params{
			Salt: make([]byte, 16), Iterations: c.PBMAC1, KeyLength: keyLen, PRF: prf,
		}))}
		digest.Algorithm = pkix.AlgorithmIdentifier{Algorithm: oidPBMAC1, Parameters: raw(der([]pkix.AlgorithmIdentifier{kdf, prf}))}
		if c.SignPBMAC1 {
			key, err := pbkdf2.Key(sha256.New, c.Password, make([]byte, 16), int(c.PBMAC1), int(keyLen))
			if err != nil {
				tb.Fatal(err)
			}
			m := hmac.New(sha256.New, key)
			m.Write(der(contents))
			digest.Digest = m.Sum(nil)
		}
		fallthrough
	case c.MAC > 0 || c.HugeMAC != nil:
		iter := big.NewInt(max(c.MAC, 1))
		if c.HugeMAC != nil {
			iter = c.HugeMAC
		}
		return der(struct {
			Version  int
			AuthSafe p12ContentInfo
			MacData  p12MacData
		}{3, authSafe, p12MacData{digest, []byte("NOT USED"), iter}})
	}
	return der(struct {
		Version  int
		AuthSafe p12ContentInfo
	}{3, authSafe})
}

// pbes2Encrypt encrypts plain as go-pkcs12 and Java decrypt PBES2 with
// PBKDF2-HMAC-SHA256 and AES-256-CBC, a zero salt and IV.
func pbes2Encrypt(tb testing.TB, plain []byte, password string, iter int64) []byte {
	key, err := pbkdf2.Key(sha256.New, password, make([]byte, 16), int(iter), 32)
	if err != nil {
		tb.Fatal(err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		tb.Fatal(err)
	}
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	for range pad {
		plain = append(plain, byte(pad))
	}
	out := make([]byte, len(plain))
	cipher.NewCBCEncrypter(block, make([]byte, aes.BlockSize)).CryptBlocks(out, plain)
	return out
}
