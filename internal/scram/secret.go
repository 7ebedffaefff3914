package scram

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"unicode"
	"unicode/utf8"

	xscram "github.com/xdg-go/scram"
)

// PasswordBytes is the entropy of a generated password: 256 bits, written as
// 43 characters of URL-safe base64.
const PasswordBytes = 32

// SaltBytes is the length of a generated salt.
const SaltBytes = 32

// MinPasswordLength is the shortest password kafkaguard accepts from a file.
const MinPasswordLength = 12

// GeneratePassword returns a new random password from crypto/rand.
func GeneratePassword() (string, error) {
	b := make([]byte, PasswordBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate password: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// CheckPassword rejects passwords kafkaguard cannot store and hand to
// clients safely. The error never contains the password or a part of it.
func CheckPassword(pw string) error {
	switch {
	case pw == "":
		return errors.New("empty password")
	case !utf8.ValidString(pw):
		return errors.New("password is not valid UTF-8")
	case utf8.RuneCountInString(pw) < MinPasswordLength:
		return fmt.Errorf("password shorter than %d characters", MinPasswordLength)
	}
	for _, r := range pw {
		if unicode.IsControl(r) || unicode.IsSpace(r) || r == '"' || r == '\\' {
			return errors.New(`password contains a space, a control character, " or \ (not allowed in a JAAS config)`)
		}
	}
	return nil
}

// hashFor returns xdg-go/scram's hash generator for a Kafka mechanism.
func hashFor(mechanism string) (xscram.HashGeneratorFcn, error) {
	switch mechanism {
	case SHA256:
		return xscram.SHA256, nil
	case SHA512:
		return xscram.SHA512, nil
	}
	return nil, ValidateMechanism(mechanism)
}

// Credential is what the broker stores for a user and mechanism (KIP-554
// sends the salt and the salted password; the broker derives the rest).
type Credential struct {
	Mechanism      string
	Iterations     int
	Salt           []byte
	SaltedPassword []byte
}

// Derive salts password for mechanism with a fresh random salt:
// SaltedPassword = Hi(password, salt, iterations), RFC 5802's PBKDF2 with the
// mechanism's hash (xdg-go/scram's hash generators). The password is used as
// Kafka's clients use it: its UTF-8 bytes, without SASLprep.
func Derive(mechanism, password string, iterations int) (Credential, error) {
	salt := make([]byte, SaltBytes)
	if _, err := rand.Read(salt); err != nil {
		return Credential{}, fmt.Errorf("generate salt: %w", err)
	}
	return DeriveWithSalt(mechanism, password, salt, iterations)
}

// DeriveWithSalt is Derive with a given salt.
func DeriveWithSalt(mechanism, password string, salt []byte, iterations int) (Credential, error) {
	hg, err := hashFor(mechanism)
	if err != nil {
		return Credential{}, err
	}
	if err := ValidateIterations(iterations); err != nil {
		return Credential{}, err
	}
	size := hg().Size()
	sp, err := pbkdf2.Key(func() hash.Hash { return hg() }, password, salt, iterations, size)
	if err != nil {
		return Credential{}, fmt.Errorf("derive %s credential: %w", mechanism, err)
	}
	return Credential{Mechanism: mechanism, Iterations: iterations, Salt: salt, SaltedPassword: sp}, nil
}

// StoredKeys returns the StoredKey and ServerKey a broker keeps for password
// with this credential's salt and iterations, computed by xdg-go/scram's
// client. Tests use it to check Derive against an independent implementation.
func StoredKeys(mechanism, password string, salt []byte, iterations int) (storedKey, serverKey []byte, err error) {
	hg, err := hashFor(mechanism)
	if err != nil {
		return nil, nil, err
	}
	cl, err := hg.NewClientUnprepped("", password, "")
	if err != nil {
		return nil, nil, fmt.Errorf("scram client: %w", err)
	}
	sc, err := cl.GetStoredCredentialsWithError(xscram.KeyFactors{Salt: string(salt), Iters: iterations})
	if err != nil {
		return nil, nil, fmt.Errorf("scram stored credentials: %w", err)
	}
	return sc.StoredKey, sc.ServerKey, nil
}
