// Command kafkaguard is a security policy engine for Apache Kafka clusters.
package main

import (
	"os"

	"github.com/kafkaguard/kafkaguard/internal/cli"
	"github.com/kafkaguard/kafkaguard/internal/gctune"
)

func main() {
	// The process runs one command: the collector may be set for the
	// inventory it loads.
	gctune.Enable()
	os.Exit(cli.Main(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
