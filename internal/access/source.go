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
// wins over the REF:PATH reading of the same text. A binding file is read up
// to limits.MaxBindingFileBytes(), what git gives of an inventory up to
// limits.MaxBytes and one byte more (the loader then reports the limit).
func Read(ctx context.Context, spec string, limits inventory.Limits, compile Compile) (*Source, error) {
	if spec == "" {
		return nil, errors.New("empty ACL source")
	}
	if _, err := os.Stat(spec); err == nil {
		return readLocal(ctx, spec, spec, limits, compile)
	}
	ref, p, ok := strings.Cut(spec, ":")
	if !ok || ref == "" {
		_, err := os.Stat(spec)
		return nil, fmt.Errorf("read %s: %w", spec, err)
	}
	return readGit(ctx, spec, ref, p, limits, compile)
}

// ReadBindingFile reads a binding file (the `compile -o json` format) in
// one pass, at most limits.MaxBindingFileBytes() of it: a larger one, or a
// device or FIFO that gives more, is an *inventory.BindingFileError naming
// label.
func ReadBindingFile(label, path string, limits inventory.Limits) (*Source, error) {
	data, err := inventory.ReadBindingFile(path, label, limits, bindingFileWhat)
	if tooLarge := (*inventory.BindingFileError)(nil); errors.As(err, &tooLarge) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", label, err)
	}
	bs, err := acl.ParseJSON(label, data)
	if err != nil {
		return nil, err
	}
	return &Source{Label: label, Set: acl.NewSet(bs...)}, nil
}

// bindingFileWhat is what a binding file over its limit was to be.
const bindingFileWhat = "an ACL file"

func isBindingFile(p string) bool { return strings.EqualFold(filepath.Ext(p), ".json") }

func readLocal(ctx context.Context, label, p string, limits inventory.Limits, compile Compile) (*Source, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() && isBindingFile(p) {
		return ReadBindingFile(label, p, limits)
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
func readGit(ctx context.Context, spec, ref, p string, limits inventory.Limits, compile Compile) (*Source, error) {
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
		// A blob is streamed to the file, never whole in memory: a few
		// kilobytes of a pull request's packfile can inflate to gigabytes.
		local = filepath.Join(tmp, path.Base(p))
		limit, what := limits.WithDefaults().MaxBytes+1, ""
		if isBindingFile(p) {
			limit, what = limits.MaxBindingFileBytes(), bindingFileWhat
		}
		err := gitStream(ctx, "", []string{"cat-file", "blob", spec}, func(r io.Reader) error {
			over, err := copyAtMost(local, r, limit)
			if over && what != "" {
				return &inventory.BindingFileError{Path: spec, Limit: limit, What: what}
			}
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", spec, err)
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
		err = gitStream(ctx, strings.TrimSpace(string(top)), []string{"archive", "--format=tar", strings.TrimSpace(string(id))}, func(r io.Reader) error {
			return untarTop(r, tmp, limits.WithDefaults().MaxBytes+1)
		})
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", spec, err)
		}
	default:
		return nil, fmt.Errorf("read %s: not a file or directory at %s", spec, ref)
	}
	src, err := readLocal(ctx, spec, local, limits, compile)
	if err != nil {
		return nil, relabel(err, local, strings.TrimSuffix(spec, "/"))
	}
	if src.Inventory != nil {
		for i, f := range src.Inventory.Files {
			src.Inventory.Files[i] = strings.Replace(f, local, strings.TrimSuffix(spec, "/"), 1)
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
		return nil, gitError(args, stderr.String(), err)
	}
	return out, nil
}

// gitError is "git VERB: " and the first line of git's complaint.
func gitError(args []string, stderr string, err error) error {
	msg, _, _ := strings.Cut(strings.TrimSpace(stderr), "\n")
	if msg == "" {
		msg = err.Error()
	}
	verb := args[0]
	if verb == "-C" {
		verb = args[2]
	}
	return fmt.Errorf("git %s: %s", verb, strings.TrimPrefix(msg, "fatal: "))
}

// untarTop extracts the inventory files at the top of a tar archive into
// dir, streaming, and no more than limit bytes of them in all: past it the
// last file is cut, and the inventory loader, which reads at most one byte
// less, reports the limit.
func untarTop(archive io.Reader, dir string, limit int64) error {
	tr := tar.NewReader(archive)
	for limit > 0 {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(h.Name, "./")
		if h.Typeflag != tar.TypeReg || name == "" || strings.ContainsAny(name, `/\`) || name == ".." || !inventory.IsFileName(name) {
			continue
		}
		over, err := copyAtMost(filepath.Join(dir, name), tr, limit)
		if err != nil || over {
			return err
		}
		limit -= h.Size
	}
	return nil
}

// copyAtMost writes at most limit bytes of r to a new file at p (0600);
// over says r held more.
func copyAtMost(p string, r io.Reader, limit int64) (over bool, err error) {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return false, err
	}
	n, err := io.Copy(f, io.LimitReader(r, limit+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return false, err
	}
	if n > limit {
		return true, os.Truncate(p, limit)
	}
	return false, nil
}

// gitStream runs git in dir ("" = the current directory) and hands its
// output to consume as it comes; git is stopped as soon as consume
// returns, so a consumer that stops at a limit stops git too. Errors are
// git's own first line of complaint when git failed, else consume's.
func gitStream(ctx context.Context, dir string, args []string, consume func(io.Reader) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if dir != "" {
		args = append([]string{"-C", dir}, args...)
	}
	cmd := exec.CommandContext(ctx, "git", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	cerr := consume(out)
	// What consume left (all past a limit, a tar's padding) is not wanted:
	// git is stopped rather than waited for while it writes the rest.
	stopped := false
	if _, err := out.Read(make([]byte, 1)); err != io.EOF {
		cancel()
		stopped = true
	}
	if werr := cmd.Wait(); werr != nil && !stopped {
		return gitError(args, stderr.String(), werr) // it explains consume's unexpected EOF
	}
	return cerr
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
