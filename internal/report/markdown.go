package report

import (
	"fmt"
	"io"

	"github.com/kafkaguard/kafkaguard/internal/textsafe"
)

func init() {
	register(Format{Name: "markdown", Usage: "a table, for pull request comments", Kinds: KindFindings, Outputter: plain(renderMarkdown)})
}

// renderMarkdown writes the findings as a GitHub-flavoured Markdown table,
// for a pull request comment or a job summary ($GITHUB_STEP_SUMMARY):
//
//	### kafkaguard audit
//
//	| Severity | ID | Check | Resource | Message | Fix | Location |
//	| --- | --- | --- | --- | --- | --- | --- |
//	| error | KG101 | acl-drift | User:orders-api ... | binding ... | kafkaguard apply ... | inventory.yaml:12 |
//
//	3 findings (1 error, 2 warnings) from 5 checks on cluster prod-eu in 1.234s.
//
// A report that covers several clusters has a Cluster column; checks that
// could not run get a table of their own. Every cell is textsafe.Markdown:
// one line, Markdown's and HTML's special characters escaped, so a hostile
// name can neither break the table nor format or link anything.
func renderMarkdown(bw io.Writer, r Report) error {
	tool := r.Tool
	if tool == "" {
		tool = "kafkaguard"
	}
	fmt.Fprintf(bw, "### %s\n\n", textsafe.Markdown(tool))
	if len(r.Findings) > 0 {
		cols := []string{"Severity", "ID", "Check", "Resource", "Message", "Fix", "Location"}
		several := len(r.Clusters) > 1
		if several {
			cols = append([]string{"Cluster"}, cols...)
		}
		mdRow(bw, cols...)
		mdRow(bw, slicesRepeat("---", len(cols))...)
		for _, f := range r.Findings {
			cells := []string{f.Severity.String(), f.ID, f.Check, f.Resource, f.Message, f.Fix, f.Location}
			if several {
				cells = append([]string{f.Cluster}, cells...)
			}
			mdRow(bw, cells...)
		}
		fmt.Fprintln(bw)
	}
	if errored := r.Errored(); len(errored) > 0 {
		fmt.Fprint(bw, "**Could not run**\n\n")
		mdRow(bw, "Check", "Error")
		mdRow(bw, "---", "---")
		for _, o := range errored {
			mdRow(bw, o.Check, o.Error)
		}
		fmt.Fprintln(bw)
	}
	_, err := fmt.Fprintln(bw, textsafe.Markdown(Summary(r)))
	return err
}

func slicesRepeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// mdRow writes one table row; cells are escaped.
func mdRow(w io.Writer, cells ...string) {
	row := "|"
	for _, c := range cells {
		if c != "---" {
			c = textsafe.Markdown(c)
		}
		row += " " + c + " |"
	}
	io.WriteString(w, row+"\n")
}
