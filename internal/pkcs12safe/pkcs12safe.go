// Package pkcs12safe reads PKCS#12 key and trust stores through go-pkcs12
// after bounding the work they ask for: every password-based key
// derivation's iteration count is checked against Java's limit before any
// derivation runs, so a hostile store with a count of 2^31-1 fails at once
// instead of spinning for hours.
package pkcs12safe

import (
	"crypto/aes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"

	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

// MaxIterations is the largest iteration count read, Java's
// sun.security.pkcs12.PKCS12KeyStore MAX_ITERATION_COUNT: Java refuses a
// larger MAC count ("MAC iteration count too large"), encrypted-contents
// count ("cert PBE iteration count too large") and shrouded-key count ("key
// PBE iteration count too large"). Kafka's Java clients therefore cannot read
// such a store either.
const MaxIterations = 5_000_000

// maxPBMAC1KeyLen bounds a PBMAC1 MAC key (RFC 9579), whose length the file
// names and go-pkcs12 derives as asked: no HMAC go-pkcs12 computes (SHA-1,
// SHA-256, SHA-512) gains from a key longer than SHA-512's 64-byte output.
const maxPBMAC1KeyLen = 64

// LimitError is a store whose key derivation asks for more work than any
// store a real tool writes.
type LimitError struct {
	What  string   // the MAC, encrypted contents or a shrouded private key
	Kind  string   // "iteration count" or "key length"
	Value *big.Int // as the file gives it
	Limit int64
}

func (e *LimitError) Error() string {
	if e.Kind == "key length" {
		return fmt.Sprintf("%s asks for a %s-byte key, over the limit of %d bytes", e.What, e.Value, e.Limit)
	}
	return fmt.Sprintf("%s iteration count %s is over the limit of %d (Java's PKCS12 key store refuses it too)", e.What, e.Value, e.Limit)
}

// DecodeChain is pkcs12.DecodeChain (a key store: the private key, its
// certificate and the CA certificates) after Check.
func DecodeChain(data []byte, password string) (any, *x509.Certificate, []*x509.Certificate, error) {
	if err := check(data, password, 2, true); err != nil {
		return nil, nil, nil, err
	}
	return pkcs12.DecodeChain(data, password)
}

// DecodeTrustStore is pkcs12.DecodeTrustStore (a Java trust store) after
// Check.
func DecodeTrustStore(data []byte, password string) ([]*x509.Certificate, error) {
	// go-pkcs12 decrypts no key in a trust store: a key bag is an error.
	if err := check(data, password, 1, false); err != nil {
		return nil, err
	}
	return pkcs12.DecodeTrustStore(data, password)
}

// Check returns a *LimitError when a key derivation in the PKCS#12 file data
// asks for more than MaxIterations iterations (or a PBMAC1 key over 64
// bytes): the MAC's, each encrypted contents', each shrouded private key's,
// including the keys the encrypted contents hide, which are decrypted with
// password (at an already checked count) to see them. What does not parse is
// left for the decoder to refuse: Check only says no to work.
func Check(data []byte, password string) error {
	return check(data, password, 2, true)
}

// The structures go-pkcs12 reads, with each count a big.Int so that a count
// too large for an int is still named; a structure that parses with
// go-pkcs12's types parses with these.
type (
	pfxPDU struct {
		Version  *big.Int
		AuthSafe contentInfo
		MacData  macData `asn1:"optional"`
	}
	contentInfo struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue `asn1:"tag:0,explicit,optional"`
	}
	macData struct {
		Mac struct {
			Algorithm pkix.AlgorithmIdentifier
			Digest    asn1.RawValue
		}
		MacSalt    asn1.RawValue
		Iterations *big.Int `asn1:"optional"`
	}
	encryptedData struct {
		Version              *big.Int
		EncryptedContentInfo struct {
			ContentType      asn1.ObjectIdentifier
			Algorithm        pkix.AlgorithmIdentifier
			EncryptedContent []byte `asn1:"tag:0,optional"`
		}
	}
	safeBag struct {
		ID         asn1.ObjectIdentifier
		Value      asn1.RawValue `asn1:"tag:0,explicit"`
		Attributes asn1.RawValue `asn1:"optional"`
	}
	encryptedPrivateKeyInfo struct {
		Algorithm pkix.AlgorithmIdentifier
		Data      asn1.RawValue
	}
	// pbes2Params is PBES2's and PBMAC1's parameters: a KDF and a scheme
	// (PBES2's cipher, PBMAC1's MAC).
	pbes2Params struct {
		KDF    pkix.AlgorithmIdentifier
		Scheme pkix.AlgorithmIdentifier
	}
	pbkdf2Params struct {
		Salt       asn1.RawValue
		Iterations *big.Int
		KeyLength  *big.Int                 `asn1:"optional"`
		PRF        pkix.AlgorithmIdentifier `asn1:"optional"`
	}
	// pbeParams is PKCS#12 PBE's (and PKCS#5 PBES1's) parameters.
	pbeParams struct {
		Salt       asn1.RawValue
		Iterations *big.Int
	}
)

var (
	oidData                = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidEncryptedData       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 6}
	oidPKCS8ShroudedKeyBag = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 2}
	oidPBKDF2              = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidPBES2               = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBMAC1              = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 14}
)

