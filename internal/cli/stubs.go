package cli

import ucli "github.com/urfave/cli/v2"

// Each stub below is replaced by the file that owns the noun.

func devCommand(e *env) *ucli.Command {
	return &ucli.Command{Name: "dev", Usage: "embedded dev cluster", Action: notYet("dev")}
}
