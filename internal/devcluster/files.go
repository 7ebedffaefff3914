package devcluster

import (
	"crypto/tls"

	"github.com/kafkaguard/kafkaguard/internal/fsutil"
)

// maxPEMFileBytes bounds the broker certificate and key files dev up is
// given (--broker-cert, --broker-key), as the PEM files client properties
// name are bounded: real ones are a few KB.
const maxPEMFileBytes = 16 << 20

// loadKeyPair is tls.LoadX509KeyPair with each file read up to
// maxPEMFileBytes: a path that never ends (/dev/zero, a FIFO) is refused at
// the limit instead of filling memory.
func loadKeyPair(certFile, keyFile string) (tls.Certificate, error) {
	cert, err := fsutil.ReadFileLimit(certFile, maxPEMFileBytes, "a certificate")
	if err != nil {
		return tls.Certificate{}, err
	}
	key, err := fsutil.ReadFileLimit(keyFile, maxPEMFileBytes, "a key")
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.X509KeyPair(cert, key)
}
