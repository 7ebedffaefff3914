package docstest

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
)

const root = "../.."

// block is one fenced block with a docs-test marker.
type block struct {
	file string
	line int    // of the opening fence
	kind string // "run" or "file"
	name string // for "file": where to write it
	body string
}

var marker = regexp.MustCompile(`^<!-- docs-test: (run|file (\S+)) -->$`)

// blocks returns the marked blocks of a Markdown file, in order.
func blocks(t *testing.T, path string) []block {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []block
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		m := marker.FindStringSubmatch(strings.TrimSpace(lines[i]))
		if m == nil {
			continue
		}
		if i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "```") {
			t.Fatalf("%s:%d: a docs-test marker must be right before a fenced block", path, i+1)
		}
		if m[1] == "run" && !regexp.MustCompile("^```(sh|bash|shell)\\s*$").MatchString(lines[i+1]) {
			t.Fatalf("%s:%d: a runnable block must be ```sh", path, i+2)
		}
		b := block{file: path, line: i + 2, kind: strings.Fields(m[1])[0], name: m[2]}
		var body []string
		for i += 2; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
			body = append(body, lines[i])
		}
		b.body = strings.Join(body, "\n") + "\n"
		out = append(out, b)
	}
	return out
}

// script is the bash program for one file's blocks: a command that exits 2
// (findings, pending changes) is what the docs show and is fine; any other
// failure stops the script, naming the block and the command. The dev
// cluster runs in the background for the whole test, so a `dev up` line is
// left out, and its documented address is the real one.
func script(bs []block, addr string) string {
	var b strings.Builder
	b.WriteString("set -uo pipefail\nset -E\n")
	b.WriteString(`trap 'rc=$?; if [ $rc -ne 2 ]; then echo "docs-test: $DOCS_BLOCK: exit $rc: $BASH_COMMAND" >&2; exit $rc; fi' ERR` + "\n")
	for _, bl := range bs {
		where := fmt.Sprintf("%s:%d", bl.file, bl.line)
		fmt.Fprintf(&b, "DOCS_BLOCK=%q\n", where)
		if bl.kind == "file" {
			fmt.Fprintf(&b, "mkdir -p \"$(dirname %q)\"\ncat > %q <<'DOCS_TEST_EOF'\n%sDOCS_TEST_EOF\n", bl.name, bl.name, bl.body)
			continue
		}
		for _, l := range strings.Split(strings.TrimRight(bl.body, "\n"), "\n") {
			if strings.Contains(l, "kafkaguard dev up") {
				b.WriteString(": dev up runs in the background for the docs test\n")
				continue
			}
			b.WriteString(strings.ReplaceAll(l, "127.0.0.1:9092", addr) + "\n")
		}
	}
	b.WriteString("exit 0 # the last command may have exited 2 (findings), which is fine\n")
	return b.String()
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDocsRun runs every runnable block of README.md and docs/*.md, file by
// file in one work tree (a copy of the repository's docs, examples and
// policies, with bin/kafkaguard built as `make build` does and on PATH, as
// the README says to put it), against one dev cluster.
func TestDocsRun(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the docs' blocks are sh")
	}
	if testing.Short() {
		t.Skip("builds kafkaguard and runs a dev cluster")
	}
	files, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	files = append([]string{filepath.Join(root, "README.md")}, files...)
	perFile := map[string][]block{}
	total := 0
	for _, f := range files {
		perFile[f] = blocks(t, f)
		for _, b := range perFile[f] {
			if b.kind == "run" {
				total++
			}
		}
	}
	if len(perFile[filepath.Join(root, "README.md")]) < 2 || total < 6 {
		t.Fatalf("only %d runnable blocks found; the README's quick paths must be marked", total)
	}

	work := t.TempDir()
	for _, dir := range []string{"docs", "examples", "testdata/policies", "testdata/inventory"} {
		copyTree(t, filepath.Join(root, dir), filepath.Join(work, dir))
	}
	bin := filepath.Join(work, "bin", "kafkaguard")
	build := exec.Command("go", "build", "-o", bin, "./cmd/kafkaguard")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	env := append(os.Environ(), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"), "HOME="+work, "NO_COLOR=1")
	for _, kv := range os.Environ() { // a developer's own settings must not leak in
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "KAFKAGUARD_") {
			env = append(env, k+"=")
		}
	}
	dev := exec.Command(bin, "dev", "up", "--dir", ".kafkaguard/dev", "--listen", addr)
	dev.Dir, dev.Env = work, env
	devOut := &strings.Builder{}
	dev.Stdout, dev.Stderr = devOut, devOut
	if err := dev.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		dev.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { dev.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			dev.Process.Kill()
		}
	})
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if fi, err := os.Stat(filepath.Join(work, ".kafkaguard/dev/admin.properties")); err == nil && fi.Size() > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("dev up did not start:\n%s", devOut)
		}
	}

	for _, f := range files {
		bs := perFile[f]
		if len(bs) == 0 {
			continue
		}
		rel, _ := filepath.Rel(root, f)
		t.Run(rel, func(t *testing.T) {
			for i := range bs {
				bs[i].file = rel
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "bash", "-c", script(bs, addr))
			cmd.Dir, cmd.Env = work, env
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v\n%s", rel, err, tail(string(out), 60))
			}
		})
	}
}

func tail(s string, n int) string {
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// TestScriptSemantics pins what a doc block may do: exit 2 (findings) goes
// on, any other failure stops the file naming its block, dev up is left out.
func TestScriptSemantics(t *testing.T) {
	run := func(body string) (string, error) {
		s := script([]block{{file: "x.md", line: 3, kind: "run", body: body}}, "127.0.0.1:1")
		out, err := exec.Command("bash", "-c", s).CombinedOutput()
		return string(out), err
	}
	if out, err := run("(exit 2)\necho after-findings\n"); err != nil || !strings.Contains(out, "after-findings") {
		t.Errorf("exit 2 stopped the block: %v\n%s", err, out)
	}
	if out, err := run("false\necho after-failure\n"); err == nil || strings.Contains(out, "after-failure") || !strings.Contains(out, "docs-test: x.md:3: exit 1: false") {
		t.Errorf("a failure did not stop the block: %v\n%s", err, out)
	}
	if out, err := run("kafkaguard dev up --listen 127.0.0.1:9092\necho 127.0.0.1:9092\n"); err != nil || strings.TrimSpace(out) != "127.0.0.1:1" {
		t.Errorf("dev up line or address: %v\n%s", err, out)
	}
}
