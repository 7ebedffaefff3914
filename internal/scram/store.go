package scram

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/kafkaguard/kafkaguard/internal/cluster"
	"github.com/kafkaguard/kafkaguard/internal/fsutil"
)

// DefaultSecretsDir is where the secrets store lives unless --secrets-dir says
// otherwise.
const DefaultSecretsDir = ".kafkaguard/secrets"

// DirPerm is the mode of the secrets directory.
const DirPerm fs.FileMode = 0o700

// ErrNoSecret says the store holds no password for a user.
var ErrNoSecret = errors.New("no local secret")

// Store is the secrets directory: per SCRAM user NAME.password,
// NAME.properties (a Java client config) and NAME.librdkafka.properties
// (for kcat -F and librdkafka clients), all mode 0600 in a 0700 directory,
// each written atomically.
type Store struct {
	Dir string
}

// OpenStore opens dir, creating it (mode 0700) when create is set and it does
// not exist. A directory others can read or enter is refused rather than
// silently fixed: its secrets may already have leaked, which a person must
// judge.
func OpenStore(dir string, create bool) (*Store, error) {
	if dir == "" {
		dir = DefaultSecretsDir
	}
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist) && create:
		if err := os.MkdirAll(dir, DirPerm); err != nil {
			return nil, fmt.Errorf("create secrets dir %s: %w", dir, err)
		}
		if err := os.Chmod(dir, DirPerm); err != nil {
			return nil, fmt.Errorf("create secrets dir %s: %w", dir, err)
		}
		return &Store{Dir: dir}, nil
	case errors.Is(err, fs.ErrNotExist):
		return &Store{Dir: dir}, nil // reads find no secrets
	case err != nil:
		return nil, fmt.Errorf("secrets dir: %w", err)
	case !fi.IsDir():
		return nil, fmt.Errorf("secrets dir %s is not a directory", dir)
	case fi.Mode().Perm()&0o077 != 0:
		return nil, fmt.Errorf("secrets dir %s has mode %04o, others may read its passwords: run chmod 700 %s and check who read them", dir, fi.Mode().Perm(), dir)
	}
	return &Store{Dir: dir}, nil
}

// PasswordPath is the password file of user.
func (s *Store) PasswordPath(user string) string { return filepath.Join(s.Dir, user+".password") }

// PropertiesPath is the Java client config of user.
func (s *Store) PropertiesPath(user string) string { return filepath.Join(s.Dir, user+".properties") }

// LibrdkafkaPath is the librdkafka client config of user.
func (s *Store) LibrdkafkaPath(user string) string {
	return filepath.Join(s.Dir, user+".librdkafka.properties")
}

// Has reports whether the store holds a password file for user.
func (s *Store) Has(user string) bool {
	_, err := os.Lstat(s.PasswordPath(user))
	return err == nil
}

// MissingConfigs names user's client config files (NAME.properties,
// NAME.librdkafka.properties) that are missing while its password file is
// there: what 'users apply' regenerates. Nil when none is missing or the
// store holds no password for user.
func (s *Store) MissingConfigs(user string) []string {
	if !s.Has(user) {
		return nil
	}
	var out []string
	for _, p := range []string{s.PropertiesPath(user), s.LibrdkafkaPath(user)} {
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			out = append(out, filepath.Base(p))
		}
	}
	return out
}

