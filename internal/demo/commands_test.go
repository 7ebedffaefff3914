package demo_test

import (
	"bytes"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kafkaguard/kafkaguard/internal/cli"
)

// TestDemoCommandLinesParseWithTheRealCLI runs the story and passes every
// kafkaguard command line it prints through the CLI itself with --help
// appended: an unknown command or flag, a flag missing its value or a
// required flag left out fails the parse (exit code 1) before any help is
// shown, so the printed lines cannot drift from the real commands.
func TestDemoCommandLinesParseWithTheRealCLI(t *testing.T) {
	o, out := runDemo(t, filepath.Join(t.TempDir(), "demo"))
	if len(o.Commands) < 10 {
		t.Fatalf("the story printed %d command lines: %q", len(o.Commands), o.Commands)
	}
	// Every kafkaguard command line in the story, the audit's fix hints in
	// running text too, is checked: a hint is the longest run of words it
	// shares with a recorded line, and must go on with prose, not a flag.
	lines := slices.Clone(o.Commands)
	cmdRE := regexp.MustCompile(`kafkaguard (?:pki|dev|policy|compile|users|plan|apply|audit|access)\b.*`)
	for _, text := range strings.Split(out.String(), "\n") {
		m := cmdRE.FindString(text)
		if m == "" {
			continue
		}
		words := strings.Fields(m)
		n := 0
		for _, c := range o.Commands {
			n = max(n, commonPrefix(words, strings.Fields(c)))
		}
		if n < len(words) && strings.HasPrefix(words[n], "-") {
			t.Errorf("the story prints %q, whose %s is in none of its recorded command lines", m, words[n])
		}
		lines = append(lines, strings.Join(words[:n], " "))
	}
	for _, line := range lines {
		args, err := shellWords(line)
		if err != nil {
			t.Errorf("%q: %v", line, err)
			continue
		}
		if len(args) < 2 || args[0] != "kafkaguard" {
			t.Errorf("%q is not a kafkaguard command line", line)
			continue
		}
		var stdout, stderr bytes.Buffer
		code := cli.Main(append(args, "--help"), strings.NewReader(""), &stdout, &stderr)
		if code != 0 || stderr.Len() > 0 {
			t.Errorf("%q does not parse: exit %d: %s", line, code, strings.TrimSpace(stderr.String()))
			continue
		}
		if !strings.Contains(stdout.String(), "USAGE:") {
			t.Errorf("%q --help shows no usage:\n%s", line, stdout.String())
		}
	}
}

func commonPrefix(a, b []string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// shellWords splits a command line as a POSIX shell would for the simple
// lines the demo prints: words, double- and single-quoted strings and a
// trailing comment.
func shellWords(line string) ([]string, error) {
	var (
		words  []string
		cur    strings.Builder
		inWord bool
		quote  byte // the quote (' or ") of the open quoted string, 0 outside one
	)
	for i := 0; i < len(line); i++ {
		ch := line[i]
		switch {
		case quote != 0 && ch == quote:
			quote = 0
		case quote != 0:
			cur.WriteByte(ch)
		case ch == '\'' || ch == '"':
			quote, inWord = ch, true
		case ch == '#' && !inWord:
			i = len(line)
		case ch == ' ' || ch == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case strings.IndexByte("'\\$`|&;<>()", ch) >= 0:
			return nil, &syntaxError{line, ch}
		default:
			cur.WriteByte(ch)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, &syntaxError{line, '"'}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

type syntaxError struct {
	line string
	ch   byte
}

func (e *syntaxError) Error() string {
	return "the test's splitter does not handle " + string(e.ch) + " (keep demo command lines simple)"
}

func TestShellWords(t *testing.T) {
	got, err := shellWords(`kafkaguard pki init --dir pki --cn "kafkaguard demo CA"  # a comment`)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"kafkaguard", "pki", "init", "--dir", "pki", "--cn", "kafkaguard demo CA"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	got, err = shellWords(`kafkaguard pki principal c.pem --mapping-rules 'RULE:^CN=([^,]+),.*$/$1/'`)
	if want := []string{"kafkaguard", "pki", "principal", "c.pem", "--mapping-rules", "RULE:^CN=([^,]+),.*$/$1/"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("got %q (%v), want %q", got, err, want)
	}
	if _, err := shellWords("kafkaguard policy check && kafkaguard compile"); err == nil {
		t.Error("&& is not refused")
	}
}
