package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	ucli "github.com/urfave/cli/v2"
)

// Completion. The scripts call the binary they complete for — the word the
// user typed, whatever its path — with the hidden `__complete -- WORDS...`
// command; its first line says what to offer (words, files or dirs) and the
// rest are the words. So completions always match the binary, and the Go side
// decides: subcommands, flags after "-", formats after -o, files after -f and
// every flag that takes a FILE or DIR, and files after "--".

const bashCompletion = `# kafkaguard bash completion. Load it with:
#   source <(kafkaguard completion bash)
_kafkaguard_complete() {
  local cur="${COMP_WORDS[COMP_CWORD]}" bin="${COMP_WORDS[0]/#\~/$HOME}" out directive
  out=$("$bin" __complete -- "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) || return 0
  directive="${out%%$'\n'*}"
  case "$directive" in
    files) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
    dirs) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur")) ;;
    *) [[ "$out" == *$'\n'* ]] && out="${out#*$'\n'}" || out=""
       COMPREPLY=($(compgen -W "$out" -- "$cur")) ;;
  esac
  return 0
}
complete -o bashdefault -o default -F _kafkaguard_complete %s
`

const zshCompletion = `#compdef %s
# kafkaguard zsh completion. Load it with:
#   source <(kafkaguard completion zsh)
# or put it in a directory of $fpath as _kafkaguard.
_kafkaguard() {
  local -a out
  local bin="${words[1]/#\~/$HOME}"
  out=("${(@f)$("$bin" __complete -- "${(@)words[2,CURRENT]}" 2>/dev/null)}")
  case "${out[1]}" in
    files) _files ;;
    dirs) _files -/ ;;
    *) shift out; (( ${#out} )) && compadd -a out ;;
  esac
}
if [ "$funcstack[1]" = "_kafkaguard" ]; then
  _kafkaguard "$@"
else
  compdef _kafkaguard %s
fi
`

const fishCompletion = `# kafkaguard fish completion. Load it with:
#   kafkaguard completion fish | source
# or save it as ~/.config/fish/completions/kafkaguard.fish
function __kafkaguard_complete
    set -l tokens (commandline -opc)
    set -l cur (commandline -ct)
    set -l out ($tokens[1] __complete -- $tokens[2..-1] $cur 2>/dev/null)
    switch "$out[1]"
        case files
            __fish_complete_path $cur
        case dirs
            __fish_complete_directories $cur
        case '*'
            printf '%%s\n' $out[2..-1]
    end
end
complete -c %s -f -a '(__kafkaguard_complete)'
`

// completionNames are the command names a script registers: kafkaguard,
// and the binary's own name when it was renamed.
func completionNames(prog string) []string {
	names := []string{"kafkaguard"}
	if base := strings.TrimSuffix(filepath.Base(prog), ".exe"); base != "kafkaguard" && base != "." && base != "" && !strings.ContainsAny(base, " '\"$`\\;&|<>(){}") {
		names = append(names, base)
	}
	return names
}

func completionCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script (bash, zsh or fish)",
		UsageText: "kafkaguard completion bash|zsh|fish",
		Description: `Prints a completion script for your shell: commands, flags, file names
after -f and every flag that takes a file, formats after -o. It calls the
binary you typed, so it works with bin/kafkaguard or any path.

Examples:
  source <(kafkaguard completion bash)
  kafkaguard completion zsh > "${fpath[1]}/_kafkaguard"
  kafkaguard completion fish > ~/.config/fish/completions/kafkaguard.fish`,
		Action: func(c *ucli.Context) error {
			names := completionNames(os.Args[0])
			switch c.Args().First() {
			case "bash":
				fmt.Fprintf(e.stdout, bashCompletion, strings.Join(names, " "))
			case "zsh":
				fmt.Fprintf(e.stdout, zshCompletion, strings.Join(names, " "), strings.Join(names, " "))
			case "fish":
				for _, n := range names {
					fmt.Fprintf(e.stdout, fishCompletion, n)
				}
			case "":
				return withHint(fmt.Errorf("completion needs a shell name"), "kafkaguard completion bash|zsh|fish")
			default:
				return fmt.Errorf("unknown shell %q (want bash, zsh or fish)", c.Args().First())
			}
			return nil
		},
	}
}