// Password reads user's stored password. A missing file is ErrNoSecret; an
// unreadable, empty or loosely permitted file is an error naming the file.
func (s *Store) Password(user string) (string, error) {
	if err := ValidateUserName(user); err != nil {
		return "", err
	}
	path := s.PasswordPath(user)
	fi, err := os.Lstat(path) // a link is refused below, not followed
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("user %s: %w (%s)", user, ErrNoSecret, path)
	}
	if err != nil {
		return "", fmt.Errorf("read password of %s: %w", user, err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return "", fmt.Errorf("password file %s %w", path, fsutil.ErrSymlink)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("password file %s has mode %04o, want 0600: run chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	return ReadPasswordFile(path)
}

// ReadPasswordFile reads a password from a file: its content without one
// trailing newline. Unreadable, empty or unusable content is an error that
// names the file and never contains the password.
func ReadPasswordFile(path string) (string, error) {
	data, err := fsutil.ReadSecretFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", fmt.Errorf("read password file %s: %w", path, err)
	}
	pw := strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r")
	if err := CheckPassword(pw); err != nil {
		return "", fmt.Errorf("password file %s: %w", path, err)
	}
	return pw, nil
}

// fileWriter writes one file of the store with mode 0600:
// fsutil.WriteFileAtomic, or in a batch a staged temporary file
// (staged.writer) that commitStaged syncs and renames into place.
type fileWriter func(path string, data []byte, perm fs.FileMode) error

// WritePassword stores user's password (atomically, 0600), creating the
// directory when needed.
func (s *Store) WritePassword(user, password string) error {
	return s.writePassword(fsutil.WriteFileAtomic, user, password)
}

func (s *Store) writePassword(write fileWriter, user, password string) error {
	if err := s.checkWrite(user, password); err != nil {
		return err
	}
	return write(s.PasswordPath(user), []byte(password+"\n"), fsutil.SecretPerm)
}

// WriteClientConfigs writes user's NAME.properties and
// NAME.librdkafka.properties (atomically, 0600).
func (s *Store) WriteClientConfigs(user, mechanism, password string, cs ClientSettings) error {
	return s.writeClientConfigs(fsutil.WriteFileAtomic, user, mechanism, password, cs)
}

func (s *Store) writeClientConfigs(write fileWriter, user, mechanism, password string, cs ClientSettings) error {
	if err := s.checkWrite(user, password); err != nil {
		return err
	}
	if err := write(s.PropertiesPath(user), cs.javaProperties(user, mechanism, password), fsutil.SecretPerm); err != nil {
		return err
	}
	return write(s.LibrdkafkaPath(user), cs.librdkafkaProperties(user, mechanism, password), fsutil.SecretPerm)
}

// checkWrite checks what is about to be written for user and creates the
// store directory when needed.
func (s *Store) checkWrite(user, password string) error {
	if err := ValidateUserName(user); err != nil {
		return err
	}
	if err := CheckPassword(password); err != nil {
		return fmt.Errorf("user %s: %w", user, err)
	}
	if _, err := OpenStore(s.Dir, true); err != nil {
		return err
	}
	return nil
}

// Write stores the password and both client configs of user.
func (s *Store) Write(user, mechanism, password string, cs ClientSettings) error {
	if err := s.WriteClientConfigs(user, mechanism, password, cs); err != nil {
		return err
	}
	return s.WritePassword(user, password)
}

// leftoverRE matches the temporary files of the store's atomic writes
// (.NAME.password.tmp-RANDOM, and likewise of both client configs).
var leftoverRE = regexp.MustCompile(`^\..+\.(password|properties)\.tmp-[0-9]+$`)

// RemoveLeftovers removes the temporary files that a killed run left in the
// store: staged content never renamed into place, which no name refers to
// but which may hold a password. Only the holder of the store's lock may
// call it (another run's temporary files are in use). It removes what it
// can; what stays is harmless to a run.
func (s *Store) RemoveLeftovers() {
	entries, err := os.ReadDir(s.Dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.Type().IsRegular() && leftoverRE.MatchString(e.Name()) {
			_ = os.Remove(filepath.Join(s.Dir, e.Name()))
		}
	}
}

// Remove deletes user's files (after the user was removed from the cluster).
func (s *Store) Remove(user string) error {
	if err := ValidateUserName(user); err != nil {
		return err
	}
	for _, p := range []string{s.PropertiesPath(user), s.LibrdkafkaPath(user), s.PasswordPath(user)} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove secret of %s: %w", user, err)
		}
	}
	return nil
}

// ClientSettings is what a user's client config shares with the admin's:
// where the cluster is and how to trust it.
type ClientSettings struct {
	Bootstrap        []string
	SecurityProtocol string      // SASL_SSL or SASL_PLAINTEXT
	Trust            [][2]string // Java truststore settings, copied from the admin's config
	CALocation       string      // a PEM CA file for librdkafka, "" when the admin's trust is not a PEM file
	Note             string      // a comment for the librdkafka file when CALocation is empty
}

