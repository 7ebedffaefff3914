package cluster

import (
	"fmt"
	"strings"
	"testing"
)

// TestSampleCommandConfigsLoad checks the documented samples in
// testdata/properties (paths inside them are relative to the repository root).
func TestSampleCommandConfigsLoad(t *testing.T) {
	t.Chdir("../..")
	tests := []struct{ file, want string }{
		{"java-sasl-ssl-scram.properties", "bootstrap=kafka-1.example.com:9093,kafka-2.example.com:9093 protocol=SASL_SSL sasl=SCRAM-SHA-512 user=kafkaguard password=[redacted]"},
		{"librdkafka-sasl-plain.properties", "bootstrap=127.0.0.1:9093 protocol=SASL_SSL sasl=PLAIN user=ops password=[redacted]"},
		{"java-mtls-pem.properties", "bootstrap=kafka:9094 protocol=SSL client-cert=CN=analytics,OU=data,O=Acme,C=US"},
		{"plaintext.properties", "bootstrap=localhost:9092 protocol=PLAINTEXT"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := "testdata/properties/" + tt.file
			cfg, err := LoadConfig("", path)
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.String(); got != tt.want+" from "+path {
				t.Errorf("got  %s\nwant %s from %s", got, tt.want, path)
			}
			if s := fmt.Sprintf("%+v %#v", *cfg, cfg); strings.Contains(s, "not-a-real-secret") {
				t.Error("password printed")
			}
			if strings.HasSuffix(cfg.SecurityProtocol, "SSL") && cfg.TLS.RootCAs == nil {
				t.Error("truststore not loaded")
			}
		})
	}
}
