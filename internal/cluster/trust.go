package cluster

import "crypto/x509"

// TrustIfUnset makes roots the CA that brokers must chain to when the
// properties name no truststore (as `audit --pki-dir` does with the
// kafkaguard CA). It changes nothing for PLAINTEXT connections or when a
// truststore is configured, and reports whether it changed the config.
func (c *Config) TrustIfUnset(roots *x509.CertPool) bool {
	if roots == nil || c.TLS == nil || c.TLS.RootCAs != nil {
		return false
	}
	tc := c.TLS.Clone()
	tc.RootCAs = roots
	if tc.InsecureSkipVerify && tc.VerifyPeerCertificate != nil {
		// ssl.endpoint.identification.algorithm= (empty): chain only.
		tc.VerifyPeerCertificate = verifyChainOnly(roots)
	}
	c.TLS = tc
	return true
}