// ClientSettingsFrom derives the settings from the admin's connection: its
// bootstrap servers and protocol (SASL_SSL when it uses TLS), and the
// truststore settings of its properties file, with relative paths made
// absolute.
func ClientSettingsFrom(cfg *cluster.Config) (ClientSettings, error) {
	cs := ClientSettings{Bootstrap: cfg.Bootstrap, SecurityProtocol: cluster.ProtocolSASLPlaintext}
	if cfg.TLS != nil || strings.HasSuffix(cfg.SecurityProtocol, "SSL") {
		cs.SecurityProtocol = cluster.ProtocolSASLSSL
	}
	if cfg.Source == "" || cs.SecurityProtocol != cluster.ProtocolSASLSSL {
		return cs, nil
	}
	f, err := os.Open(cfg.Source)
	if err != nil {
		return cs, fmt.Errorf("read command config: %w", err)
	}
	defer f.Close()
	props, err := cluster.ParseProperties(f, cfg.Source)
	if err != nil {
		return cs, err
	}
	abs := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	get := func(k string) string { return strings.TrimSpace(props[k]) }
	typ := strings.ToUpper(get("ssl.truststore.type"))
	switch {
	case get("ssl.truststore.location") != "":
		loc := abs(get("ssl.truststore.location"))
		if typ == "" {
			typ = "JKS" // Java's default
		}
		cs.Trust = append(cs.Trust, [2]string{"ssl.truststore.type", typ}, [2]string{"ssl.truststore.location", loc})
		if pw := props["ssl.truststore.password"]; pw != "" {
			cs.Trust = append(cs.Trust, [2]string{"ssl.truststore.password", pw})
		}
		if typ == "PEM" {
			cs.CALocation = loc
		} else {
			cs.Note = fmt.Sprintf("the admin's truststore is %s: set ssl.ca.location to the cluster CA in PEM form", typ)
		}
	case get("ssl.ca.location") != "":
		loc := abs(get("ssl.ca.location"))
		cs.Trust = append(cs.Trust, [2]string{"ssl.truststore.type", "PEM"}, [2]string{"ssl.truststore.location", loc})
		cs.CALocation = loc
	case get("ssl.truststore.certificates") != "":
		cs.Trust = append(cs.Trust, [2]string{"ssl.truststore.type", "PEM"}, [2]string{"ssl.truststore.certificates", props["ssl.truststore.certificates"]})
		cs.Note = "the admin's CA is inline: set ssl.ca.location to the cluster CA in PEM form"
	}
	if v := props["ssl.endpoint.identification.algorithm"]; v != "" || hasKey(props, "ssl.endpoint.identification.algorithm") {
		cs.Trust = append(cs.Trust, [2]string{"ssl.endpoint.identification.algorithm", v})
	}
	return cs, nil
}

func hasKey(m map[string]string, k string) bool { _, ok := m[k]; return ok }

// javaProperties is NAME.properties. Java reads it with Properties.load,
// as ISO-8859-1: every value is escaped (cluster.EscapePropertyValue), so a
// non-ASCII password reaches the client as the same characters.
func (cs ClientSettings) javaProperties(user, mechanism, password string) []byte {
	var b strings.Builder
	prop := func(k, v string) { fmt.Fprintf(&b, "%s=%s\n", k, cluster.EscapePropertyValue(v)) }
	fmt.Fprintf(&b, "# kafkaguard: Kafka client config for User:%s (%s). Secret: keep it 0600.\n", user, mechanism)
	prop("bootstrap.servers", strings.Join(cs.Bootstrap, ","))
	prop("security.protocol", cs.SecurityProtocol)
	prop("sasl.mechanism", mechanism)
	prop("sasl.jaas.config", fmt.Sprintf("org.apache.kafka.common.security.scram.ScramLoginModule required username=\"%s\" password=\"%s\";", user, password))
	for _, kv := range cs.Trust {
		prop(kv[0], kv[1])
	}
	return []byte(b.String())
}

// librdkafkaProperties is NAME.librdkafka.properties. kcat -F reads it as
// bytes, one key=value a line (trimmed, '#' comments, only \: and \=
// unescaped) and librdkafka takes the value as UTF-8: a value is written as
// it is. CheckPassword keeps spaces, control characters and backslashes out
// of passwords, so none needs escaping.
func (cs ClientSettings) librdkafkaProperties(user, mechanism, password string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# kafkaguard: librdkafka config for User:%s (%s), e.g. kcat -F this-file. Secret: keep it 0600.\n", user, mechanism)
	fmt.Fprintf(&b, "bootstrap.servers=%s\n", strings.Join(cs.Bootstrap, ","))
	fmt.Fprintf(&b, "security.protocol=%s\n", strings.ToLower(cs.SecurityProtocol))
	fmt.Fprintf(&b, "sasl.mechanisms=%s\n", mechanism)
	fmt.Fprintf(&b, "sasl.username=%s\n", user)
	fmt.Fprintf(&b, "sasl.password=%s\n", password)
	if cs.CALocation != "" {
		fmt.Fprintf(&b, "ssl.ca.location=%s\n", cs.CALocation)
	} else if cs.Note != "" {
		fmt.Fprintf(&b, "# %s\n", cs.Note)
	}
	return []byte(b.String())
}