// check walks data in go-pkcs12's order: the MAC, then each of the
// authenticated safe's contents (at most maxContents, as the decoder
// allows), their visible shrouded keys, and, with lookInside, the keys inside
// encrypted contents.
func check(data []byte, password string, maxContents int, lookInside bool) error {
	var pfx pfxPDU
	if _, err := asn1.Unmarshal(data, &pfx); err != nil {
		return nil
	}
	if err := checkMAC(&pfx.MacData); err != nil {
		return err
	}
	// go-pkcs12 takes the authenticated safe from whatever element the
	// content holds, not only an OCTET STRING.
	var authSafeData asn1.RawValue
	if _, err := asn1.Unmarshal(pfx.AuthSafe.Content.Bytes, &authSafeData); err != nil {
		return nil
	}
	var contents []contentInfo
	if _, err := asn1.Unmarshal(authSafeData.Bytes, &contents); err != nil {
		return nil
	}
	var encrypted []encryptedData
	for _, ci := range contents {
		switch {
		case ci.ContentType.Equal(oidData):
			var bags []byte
			if _, err := asn1.Unmarshal(ci.Content.Bytes, &bags); err == nil {
				if err := checkBags(bags); err != nil {
					return err
				}
			}
		case ci.ContentType.Equal(oidEncryptedData):
			var ed encryptedData
			if _, err := asn1.Unmarshal(ci.Content.Bytes, &ed); err != nil {
				continue
			}
			if err := checkAlgorithm("the encrypted contents (certificates)", ed.EncryptedContentInfo.Algorithm); err != nil {
				return err
			}
			encrypted = append(encrypted, ed)
		}
	}
	// go-pkcs12 refuses more contents than it expects before decrypting any,
	// and a store without a MAC opens only with no password.
	noMAC := len(pfx.MacData.Mac.Algorithm.Algorithm) == 0
	if !lookInside || len(contents) > maxContents || (noMAC && password != "") {
		return nil
	}
	for _, ed := range encrypted {
		info := ed.EncryptedContentInfo
		bags, err := decryptContents(info.Algorithm, info.EncryptedContent, password, !noMAC)
		if err != nil {
			continue // go-pkcs12 cannot decrypt them either
		}
		if err := checkBags(bags); err != nil {
			return err
		}
	}
	return nil
}

func checkMAC(mac *macData) error {
	if len(mac.Mac.Algorithm.Algorithm) == 0 {
		return nil
	}
	if mac.Mac.Algorithm.Algorithm.Equal(oidPBMAC1) {
		return checkAlgorithm("the MAC (PBMAC1)", mac.Mac.Algorithm)
	}
	if mac.Iterations != nil {
		return checkCount("the MAC", mac.Iterations)
	}
	return nil
}

// checkBags checks each shrouded key of a SafeContents.
func checkBags(der []byte) error {
	var bags []safeBag
	if _, err := asn1.Unmarshal(der, &bags); err != nil {
		return nil
	}
	for _, bag := range bags {
		if !bag.ID.Equal(oidPKCS8ShroudedKeyBag) {
			continue
		}
		var info encryptedPrivateKeyInfo
		if _, err := asn1.Unmarshal(bag.Value.Bytes, &info); err != nil {
			continue
		}
		if err := checkAlgorithm("the private key (PKCS8ShroudedKeyBag)", info.Algorithm); err != nil {
			return err
		}
	}
	return nil
}

// checkAlgorithm checks a password-based algorithm's parameters: PBES2's
// and PBMAC1's PBKDF2 count, or a PBE's {salt, iterations}.
func checkAlgorithm(what string, alg pkix.AlgorithmIdentifier) error {
	if alg.Algorithm.Equal(oidPBES2) || alg.Algorithm.Equal(oidPBMAC1) {
		var params pbes2Params
		var kdf pbkdf2Params
		if _, err := asn1.Unmarshal(alg.Parameters.FullBytes, &params); err != nil || !params.KDF.Algorithm.Equal(oidPBKDF2) {
			return nil
		}
		if _, err := asn1.Unmarshal(params.KDF.Parameters.FullBytes, &kdf); err != nil {
			return nil
		}
		if err := checkCount(what, kdf.Iterations); err != nil {
			return err
		}
		// go-pkcs12 hands the IV to crypto/cipher, which panics on a wrong
		// length.
		if iv := params.Scheme.Parameters.Bytes; alg.Algorithm.Equal(oidPBES2) && isAESCBC(params.Scheme.Algorithm) && len(iv) != aes.BlockSize {
			return fmt.Errorf("%s: the AES-CBC IV is %d bytes, not %d", what, len(iv), aes.BlockSize)
		}
		if alg.Algorithm.Equal(oidPBMAC1) && kdf.KeyLength != nil && kdf.KeyLength.Cmp(big.NewInt(maxPBMAC1KeyLen)) > 0 {
			return &LimitError{What: what, Kind: "key length", Value: kdf.KeyLength, Limit: maxPBMAC1KeyLen}
		}
		return nil
	}
	var params pbeParams
	if _, err := asn1.Unmarshal(alg.Parameters.FullBytes, &params); err != nil {
		return nil
	}
	return checkCount(what, params.Iterations)
}

func isAESCBC(oid asn1.ObjectIdentifier) bool {
	return oid.Equal(oidAES128CBC) || oid.Equal(oidAES192CBC) || oid.Equal(oidAES256CBC)
}

func checkCount(what string, n *big.Int) error {
	if n.Cmp(big.NewInt(MaxIterations)) > 0 {
		return &LimitError{What: what, Kind: "iteration count", Value: n, Limit: MaxIterations}
	}
	return nil
}
