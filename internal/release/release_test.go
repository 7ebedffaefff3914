package release

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/kafkaguard/kafkaguard/internal/testutil"
)

const root = "../.."

// config is the part of goreleaser's configuration (pkg/config in
// goreleaser v2) that .goreleaser.yaml uses, with goreleaser's own yaml
// names. It is decoded strictly, as goreleaser does, so a misspelt or
// removed key fails here even where goreleaser itself is not installed.
type config struct {
	Version     int                      `yaml:"version"`
	ProjectName string                   `yaml:"project_name"`
	Before      struct{ Hooks []string } `yaml:"before"`
	Builds      []struct {
		ID           string   `yaml:"id"`
		Main         string   `yaml:"main"`
		Binary       string   `yaml:"binary"`
		Env          []string `yaml:"env"`
		Flags        []string `yaml:"flags"`
		Ldflags      []string `yaml:"ldflags"`
		ModTimestamp string   `yaml:"mod_timestamp"`
		Goos         []string `yaml:"goos"`
		Goarch       []string `yaml:"goarch"`
	} `yaml:"builds"`
	Archives []struct {
		ID              string   `yaml:"id"`
		IDs             []string `yaml:"ids"`
		NameTemplate    string   `yaml:"name_template"`
		Formats         []string `yaml:"formats"`
		FormatOverrides []struct {
			Goos    string   `yaml:"goos"`
			Formats []string `yaml:"formats"`
		} `yaml:"format_overrides"`
		Files []yaml.Node `yaml:"files"`
	} `yaml:"archives"`
	Checksum struct {
		NameTemplate string `yaml:"name_template"`
		Algorithm    string `yaml:"algorithm"`
	} `yaml:"checksum"`
	SBOMs []struct {
		Artifacts string `yaml:"artifacts"`
	} `yaml:"sboms"`
	DockersV2 []struct {
		ID         string            `yaml:"id"`
		IDs        []string          `yaml:"ids"`
		Dockerfile string            `yaml:"dockerfile"`
		Images     []string          `yaml:"images"`
		Tags       []string          `yaml:"tags"`
		Platforms  []string          `yaml:"platforms"`
		ExtraFiles []string          `yaml:"extra_files"`
		Labels     map[string]string `yaml:"labels"`
	} `yaml:"dockers_v2"`
	Snapshot struct {
		VersionTemplate string `yaml:"version_template"`
	} `yaml:"snapshot"`
	Changelog struct {
		Sort    string `yaml:"sort"`
		Filters struct {
			Exclude []string `yaml:"exclude"`
		} `yaml:"filters"`
	} `yaml:"changelog"`
	Release struct {
		GitHub struct {
			Owner string `yaml:"owner"`
			Name  string `yaml:"name"`
		} `yaml:"github"`
		Prerelease string `yaml:"prerelease"`
	} `yaml:"release"`
}

func loadConfig(t *testing.T) config {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var c config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatalf(".goreleaser.yaml: %v", err)
	}
	return c
}

