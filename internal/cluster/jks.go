package cluster

import (
	"encoding/binary"
	"fmt"

	"github.com/kafkaguard/kafkaguard/internal/fsutil"
)

// maxStoreBytes bounds a key or trust store, certificate or key file: real
// ones are a few KB, a CA bundle a few hundred.
const maxStoreBytes = 16 << 20

// readStore reads a key or trust store (or a PEM certificate, key or CA
// file), refusing files too large to be one before reading them.
func readStore(path string) ([]byte, error) {
	return fsutil.ReadFileLimit(path, maxStoreBytes, "a key store, certificate or key")
}

// checkJKSLengths walks a JKS file's structure and refuses a length or count
// that the bytes after it cannot hold, before the JKS decoder allocates what
// the length asks for (a crafted 54-byte file once asked for 4 GiB).
// The layout is Java's sun.security.provider.JavaKeyStore: magic, version,
// entry count, entries (tag, alias, date, then a key with its chain or a
// certificate), SHA-1 digest.
func checkJKSLengths(data []byte) error {
	p := 0
	need := func(n uint64, what string) error {
		if n > uint64(len(data)-p) {
			return fmt.Errorf("not a valid JKS file: %s needs %d bytes at offset %d, the file has %d left", what, n, p, len(data)-p)
		}
		return nil
	}
	u32 := func(what string) (uint32, error) {
		if err := need(4, what); err != nil {
			return 0, err
		}
		v := binary.BigEndian.Uint32(data[p:])
		p += 4
		return v, nil
	}
	skip := func(n uint64, what string) error {
		if err := need(n, what); err != nil {
			return err
		}
		p += int(n)
		return nil
	}
	// counted reads a count of items (what) that take at least size bytes
	// each, and checks the file can hold them before anything loops over
	// them; items words them with the count.
	counted := func(what string, size uint64, items string) (uint32, error) {
		n, err := u32(what)
		if err != nil {
			return 0, err
		}
		return n, need(uint64(n)*size, fmt.Sprintf(items, n))
	}
	utf := func(what string) error {
		if err := need(2, what); err != nil {
			return err
		}
		n := binary.BigEndian.Uint16(data[p:])
		p += 2
		return skip(uint64(n), what)
	}
	magic, err := u32("magic")
	if err != nil {
		return err
	}
	if magic != 0xFEEDFEED {
		return nil // not JKS: the decoder reports it
	}
	version, err := u32("version")
	if err != nil {
		return err
	}
	// An entry takes at least tag, alias length, date and one length: 18 bytes.
	count, err := counted("entry count", 18, "%d entries")
	if err != nil {
		return err
	}
	cert := func() error {
		if version == 2 {
			if err := utf("certificate type"); err != nil {
				return err
			}
		}
		n, err := u32("certificate length")
		if err != nil {
			return err
		}
		return skip(uint64(n), "certificate")
	}
	for range count {
		tag, err := u32("entry tag")
		if err != nil {
			return err
		}
		if err := utf("alias"); err != nil {
			return err
		}
		if err := skip(8, "date"); err != nil {
			return err
		}
		switch tag {
		case 1: // private key and its chain
			n, err := u32("key length")
			if err != nil {
				return err
			}
			if err := skip(uint64(n), "key"); err != nil {
				return err
			}
			chain, err := counted("chain length", 4, "a chain of %d certificates")
			if err != nil {
				return err
			}
			for range chain {
				if err := cert(); err != nil {
					return err
				}
			}
		case 2: // trusted certificate
			if err := cert(); err != nil {
				return err
			}
		default:
			return nil // unknown tag: the decoder reports it
		}
	}
	return nil
}
