package cluster

// SCRAMCredentialInfo is what DescribeUserScramCredentials tells about one
// of a user's SCRAM credentials: its mechanism and iteration count (the
// server keeps only salted keys, so nothing about the password).
type SCRAMCredentialInfo struct {
	Mechanism  string `json:"mechanism"` // SCRAM-SHA-256 | SCRAM-SHA-512
	Iterations int    `json:"iterations"`
}

// SCRAMUpsert creates or replaces one SCRAM credential (KIP-554 sends the
// salt and salted password, never the password).
type SCRAMUpsert struct {
	User           string
	Mechanism      string
	Iterations     int
	Salt           []byte
	SaltedPassword []byte
}

// SCRAMDeletion removes one SCRAM credential of a user.
type SCRAMDeletion struct {
	User      string
	Mechanism string
}

// SCRAMResult is the outcome for one user of AlterSCRAM.
type SCRAMResult struct {
	User string
	Err  error
}