func read(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestReleaseConfig pins what a release must produce: six static binaries
// stamped with their version, archives with checksums and SBOMs, and an image.
func TestReleaseConfig(t *testing.T) {
	c := loadConfig(t)
	if c.Version != 2 || c.ProjectName != "kafkaguard" {
		t.Errorf("version %d project %q, want 2 and kafkaguard", c.Version, c.ProjectName)
	}
	if len(c.Builds) != 1 {
		t.Fatalf("%d builds, want 1", len(c.Builds))
	}
	b := c.Builds[0]
	if _, err := os.Stat(filepath.Join(root, b.Main, "main.go")); err != nil {
		t.Errorf("build main %s: %v", b.Main, err)
	}
	var targets []string
	for _, os := range b.Goos {
		for _, arch := range b.Goarch {
			targets = append(targets, os+"/"+arch)
		}
	}
	want := []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64", "windows/amd64", "windows/arm64"}
	slices.Sort(targets)
	slices.Sort(want)
	if !slices.Equal(targets, want) {
		t.Errorf("targets %v, want %v", targets, want)
	}
	// make cross must build the same six.
	mk := read(t, "Makefile")
	for _, tg := range want {
		if !strings.Contains(mk, tg) {
			t.Errorf("Makefile PLATFORMS lacks %s", tg)
		}
	}
	if !slices.Contains(b.Env, "CGO_ENABLED=0") {
		t.Errorf("build env %v: the binaries must be static (CGO_ENABLED=0) for the scratch image", b.Env)
	}
	// Every -X names a variable that exists in internal/buildinfo.
	src := read(t, "internal/buildinfo/buildinfo.go")
	stamped := map[string]bool{}
	for _, l := range b.Ldflags {
		for _, m := range regexp.MustCompile(`-X (\S+)\.(\w+)=`).FindAllStringSubmatch(l, -1) {
			if m[1] != "github.com/kafkaguard/kafkaguard/internal/buildinfo" {
				t.Errorf("ldflag %q stamps %s, not internal/buildinfo", l, m[1])
			}
			if !regexp.MustCompile(`(?m)^\s+` + m[2] + `\s+string$`).MatchString(src) {
				t.Errorf("ldflag %q: no string variable %s in internal/buildinfo", l, m[2])
			}
			stamped[m[2]] = true
		}
	}
	for _, v := range []string{"version", "commit", "date"} {
		if !stamped[v] {
			t.Errorf("release builds do not stamp %s", v)
		}
	}

	if len(c.Archives) != 1 || !slices.Contains(c.Archives[0].Formats, "tar.gz") {
		t.Fatalf("archives %+v, want one tar.gz archive", c.Archives)
	}
	if ov := c.Archives[0].FormatOverrides; len(ov) != 1 || ov[0].Goos != "windows" || !slices.Contains(ov[0].Formats, "zip") {
		t.Errorf("format_overrides %+v, want zip for windows", ov)
	}
	if c.Checksum.NameTemplate == "" || c.Checksum.Algorithm != "sha256" {
		t.Errorf("checksum %+v, want a sha256 checksums file", c.Checksum)
	}
	if len(c.SBOMs) != 1 || c.SBOMs[0].Artifacts != "archive" {
		t.Errorf("sboms %+v, want one per archive", c.SBOMs)
	}

	// The CI example downloads an archive by the name the release gives it.
	name := strings.NewReplacer("{{ .ProjectName }}", c.ProjectName, "{{ .Os }}", "linux", "{{ .Arch }}", "amd64").Replace(c.Archives[0].NameTemplate)
	if strings.Contains(name, "{{") {
		t.Fatalf("archive name %q: template fields the test cannot render", name)
	}
	ci := read(t, "examples/ci/github-actions.yaml")
	if !strings.Contains(ci, "/"+name+".tar.gz") {
		t.Errorf("examples/ci/github-actions.yaml does not download %s.tar.gz", name)
	}
	if !strings.Contains(ci, c.Checksum.NameTemplate) {
		t.Errorf("examples/ci/github-actions.yaml does not verify %s", c.Checksum.NameTemplate)
	}
}

// dockerfile is the part of a Dockerfile the image checks read.
type dockerfile struct {
	from       []string
	copies     [][2]string // source, destination
	user       string
	entrypoint string
}

func parseDockerfile(t *testing.T, text string) dockerfile {
	t.Helper()
	var d dockerfile
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		instr, rest, _ := strings.Cut(line, " ")
		fields := strings.Fields(rest)
		switch strings.ToUpper(instr) {
		case "FROM":
			d.from = append(d.from, fields[0])
		case "COPY", "ADD":
			if len(fields) != 2 {
				t.Fatalf("Dockerfile: %q: want one source and one destination", line)
			}
			d.copies = append(d.copies, [2]string{fields[0], fields[1]})
		case "USER":
			d.user = rest
		case "ENTRYPOINT":
			var args []string
			if err := yaml.Unmarshal([]byte(rest), &args); err != nil || len(args) == 0 {
				t.Fatalf("Dockerfile: ENTRYPOINT %s: want the exec (JSON) form", rest)
			}
			d.entrypoint = args[0]
		}
	}
	return d
}