// completeCommand is the hidden `__complete -- WORDS...` the scripts call.
func completeCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:            "__complete",
		Hidden:          true,
		SkipFlagParsing: true,
		Action: func(c *ucli.Context) error {
			words := c.Args().Slice()
			if len(words) > 0 && words[0] == "--" {
				words = words[1:]
			}
			directive, items := complete(c.App, words)
			fmt.Fprintln(e.stdout, directive)
			for _, it := range items {
				fmt.Fprintln(e.stdout, it)
			}
			return nil
		},
	}
}

// fileUsage marks a flag whose value is a path: its usage names a FILE,
// DIR or SOURCE placeholder.
var fileUsage = regexp.MustCompile("`(FILE|DIR|OUTDIR|SOURCE|PATH)`")

// complete returns what to offer for the last of words (the word being
// typed, maybe empty) after the ones before it.
func complete(app *ucli.App, words []string) (string, []string) {
	if len(words) == 0 {
		words = []string{""}
	}
	prior, cur := words[:len(words)-1], words[len(words)-1]
	cmds, flags := app.Commands, app.Flags
	var pending ucli.Flag // a flag still waiting for its value
	for _, w := range prior {
		if pending != nil {
			pending = nil
			continue
		}
		if w == "--" {
			return "files", nil
		}
		if strings.HasPrefix(w, "-") && len(w) > 1 {
			name, _, hasValue := strings.Cut(strings.TrimLeft(w, "-"), "=")
			if f := findFlag(flags, name); f != nil && takesValue(f) && !hasValue {
				pending = f
			}
			continue
		}
		for _, c := range cmds {
			if c.HasName(w) && !c.Hidden {
				cmds, flags = c.Subcommands, c.Flags
				break
			}
		}
	}
	if pending != nil {
		return valuesOf(pending)
	}
	if strings.HasPrefix(cur, "-") {
		var out []string
		for _, f := range flags {
			for _, n := range f.Names() {
				if len(n) == 1 {
					out = append(out, "-"+n)
				} else {
					out = append(out, "--"+n)
				}
			}
		}
		return "words", append(out, "--help")
	}
	var out []string
	for _, c := range cmds {
		if !c.Hidden {
			out = append(out, c.Name)
		}
	}
	if len(out) == 0 {
		return "files", nil // a command's arguments: often paths (policy test DIR)
	}
	return "words", out
}

func takesValue(f ucli.Flag) bool {
	if _, ok := f.(*ucli.BoolFlag); ok {
		return false
	}
	if d, ok := f.(ucli.DocGenerationFlag); ok {
		return d.TakesValue()
	}
	return true
}

// valuesOf is what a flag's value may be: the formats of -o, files for a
// path flag, nothing else.
func valuesOf(f ucli.Flag) (string, []string) {
	if sf, ok := f.(*ucli.StringFlag); ok && sf.Name == "output" {
		return "words", formatsOf(sf)
	}
	if d, ok := f.(ucli.DocGenerationFlag); ok && fileUsage.MatchString(d.GetUsage()) {
		if strings.Contains(d.GetUsage(), "`DIR`") && !strings.Contains(d.GetUsage(), "FILE") {
			return "dirs", nil
		}
		return "files", nil
	}
	return "words", nil
}

// formatsOf reads an -o flag's formats from the one place they live, the
// check in outputFlag's action, which names them when it refuses a value.
func formatsOf(f *ucli.StringFlag) []string {
	if f.Action == nil {
		return nil
	}
	err := f.Action(nil, "\x00")
	if err == nil {
		return nil
	}
	_, list, ok := strings.Cut(err.Error(), "(want one of ")
	if !ok {
		return nil
	}
	return strings.Split(strings.TrimSuffix(list, ")"), ", ")
}
