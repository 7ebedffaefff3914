// Package buildinfo tells which kafkaguard this is: the release version,
// commit and date stamped by the release build (-ldflags -X), or what the Go
// toolchain recorded in the binary for a plain `go build` or `go install`.
package buildinfo

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

// Set at link time by the Makefile and the release build, e.g.
//
//	-X github.com/kafkaguard/kafkaguard/internal/buildinfo.version=v0.2.0
//
// Left empty, they are taken from the binary's build information.
var (
	version string
	commit  string
	date    string
)

// Module is one dependency compiled into the binary.
type Module struct {
	Path    string `json:"path"`
	Version string `json:"version"`
	Replace string `json:"replace,omitempty"`
}

// Info describes one kafkaguard binary.
type Info struct {
	Version   string   `json:"version"`
	Commit    string   `json:"commit,omitempty"`
	Date      string   `json:"date,omitempty"`
	Modified  bool     `json:"modified,omitempty"`
	GoVersion string   `json:"go_version"`
	Platform  string   `json:"platform"`
	Modules   []Module `json:"modules,omitempty"`
}

// Read returns the running binary's Info.
func Read() Info {
	bi, _ := debug.ReadBuildInfo()
	return fromBuildInfo(bi, version, commit, date)
}

// fromBuildInfo merges the link-time stamps with bi (nil when the binary was
// built without module support). A stamp wins over what bi says.
func fromBuildInfo(bi *debug.BuildInfo, version, commit, date string) Info {
	info := Info{GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi != nil {
		info.GoVersion = bi.GoVersion
		// `go install .../cmd/kafkaguard@v0.2.0` records v0.2.0 here; a build
		// in a checkout records a VCS-derived pseudo-version or "(devel)".
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			info.Version = v
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				info.Commit = s.Value
			case "vcs.time":
				info.Date = s.Value
			case "vcs.modified":
				info.Modified = s.Value == "true"
			case "GOOS":
				info.Platform = s.Value + info.Platform[strings.Index(info.Platform, "/"):]
			case "GOARCH":
				info.Platform = info.Platform[:strings.Index(info.Platform, "/")+1] + s.Value
			}
		}
		for _, d := range bi.Deps {
			m := Module{Path: d.Path, Version: d.Version}
			if d.Replace != nil {
				m.Replace = d.Replace.Path + " " + d.Replace.Version
			}
			info.Modules = append(info.Modules, m)
		}
	}
	if version != "" {
		info.Version = version
	}
	if commit != "" {
		info.Commit = commit
	}
	if date != "" {
		info.Date = date
	}
	if info.Version == "" {
		info.Version = "dev"
	}
	return info
}

// String is the one-line form: "v0.2.0 (commit 1a2b3c4, 2026-12-01T10:00:00Z, go1.26.8, linux/amd64)".
func (i Info) String() string {
	var parts []string
	if i.Commit != "" {
		c := i.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		if i.Modified {
			c += "-dirty"
		}
		parts = append(parts, "commit "+c)
	}
	if i.Date != "" {
		parts = append(parts, "built "+i.Date)
	}
	parts = append(parts, i.GoVersion, i.Platform)
	return fmt.Sprintf("%s (%s)", i.Version, strings.Join(parts, ", "))
}

// WriteVerbose writes the one-line form and then every module compiled in,
// like `go version -m`.
func (i Info) WriteVerbose(w io.Writer) {
	fmt.Fprintf(w, "kafkaguard %s\n", i)
	for _, m := range i.Modules {
		if m.Replace != "" {
			fmt.Fprintf(w, "  %s %s => %s\n", m.Path, m.Version, m.Replace)
			continue
		}
		fmt.Fprintf(w, "  %s %s\n", m.Path, m.Version)
	}
}