// TestImageDefinition checks the Dockerfile needs no base image from the
// network, runs as a non-root user, and is the image the CronJob runs.
func TestImageDefinition(t *testing.T) {
	c := loadConfig(t)
	if len(c.DockersV2) != 1 {
		t.Fatalf("dockers_v2 %+v, want one image", c.DockersV2)
	}
	img := c.DockersV2[0]
	d := parseDockerfile(t, read(t, img.Dockerfile))
	if !slices.Equal(d.from, []string{"scratch"}) {
		t.Errorf("FROM %v, want only scratch (no base image pulled)", d.from)
	}
	uid, _, _ := strings.Cut(d.user, ":")
	if n, err := strconv.Atoi(uid); err != nil || n == 0 {
		t.Errorf("USER %q, want a numeric non-root user (no /etc/passwd in scratch)", d.user)
	}
	var binary, certs bool
	for _, cp := range d.copies {
		switch {
		case cp[0] == "$TARGETPLATFORM/"+c.Builds[0].Binary:
			binary = cp[1] == d.entrypoint
		case slices.Contains(img.ExtraFiles, cp[0]):
			certs = certs || cp[1] == "/etc/ssl/certs/ca-certificates.crt"
		default:
			t.Errorf("COPY %s: neither the binary nor one of dockers_v2 extra_files %v", cp[0], img.ExtraFiles)
		}
	}
	if !binary || !certs {
		t.Errorf("image has binary at the entrypoint %v, CA certificates %v; want both", binary, certs)
	}
	if !slices.Equal(img.Platforms, []string{"linux/amd64", "linux/arm64"}) {
		t.Errorf("image platforms %v", img.Platforms)
	}
	// The before hooks make the extra files the image copies.
	hooks := strings.Join(c.Before.Hooks, "\n")
	for _, f := range img.ExtraFiles {
		if !strings.Contains(hooks, f) {
			t.Errorf("extra file %s is not made by a before hook", f)
		}
	}

	cron := read(t, "examples/audit/kubernetes/cronjob.yaml")
	m := regexp.MustCompile(`(?m)^\s+image: (\S+):(\S+)`).FindAllStringSubmatch(cron, -1)
	var uses bool
	for _, im := range m {
		uses = uses || slices.Contains(img.Images, im[1])
	}
	if !uses {
		t.Errorf("examples/audit/kubernetes/cronjob.yaml runs none of the release images %v", img.Images)
	}
	if !strings.Contains(cron, "runAsUser: "+uid) {
		t.Errorf("the CronJob's runAsUser is not the image's user %s", uid)
	}
}

// TestImageRootfs lays out the image's filesystem as the Dockerfile's COPY
// lines say, with a static binary built the release's way, and runs it as
// the image's user in a chroot: no docker engine runs here, so this is the
// closest check that the scratch image can start at all (no libc, no
// /etc/passwd, no shell).
func TestImageRootfs(t *testing.T) {
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		t.Skip("needs root on linux for chroot")
	}
	chroot, err := exec.LookPath("chroot")
	if err != nil {
		t.Skip("no chroot(8)")
	}
	if testing.Short() {
		t.Skip("builds a binary")
	}
	c := loadConfig(t)
	d := parseDockerfile(t, read(t, c.DockersV2[0].Dockerfile))
	dir := t.TempDir()
	bin := testutil.Kafkaguard(t, []string{"CGO_ENABLED=0", "GOOS=linux"}, "-ldflags", "-X github.com/kafkaguard/kafkaguard/internal/buildinfo.version=v9.9.9-image")
	rootfs := filepath.Join(dir, "rootfs")
	for _, cp := range d.copies {
		src := bin
		if !strings.HasPrefix(cp[0], "$TARGETPLATFORM/") {
			src = "/etc/ssl/certs/ca-certificates.crt" // what the before hook copies
		}
		data, err := os.ReadFile(src)
		if err != nil {
			t.Skipf("no %s on this machine", src)
		}
		dst := filepath.Join(rootfs, cp[1])
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(chroot, "--userspec="+d.user, rootfs, d.entrypoint, "version")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s version in the image's rootfs as %s: %v\n%s", d.entrypoint, d.user, err, out)
	}
	if !strings.HasPrefix(string(out), "kafkaguard v9.9.9-image (") {
		t.Errorf("version in the image: %q", out)
	}
}

// TestGoreleaserCheck runs `goreleaser check` where goreleaser is installed
// (the release machine, or CI with GORELEASER=1 in .ci/run).
func TestGoreleaserCheck(t *testing.T) {
	gr, err := exec.LookPath("goreleaser")
	if err != nil {
		t.Skip("goreleaser is not installed; TestReleaseConfig checks the keys it reads")
	}
	cmd := exec.Command(gr, "check")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("goreleaser check: %v\n%s", err, out)
	}
}
