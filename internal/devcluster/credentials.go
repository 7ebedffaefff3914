// The SCRAM credentials the layer knows: read from kfake's sasl.json, learned from AlterUserScramCredentials, hidden mTLS ones.

package devcluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/fsutil"
)

// hiddenStateFile keeps, in the data dir, which SCRAM credentials the layer
// created for mTLS principals.
const hiddenStateFile = "kafkaguard-mtls-credentials.json"

// kfakeSASLState is the part of kfake's sasl.json (its persist format) the
// layer reads.
type kfakeSASLState struct {
	Scram256 map[string]kfakeScram `json:"scram256"`
	Scram512 map[string]kfakeScram `json:"scram512"`
}

type kfakeScram struct {
	Salt       []byte `json:"salt"`
	SaltedPass []byte `json:"salted_pass"`
	Iterations int    `json:"iterations"`
}

func (a *Authenticator) loadPersisted(dir string) error {
	b, err := os.ReadFile(filepath.Join(dir, "sasl.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("dev cluster: read SCRAM credentials: %w", err)
	}
	var st kfakeSASLState
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("dev cluster: read SCRAM credentials %s: %w", filepath.Join(dir, "sasl.json"), err)
	}
	for mech, m := range map[string]map[string]kfakeScram{cluster.MechanismSCRAMSHA256: st.Scram256, cluster.MechanismSCRAMSHA512: st.Scram512} {
		for user, c := range m {
			a.store.put(mech, user, scramCred{salt: c.Salt, saltedPass: c.SaltedPass, iterations: c.Iterations}, false)
		}
	}
	b, err = os.ReadFile(a.statePath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("dev cluster: %w", err)
	}
	var hidden []hiddenCred
	if err := json.Unmarshal(b, &hidden); err != nil {
		return fmt.Errorf("dev cluster: read %s: %w", a.statePath, err)
	}
	for _, h := range hidden {
		if c, ok := a.store.get(h.Mechanism, h.User); ok {
			a.store.put(h.Mechanism, h.User, c, true)
		}
	}
	return nil
}

type hiddenCred struct {
	Mechanism string `json:"mechanism"`
	User      string `json:"user"`
}

// saveHidden writes the hidden credentials' names; a.mu is held.
func (a *Authenticator) saveHidden() error {
	if a.statePath == "" {
		return nil
	}
	keys := a.store.hiddenKeys()
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].user != keys[j].user {
			return keys[i].user < keys[j].user
		}
		return keys[i].mechanism < keys[j].mechanism
	})
	out := make([]hiddenCred, len(keys))
	for i, k := range keys {
		out[i] = hiddenCred{k.mechanism, k.user}
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(a.statePath, append(b, '\n'), fsutil.SecretPerm)
}

var scramMechanismCodes = map[int8]string{1: cluster.MechanismSCRAMSHA256, 2: cluster.MechanismSCRAMSHA512}

// learn records the credential changes kfake accepted.
func (a *Authenticator) learn(req *kmsg.AlterUserSCRAMCredentialsRequest, resp *kmsg.AlterUserSCRAMCredentialsResponse) {
	ok := map[string]bool{}
	for _, r := range resp.Results {
		if r.ErrorCode == 0 {
			ok[r.User] = true
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	changedHidden := false
	for _, d := range req.Deletions {
		if mech := scramMechanismCodes[d.Mechanism]; ok[d.Name] && mech != "" {
			changedHidden = changedHidden || a.store.isHidden(mech, d.Name)
			a.store.remove(mech, d.Name)
		}
	}
	for _, u := range req.Upsertions {
		if mech := scramMechanismCodes[u.Mechanism]; ok[u.Name] && mech != "" {
			changedHidden = changedHidden || a.store.isHidden(mech, u.Name)
			a.store.put(mech, u.Name, scramCred{salt: slices.Clone(u.Salt), saltedPass: slices.Clone(u.SaltedPassword), iterations: int(u.Iterations)}, false)
		}
	}
	if changedHidden {
		_ = a.saveHidden() // at worst a restart shows the credential as a user
	}
}

// hideDescribed removes the hidden credentials from a
// DescribeUserScramCredentials answer and reports whether it changed it. A
// user asked for by name whose only credentials are hidden is answered as
// absent (RESOURCE_NOT_FOUND), as Kafka answers for a user it does not have.
func (a *Authenticator) hideDescribed(req *kmsg.DescribeUserSCRAMCredentialsRequest, resp *kmsg.DescribeUserSCRAMCredentialsResponse) bool {
	byName := req != nil && req.Users != nil
	changed := false
	results := resp.Results[:0]
	for _, r := range resp.Results {
		infos := slices.DeleteFunc(slices.Clone(r.CredentialInfos), func(ci kmsg.DescribeUserSCRAMCredentialsResponseResultCredentialInfo) bool {
			return a.store.isHidden(scramMechanismCodes[ci.Mechanism], r.User)
		})
		if len(infos) == len(r.CredentialInfos) {
			results = append(results, r)
			continue
		}
		changed = true
		if len(infos) == 0 && !byName {
			continue
		}
		r.CredentialInfos = infos
		if len(infos) == 0 {
			r.ErrorCode = kerr.ResourceNotFound.Code
			msg := "Attempt to describe a user credential that does not exist"
			r.ErrorMessage = &msg
		}
		results = append(results, r)
	}
	resp.Results = results
	return changed
}
