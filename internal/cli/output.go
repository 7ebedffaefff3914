package cli

import (
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/kafkaguard/kafkaguard/internal/report"
)

// auditKinds are what audit shows: findings, and metrics for monitoring.
const auditKinds = report.KindFindings | report.KindMetrics

// reportOutputFlag is -o for a command that shows kinds: its values and
// their help come from report's format registry, text first (the default).
func reportOutputFlag(kinds report.Kind) *ucli.StringFlag {
	fs := report.FormatsFor(kinds)
	flag := outputFlag(report.Names(fs)...)
	help := make([]string, len(fs))
	for i, f := range fs {
		help[i] = f.Name + " (" + f.Usage + ")"
	}
	flag.Usage = "output `FORMAT`: " + strings.Join(help, ", ")
	return flag
}

// formatChoices are the formats of kinds as a usage line shows them,
// "text|json|...".
func formatChoices(kinds report.Kind) string {
	return strings.Join(report.Names(report.FormatsFor(kinds)), "|")
}
