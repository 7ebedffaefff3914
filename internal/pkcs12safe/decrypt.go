package pkcs12safe

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"hash"
)

// The encrypted contents of a store hide their bags, among them possibly a
// shrouded key whose own iteration count is unknown until the contents are
// decrypted. go-pkcs12 gives no hook between the two steps, so the contents
// are decrypted here first, with exactly the algorithms go-pkcs12 decrypts
// (PKCS#12 PBE with 3DES, RC2-128 or RC2-40; PBES2 with PBKDF2 and AES-CBC),
// at an iteration count already checked.

var (
	oidPBEWithSHAAnd3KeyTripleDESCBC = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 3}
	oidPBEWithSHAAnd128BitRC2CBC     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 5}
	oidPBEWithSHAAnd40BitRC2CBC      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 6}
	oidHmacWithSHA1                  = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHmacWithSHA256                = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidHmacWithSHA512                = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}
	oidAES128CBC                     = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC                     = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC                     = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
)

var errCannotDecrypt = errors.New("cannot decrypt")

// decryptContents decrypts an EncryptedData's contents with password as
// go-pkcs12 would: PKCS#12 PBE keys come from the password as a
// zero-terminated BMPString (or, for an empty password and a store with a
// MAC, from no bytes at all, which go-pkcs12 falls back to when the MAC
// says so), PBES2 keys from its UTF-8. It fails when go-pkcs12 would fail
// too: an algorithm it does not decrypt, or a wrong password.
func decryptContents(alg pkix.AlgorithmIdentifier, data []byte, password string, hasMAC bool) ([]byte, error) {
	if alg.Algorithm.Equal(oidPBES2) {
		block, iv, err := pbes2Cipher(alg, password)
		if err != nil {
			return nil, err
		}
		return cbcUnpad(block, iv, data)
	}
	bmp, ok := bmpZeroTerminated(password)
	if !ok {
		return nil, errCannotDecrypt
	}
	passwords := [][]byte{bmp}
	if password == "" && hasMAC {
		passwords = append(passwords, nil)
	}
	for _, p := range passwords {
		block, iv, err := pbes1Cipher(alg, p)
		if err != nil {
			return nil, err
		}
		if plain, err := cbcUnpad(block, iv, data); err == nil {
			return plain, nil
		}
	}
	return nil, errCannotDecrypt
}

func pbes1Cipher(alg pkix.AlgorithmIdentifier, password []byte) (cipher.Block, []byte, error) {
	var params struct {
		Salt       []byte
		Iterations int
	}
	if _, err := asn1.Unmarshal(alg.Parameters.FullBytes, &params); err != nil {
		return nil, nil, errCannotDecrypt
	}
	derive := func(id byte, size int) []byte {
		return pkcs12KDF(password, params.Salt, params.Iterations, id, size)
	}
	switch {
	case alg.Algorithm.Equal(oidPBEWithSHAAnd3KeyTripleDESCBC):
		block, err := des.NewTripleDESCipher(derive(1, 24))
		return block, derive(2, 8), err
	case alg.Algorithm.Equal(oidPBEWithSHAAnd128BitRC2CBC):
		return newRC2Decrypter(derive(1, 16), 128), derive(2, 8), nil
	case alg.Algorithm.Equal(oidPBEWithSHAAnd40BitRC2CBC):
		return newRC2Decrypter(derive(1, 5), 40), derive(2, 8), nil
	}
	return nil, nil, errCannotDecrypt
}

