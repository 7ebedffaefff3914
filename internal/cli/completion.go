package cli

import (
	"fmt"

	ucli "github.com/urfave/cli/v2"
)

// The scripts call kafkaguard itself with urfave/cli's hidden
// --generate-bash-completion flag, so completions always match the binary.
const bashCompletion = `# kafkaguard bash completion. Load it with:
#   source <(kafkaguard completion bash)
_kafkaguard_complete() {
  local cur opts
  COMPREPLY=()
  cur="${COMP_WORDS[COMP_CWORD]}"
  if [[ "$cur" == "-"* ]]; then
    opts=$("${COMP_WORDS[@]:0:$COMP_CWORD}" "${cur}" --generate-bash-completion 2>/dev/null)
  else
    opts=$("${COMP_WORDS[@]:0:$COMP_CWORD}" --generate-bash-completion 2>/dev/null)
  fi
  COMPREPLY=($(compgen -W "${opts}" -- "${cur}"))
  return 0
}
complete -o bashdefault -o default -F _kafkaguard_complete kafkaguard
`

const zshCompletion = `#compdef kafkaguard
# kafkaguard zsh completion. Load it with:
#   source <(kafkaguard completion zsh)
_kafkaguard() {
  local -a opts
  local cur
  cur=${words[-1]}
  if [[ "$cur" == "-"* ]]; then
    opts=("${(@f)$(${words[@]:0:#words[@]-1} ${cur} --generate-bash-completion 2>/dev/null)}")
  else
    opts=("${(@f)$(${words[@]:0:#words[@]-1} --generate-bash-completion 2>/dev/null)}")
  fi
  if [[ "${opts[1]}" != "" ]]; then
    _describe 'values' opts
  else
    _files
  fi
}
if [ "$funcstack[1]" = "_kafkaguard" ]; then
  _kafkaguard "$@"
else
  compdef _kafkaguard kafkaguard
fi
`

func completionCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script (bash or zsh)",
		UsageText: "kafkaguard completion bash|zsh",
		Description: `Prints a completion script for your shell.

Examples:
  source <(kafkaguard completion bash)
  kafkaguard completion zsh > "${fpath[1]}/_kafkaguard"`,
		Action: func(c *ucli.Context) error {
			switch c.Args().First() {
			case "bash":
				fmt.Fprint(e.stdout, bashCompletion)
			case "zsh":
				fmt.Fprint(e.stdout, zshCompletion)
			case "":
				return withHint(fmt.Errorf("completion needs a shell name"), "kafkaguard completion bash|zsh")
			default:
				return fmt.Errorf("unknown shell %q (want bash or zsh)", c.Args().First())
			}
			return nil
		},
	}
}
