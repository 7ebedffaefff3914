package cli

import (
	"fmt"

	ucli "github.com/urfave/cli/v2"
)

// manCommand prints kafkaguard(1), generated from the command tree itself so
// the man page never disagrees with --help. `make man` writes it to
// build/man/kafkaguard.1; the release archives ship it.
func manCommand(e *env) *ucli.Command {
	return &ucli.Command{
		Name:      "man",
		Usage:     "print the kafkaguard(1) man page (roff)",
		UsageText: "kafkaguard man > kafkaguard.1",
		Hidden:    true,
		Action: func(c *ucli.Context) error {
			page, err := c.App.ToManWithSection(1)
			if err != nil {
				return fmt.Errorf("render man page: %w", err)
			}
			_, err = fmt.Fprint(e.stdout, page)
			return err
		},
	}
}