func pbes2Cipher(alg pkix.AlgorithmIdentifier, password string) (cipher.Block, []byte, error) {
	var params pbes2Params
	var kdf pbkdf2Params
	if _, err := asn1.Unmarshal(alg.Parameters.FullBytes, &params); err != nil || !params.KDF.Algorithm.Equal(oidPBKDF2) {
		return nil, nil, errCannotDecrypt
	}
	if _, err := asn1.Unmarshal(params.KDF.Parameters.FullBytes, &kdf); err != nil || kdf.Salt.Tag != asn1.TagOctetString || !kdf.Iterations.IsInt64() {
		return nil, nil, errCannotDecrypt
	}
	prf := prfHash(kdf.PRF.Algorithm)
	keyLen := map[string]int{oidAES128CBC.String(): 16, oidAES192CBC.String(): 24, oidAES256CBC.String(): 32}[params.Scheme.Algorithm.String()]
	if prf == nil || keyLen == 0 {
		return nil, nil, errCannotDecrypt
	}
	key, err := pbkdf2.Key(prf, password, kdf.Salt.Bytes, int(kdf.Iterations.Int64()), keyLen)
	if err != nil {
		return nil, nil, errCannotDecrypt
	}
	block, err := aes.NewCipher(key)
	return block, params.Scheme.Parameters.Bytes, err
}

// prfHash is PBKDF2's pseudo-random function; none named means HMAC-SHA-1.
func prfHash(oid asn1.ObjectIdentifier) func() hash.Hash {
	switch {
	case len(oid) == 0, oid.Equal(oidHmacWithSHA1):
		return sha1.New
	case oid.Equal(oidHmacWithSHA256):
		return sha256.New
	case oid.Equal(oidHmacWithSHA512):
		return sha512.New
	}
	return nil
}

// cbcUnpad decrypts CBC data and removes its PKCS#7 padding.
func cbcUnpad(block cipher.Block, iv, data []byte) ([]byte, error) {
	bs := block.BlockSize()
	if len(iv) != bs || len(data) == 0 || len(data)%bs != 0 {
		return nil, errCannotDecrypt
	}
	plain := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, data)
	n := int(plain[len(plain)-1])
	if n == 0 || n > bs || !bytes.Equal(plain[len(plain)-n:], bytes.Repeat([]byte{byte(n)}, n)) {
		return nil, errCannotDecrypt
	}
	return plain[:len(plain)-n], nil
}

// bmpZeroTerminated is password as PKCS#12 wants it (RFC 7292 B.1): UCS-2
// big-endian with two zero bytes at the end; false when a character is
// outside the BMP (go-pkcs12 refuses such a password before reading).
func bmpZeroTerminated(password string) ([]byte, bool) {
	out := make([]byte, 0, 2*len(password)+2)
	for _, r := range password {
		if r > 0xffff {
			return nil, false
		}
		out = append(out, byte(r>>8), byte(r))
	}
	return append(out, 0, 0), true
}

// pkcs12KDF is RFC 7292 appendix B.2's key derivation with SHA-1 (u = 20,
// v = 64 bytes), the one PKCS#12 PBE uses: size bytes for purpose id (1: key,
// 2: IV, 3: MAC key).
func pkcs12KDF(password, salt []byte, iterations int, id byte, size int) []byte {
	const v = 64
	d := bytes.Repeat([]byte{id}, v)
	in := append(repeatTo(salt, v), repeatTo(password, v)...)
	out := make([]byte, 0, size+sha1.Size)
	for {
		a := sha1.Sum(append(d[:v:v], in...))
		for i := 1; i < iterations; i++ {
			a = sha1.Sum(a[:])
		}
		out = append(out, a[:]...)
		if len(out) >= size {
			return out[:size]
		}
		// I_j = (I_j + B + 1) mod 2^v for each v-byte block of I, B being
		// A repeated to v bytes.
		b := repeatTo(a[:], v)[:v]
		for j := 0; j < len(in); j += v {
			carry := 1
			for k := v - 1; k >= 0; k-- {
				sum := int(in[j+k]) + int(b[k]) + carry
				in[j+k], carry = byte(sum), sum>>8
			}
		}
	}
}

// repeatTo repeats p to the next multiple of v bytes (nothing for no p).
func repeatTo(p []byte, v int) []byte {
	if len(p) == 0 {
		return nil
	}
	out := make([]byte, v*((len(p)+v-1)/v))
	for i := range out {
		out[i] = p[i%len(p)]
	}
	return out
}
