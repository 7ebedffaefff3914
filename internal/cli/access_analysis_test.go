package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
	ucli "github.com/urfave/cli/v2"

	"github.com/kafkaguard/kafkaguard/acl"
)

// run runs kafkaguard in-process and returns its exit code and stdout.
func run(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(append([]string{"kafkaguard"}, args...), strings.NewReader(""), &out, &errOut)
	if code == ExitError {
		t.Fatalf("kafkaguard %s: exit 1: %s", strings.Join(args, " "), errOut.String())
	}
	return code, out.String()
}

// scriptFiles extracts the files of a testscript archive into a temporary
// directory, so Go tests and scripts share one fixture.
func scriptFiles(t *testing.T, script string) string {
	t.Helper()
	a, err := txtar.ParseFile(filepath.Join("../../testdata/script", script))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range a.Files {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type diffJSON struct {
	Changes []struct {
		Principal    string   `json:"principal"`
		Operation    string   `json:"operation"`
		ResourceType string   `json:"resource_type"`
		ResourceName string   `json:"resource_name"`
		PatternType  string   `json:"pattern_type"`
		Host         string   `json:"host"`
		Change       string   `json:"change"`
		Risk         []string `json:"risk"`
		Example      string   `json:"example"`
	} `json:"changes"`
}

func readBindings(t *testing.T, path string) []acl.Binding {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	bs, err := acl.ParseJSON(path, data)
	if err != nil {
		t.Fatal(err)
	}
	return bs
}

// grid is the requests worth asking about two binding files: every
// principal, host and name they mention, one of each they do not, names
// just under each name, and every operation.
type grid struct {
	principals, hosts, names []string
}

func newGrid(t *testing.T, files ...string) grid {
	g := grid{principals: []string{"User:someone-new"}, hosts: []string{"*", "192.0.2.1"}, names: []string{"unrelated", "*"}}
	for _, f := range files {
		for _, b := range readBindings(t, f) {
			if b.Principal != "User:*" {
				g.principals = append(g.principals, b.Principal)
			}
			g.hosts = append(g.hosts, b.Host)
			g.names = append(g.names, b.ResourceName, b.ResourceName+"x")
		}
	}
	for _, s := range []*[]string{&g.principals, &g.hosts, &g.names} {
		slices.Sort(*s)
		*s = slices.Compact(*s)
	}
	return g
}

// each calls fn with every request of the grid, resource type by resource
// type (CLUSTER only as kafka-cluster).
func (g grid) each(fn func(principal, host, op, typ, name string)) {
	for _, typ := range []acl.ResourceType{acl.ResourceTopic, acl.ResourceGroup, acl.ResourceCluster} {
		names := g.names
		if typ == acl.ResourceCluster {
			names = []string{acl.ClusterName}
		}
		for _, name := range names {
			for _, h := range g.hosts {
				for _, op := range typ.Operations() {
					for _, p := range g.principals {
						fn(p, h, op.String(), typ.String(), name)
					}
				}
			}
		}
	}
}

// can is `access can`'s answer: true allowed (exit 0), false denied (exit 2).
func can(t *testing.T, file, principal, host, op, typ, name string) bool {
	code, _ := run(t, "access", "can", "--acls", file, "--host", host, principal, op, typ, "--", name)
	return code == ExitOK
}

// TestAccessDiffAgreesWithAccessCan runs access diff on the review pair of
// testdata/script/access_diff.txtar (literal -> prefix, DENY added, ALL
// split, host grant removed, redundant grant, User:*), then asks access can
// on both files: every reported change is one (for User:* also for a
// principal no binding names, for host * also for an unnamed host), and
// every request whose answer changed on the grid is covered by a reported
// row with the same change.
func TestAccessDiffAgreesWithAccessCan(t *testing.T) {
	dir := scriptFiles(t, "access_diff.txtar")
	base, head := filepath.Join(dir, "base.json"), filepath.Join(dir, "head.json")
	code, out := run(t, "access", "diff", "--base", base, "--head", head, "-o", "json")
	if code != ExitFindings {
		t.Fatalf("access diff exit %d, want 2", code)
	}
	var d diffJSON
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Changes) == 0 {
		t.Fatal("no changes reported")
	}
	for _, c := range d.Changes {
		principals, hosts := []string{c.Principal}, []string{c.Host}
		if c.Principal == "User:*" {
			principals = append(principals, "User:someone-new")
		}
		if c.Host == "*" {
			hosts = append(hosts, "192.0.2.1")
		}
		for _, p := range principals {
			for _, h := range hosts {
				before, after := can(t, base, p, h, c.Operation, c.ResourceType, c.Example), can(t, head, p, h, c.Operation, c.ResourceType, c.Example)
				if before == after || after != (c.Change == "gained") {
					t.Errorf("reported %+v; access can says %s from %s: base %v, head %v", c, p, h, before, after)
				}
			}
		}
	}
	newGrid(t, base, head).each(func(p, h, op, typ, name string) {
		before, after := can(t, base, p, h, op, typ, name), can(t, head, p, h, op, typ, name)
		if before == after {
			return
		}
		for _, c := range d.Changes {
			covers := c.PatternType == "PREFIXED" && strings.HasPrefix(name, c.ResourceName) ||
				c.PatternType == "LITERAL" && (c.ResourceName == name || c.ResourceName == "*")
			if c.Operation == op && c.ResourceType == typ && (c.Change == "gained") == after &&
				(c.Principal == p || c.Principal == "User:*") && (c.Host == h || c.Host == "*") && covers {
				return
			}
		}
		t.Errorf("access can: %s %s %s %q from %s changed (base %v, head %v); no reported row covers it", p, op, typ, name, h, before, after)
	})
}

// TestWhoCanAgreesWithAccessCan asks who-can about every operation on a grid
// of resources and hosts of a binding file, then access can for every
// principal the file names and one it does not: listed (or, unnamed,
// "anyone") exactly when access can allows.
func TestWhoCanAgreesWithAccessCan(t *testing.T) {
	dir := scriptFiles(t, "access_diff.txtar")
	for _, file := range []string{filepath.Join(dir, "head.json"), filepath.Join(dir, "same.json")} {
		g := newGrid(t, file)
		type question struct{ host, op, typ, name string }
		answers := map[question]struct {
			Principals []string `json:"principals"`
			Anyone     bool     `json:"anyone"`
		}{}
		g.each(func(p, h, op, typ, name string) {
			q := question{h, op, typ, name}
			w, ok := answers[q]
			if !ok {
				_, out := run(t, "access", "who-can", "--acls", file, "--host", h, "-o", "json", op, typ, "--", name)
				if err := json.Unmarshal([]byte(out), &w); err != nil {
					t.Fatal(err)
				}
				answers[q] = w
			}
			listed := slices.Contains(w.Principals, p) || (p == "User:someone-new" && w.Anyone)
			if allowed := can(t, file, p, h, op, typ, name); listed != allowed {
				t.Errorf("%s: who-can %s %s %q from %s: %v anyone=%v; access can %s: %v", filepath.Base(file), op, typ, name, h, w.Principals, w.Anyone, p, allowed)
			}
		})
	}
}

// TestAccessGraphDOTRendersWithGraphviz feeds the DOT output, hostile names
// included, to graphviz's dot.
func TestAccessGraphDOTRendersWithGraphviz(t *testing.T) {
	dotBin, err := exec.LookPath("dot")
	if err != nil {
		t.Skip("graphviz 'dot' is not installed (.ci/run installs it): the DOT output is not rendered")
	}
	dir := scriptFiles(t, "access_graph.txtar")
	for _, args := range [][]string{
		{"-f", filepath.Join(dir, "inventory.yaml")},
		{"--acls", filepath.Join(dir, "hostile.json")},
	} {
		_, out := run(t, append([]string{"access", "graph", "-o", "dot"}, args...)...)
		cmd := exec.Command(dotBin, "-Tsvg")
		cmd.Stdin = strings.NewReader(out)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		svg, err := cmd.Output()
		if err != nil || stderr.Len() > 0 {
			t.Fatalf("dot -Tsvg: %v: %s\ninput:\n%s", err, stderr.String(), out)
		}
		if !bytes.Contains(svg, []byte("<svg")) || !bytes.Contains(svg, []byte("class=\"edge\"")) {
			t.Fatalf("dot rendered no graph with edges:\n%s", svg)
		}
	}
}

// TestAccessCIExampleUsesRealFlags checks that every kafkaguard command line
// of examples/ci/access-diff.yaml names a command and flags that exist.
func TestAccessCIExampleUsesRealFlags(t *testing.T) {
	data, err := os.ReadFile("../../examples/ci/access-diff.yaml")
	if err != nil {
		t.Fatal(err)
	}
	app := newApp(&env{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, getenv: os.Getenv})
	n := 0
	for _, line := range strings.Split(string(data), "\n") {
		_, cmdline, ok := strings.Cut(line, "kafkaguard ")
		if !ok || strings.HasPrefix(strings.TrimSpace(line), "#") || strings.Contains(line, "releases/download") {
			continue
		}
		words := strings.Fields(cmdline)
		cmds := app.Commands
		var cmd *ucli.Command
		for len(words) > 0 && !strings.HasPrefix(words[0], "-") {
			i := slices.IndexFunc(cmds, func(c *ucli.Command) bool { return c.HasName(words[0]) })
			if i < 0 {
				break
			}
			cmd, cmds, words = cmds[i], cmds[i].Subcommands, words[1:]
		}
		if cmd == nil {
			continue // kafkaguard --version, or a path
		}
		n++
		for _, w := range words {
			if w == ";" || w == "};" || w == ">" || w == ">>" || w == "||" {
				break
			}
			if name, ok := strings.CutPrefix(w, "-"); ok && w != "-" {
				name = strings.TrimPrefix(name, "-")
				if findFlag(cmd.Flags, name) == nil {
					t.Errorf("%q: %s has no flag %s", strings.TrimSpace(line), cmd.HelpName, w)
				}
			}
		}
	}
	if n < 3 {
		t.Fatalf("found %d kafkaguard command lines in the example", n)
	}
}
