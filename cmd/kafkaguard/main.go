// Command kafkaguard is a security policy engine for Apache Kafka clusters.
package main

import (
	"os"

	"github.com/kafkaguard/kafkaguard/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
