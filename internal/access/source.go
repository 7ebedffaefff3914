// Package access reads the ACL sources the access commands compare (a
// binding file, an inventory, either at a git revision) and renders the
// answers of package acl/analysis as text, JSON, markdown, DOT and mermaid.
package access

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"github.com/kafkaguard/kafkaguard/acl"
	"github.com/kafkaguard/kafkaguard/acl/analysis"
	"github.com/kafkaguard/kafkaguard/inventory"
)

// Source is one side's ACLs and, when they came from an inventory, the
// inventory (for teams and classifications).
type Source struct {
	Label     string // as the user named it
	Set       acl.Set
	Inventory *inventory.Inventory // nil for a binding file
}

// Compile turns inventory files or directories into bindings, as `compile`
// does (load, DN check, policies).
type Compile func(ctx context.Context, paths ...string) (*inventory.Inventory, acl.Set, error)

// Read reads one side: a binding file (*.json, the `compile -o json`
// format), an inventory file (*.yaml, *.yml) or directory, or REF:PATH, the
// same at a git revision (PATH relative to the repository's top, or ./PATH
// relative to the current directory, as git reads it). A path that exists
// wins over the REF:PATH reading of the same text.
func Read(ctx context.Context, spec string, compile Compile) (*Source, error) {
	if spec == "" {
		return nil, errors.New("empty ACL source")
	}
	if _, err := os.Stat(spec); err == nil {
		return readLocal(ctx, spec, spec, compile)
	}
	ref, p, ok := strings.Cut(spec, ":")
	if !ok || ref == "" {
		_, err := os.Stat(spec)
		return nil, fmt.Errorf("read %s: %w", spec, err)
	}
	return readGit(ctx, spec, ref, p, compile)
}

func readLocal(ctx context.Context, label, p string, compile Compile) (*Source, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() && strings.EqualFold(filepath.Ext(p), ".json") {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", label, err)
		}
		bs, err := acl.ParseJSON(label, data)
		if err != nil {
			return nil, err
		}
		return &Source{Label: label, Set: acl.NewSet(bs...)}, nil
	}
	inv, set, err := compile(ctx, p)
	if err != nil {
		return nil, err
	}
	return &Source{Label: label, Set: set, Inventory: inv}, nil
}

// readGit writes the blob or the tree's files (not its subdirectories, as
// an inventory directory is read) at REF:PATH to a temporary directory and
// reads them from there. Errors name REF:PATH, not the temporary files.
func readGit(ctx context.Context, spec, ref, p string, compile Compile) (*Source, error) {
	kind, err := git(ctx, "cat-file", "-t", spec)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", spec, err)
	}
	tmp, err := os.MkdirTemp("", "kafkaguard-git-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	local := tmp
	switch strings.TrimSpace(string(kind)) {
	case "blob":
		data, err := git(ctx, "cat-file", "blob", spec)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", spec, err)
		}
		local = filepath.Join(tmp, path.Base(p))
		if err := os.WriteFile(local, data, 0o600); err != nil {
			return nil, err
		}
	case "tree":
		// git archive takes the tree's id: REF:./PATH is relative to the
		// current directory only where git parses revisions.
		id, err := git(ctx, "rev-parse", "--verify", "--quiet", spec)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", spec, err)
		}
		// git archive also limits itself to the current directory: run it
		// from the top of the work tree.
		top, err := git(ctx, "rev-parse", "--show-toplevel")
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", spec, err)
		}
		archive, err := git(ctx, "-C", strings.TrimSpace(string(top)), "archive", "--format=tar", strings.TrimSpace(string(id)))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", spec, err)
		}
		if err := untarTop(archive, tmp); err != nil {
			return nil, fmt.Errorf("read %s: %w", spec, err)
		}
	default:
		return nil, fmt.Errorf("read %s: not a file or directory at %s", spec, ref)
	}
	src, err := readLocal(ctx, spec, local, compile)
	if err != nil {
		return nil, relabel(err, tmp, strings.TrimSuffix(spec, "/"))
	}
	if src.Inventory != nil {
		for i, f := range src.Inventory.Files {
			src.Inventory.Files[i] = strings.Replace(f, tmp, strings.TrimSuffix(spec, "/"), 1)
		}
	}
	return src, nil
}

// git runs git in the current directory and returns its output, or an
// error with git's own first line of complaint.
func git(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg, _, _ := strings.Cut(strings.TrimSpace(stderr.String()), "\n")
		if msg == "" {
			msg = err.Error()
		}
		verb := args[0]
		if verb == "-C" {
			verb = args[2]
		}
		return nil, fmt.Errorf("git %s: %s", verb, strings.TrimPrefix(msg, "fatal: "))
	}
	return out, nil
}

// untarTop extracts the regular files at the top of a tar archive into dir.
func untarTop(archive []byte, dir string) error {
	tr := tar.NewReader(bytes.NewReader(archive))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(h.Name, "./")
		if h.Typeflag != tar.TypeReg || name == "" || strings.ContainsAny(name, `/\`) || name == ".." {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return err
		}
	}
}

// relabeled is an error whose text names REF:PATH instead of the temporary
// directory it was read from; errors.Is/As still see the original.
type relabeled struct {
	msg string
	err error
}

func (e *relabeled) Error() string { return e.msg }
func (e *relabeled) Unwrap() error { return e.err }

func relabel(err error, tmp, spec string) error {
	return &relabeled{msg: strings.ReplaceAll(err.Error(), tmp, spec), err: err}
}

// Metadata collects what inventories tell about teams and classifications
// for the analysis' risk flags and graph groups; later sources win.
func Metadata(srcs ...*Source) analysis.Metadata {
	m := analysis.Metadata{Teams: map[string]string{}, Declared: map[string]bool{}}
	seen := map[string]int{}
	for i, s := range srcs {
		if s == nil || s.Inventory == nil {
			continue
		}
		last := i == len(srcs)-1
		for _, p := range s.Inventory.Principals {
			if p.Team != "" {
				m.Teams[p.KafkaPrincipal()] = p.Team
			}
			if last {
				m.Declared[p.KafkaPrincipal()] = true
			}
		}
		for _, t := range s.Inventory.Topics {
			name, pt := t.Pattern()
			topic := analysis.Topic{Name: name, PatternType: pt, Team: t.Team, Classification: t.Classification}
			if j, ok := seen[t.Name]; ok {
				m.Topics[j] = topic
				continue
			}
			seen[t.Name] = len(m.Topics)
			m.Topics = append(m.Topics, topic)
		}
	}
	return m
}
