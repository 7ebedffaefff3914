package buildinfo

import (
	"bytes"
	"runtime/debug"
	"strings"
	"testing"
)

func TestFromBuildInfoGoInstall(t *testing.T) {
	// What `go install github.com/kafkaguard/kafkaguard/cmd/kafkaguard@v0.2.0` records.
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/kafkaguard/kafkaguard", Version: "v0.2.0"},
		Deps: []*debug.Module{
			{Path: "github.com/urfave/cli/v2", Version: "v2.27.7"},
			{Path: "example.com/fork", Version: "v1.0.0", Replace: &debug.Module{Path: "../fork", Version: ""}},
		},
		Settings: []debug.BuildSetting{{Key: "GOOS", Value: "darwin"}, {Key: "GOARCH", Value: "arm64"}},
	}
	info := fromBuildInfo(bi, "", "", "")
	if info.Version != "v0.2.0" || info.GoVersion != "go1.26.8" || info.Platform != "darwin/arm64" {
		t.Fatalf("got %+v", info)
	}
	if got, want := info.String(), "v0.2.0 (go1.26.8, darwin/arm64)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	var buf bytes.Buffer
	info.WriteVerbose(&buf)
	for _, want := range []string{"github.com/urfave/cli/v2 v2.27.7\n", "example.com/fork v1.0.0 => ../fork"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("verbose output lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestFromBuildInfoCheckout(t *testing.T) {
	// A `go build` in a checkout: "(devel)" plus the VCS stamps.
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/kafkaguard/kafkaguard", Version: "(devel)"},
		Settings: []debug.BuildSetting{
			{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "amd64"},
			{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.time", Value: "2026-12-01T10:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	info := fromBuildInfo(bi, "", "", "")
	if got, want := info.String(), "dev (commit 0123456789ab-dirty, built 2026-12-01T10:00:00Z, go1.26.8, linux/amd64)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestFromBuildInfoReleaseStampsWin(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261201-abc"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "ffff"}}}
	info := fromBuildInfo(bi, "v0.3.0", "abcd", "2026-12-02T00:00:00Z")
	if info.Version != "v0.3.0" || info.Commit != "abcd" || info.Date != "2026-12-02T00:00:00Z" {
		t.Errorf("got %+v, want the link-time stamps", info)
	}
}

func TestFromBuildInfoNone(t *testing.T) {
	if info := fromBuildInfo(nil, "", "", ""); info.Version != "dev" || info.GoVersion == "" {
		t.Errorf("got %+v", info)
	}
}
