package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/kafkaguard/kafkaguard/internal/plan"
	"github.com/kafkaguard/kafkaguard/internal/scram"
)

// The users commands' part of the plan view: 'users plan' (text, json,
// markdown), the per-user results of 'users apply' and 'users rotate' (text,
// json), and 'users verify' (text, json).

// writeUsersPlan renders a users plan in format: its own text (with the
// users left alone) and json documents, else the plan format of that name
// over a plan of the users section alone.
func writeUsersPlan(w io.Writer, format string, p scram.UserPlan, st style) error {
	switch format {
	case "text":
		return writeUsersPlanText(w, p, st)
	case "json":
		return writeJSON(w, p.JSON())
	case "markdown":
		return writeUsersPlanMarkdown(w, p)
	}
	return fmt.Errorf("unknown output format %q", format)
}

// userChangeLines are the plan's changes as the plan shows them.
func userChangeLines(p scram.UserPlan) []plan.Change {
	out := make([]plan.Change, 0, len(p.Changes))
	for _, c := range p.Changes {
		out = append(out, c.PlanChange())
	}
	return out
}

// writeUsersPlanText writes a "SCRAM users" section with one line per change
// (+ create, ~ update or repair, - remove), the users left alone, and the summary line.
func writeUsersPlanText(w io.Writer, p scram.UserPlan, st style) error {
	var b strings.Builder
	b.WriteString("SCRAM users:\n")
	for _, c := range userChangeLines(p) {
		fmt.Fprintf(&b, "  %s\n", st.action(c.Action, changeLine(c)))
	}
	if len(p.LeftAlone) > 0 {
		b.WriteString("  Left alone:\n")
		for _, l := range p.LeftAlone {
			fmt.Fprintf(&b, "    User:%s: %s\n", l.User, l.Reason)
		}
	}
	b.WriteString(p.Summary() + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// writeUsersPlanMarkdown writes a users plan for a pull request comment.
func writeUsersPlanMarkdown(w io.Writer, p scram.UserPlan) error {
	var b strings.Builder
	fmt.Fprintf(&b, "### kafkaguard users plan\n\n**%s**\n", p.Summary())
	if changes := userChangeLines(p); len(changes) > 0 {
		b.WriteString("\n" + markdownDiff(changes))
	}
	if len(p.LeftAlone) > 0 {
		b.WriteString("\n#### Left alone\n\n")
		for _, l := range p.LeftAlone {
			b.WriteString(markdownItem("User:"+l.User, l.Reason))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// failedCount counts the failed results.
func failedCount(results []scram.Result) int {
	n := 0
	for _, r := range results {
		if r.Err != nil {
			n++
		}
	}
	return n
}

// unknownCount counts the results whose request got no answer.
func unknownCount(results []scram.Result) int {
	n := 0
	for _, r := range results {
		if r.Status() == "unknown" {
			n++
		}
	}
	return n
}

// doneSummary is "applied 2 of 3 user changes (1 failed)": how many of the
// results succeeded and how many failed (and, when there are any, how many
// got no answer: "(0 failed, 1 unknown)"), so that no count reads as
// success that was not.
func doneSummary(verb, noun string, results []scram.Result) string {
	notDone, unknown := failedCount(results), unknownCount(results)
	counts := fmt.Sprintf("%d failed", notDone-unknown)
	if unknown > 0 {
		counts += fmt.Sprintf(", %d unknown", unknown)
	}
	return fmt.Sprintf("%s %d of %s (%s)", verb, len(results)-notDone, plural(len(results), noun), counts)
}

// plural is "1 user", "2 users": n and noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// resultsError is the first failure of results, or with several how many of
// them (in noun: "user change", "rotation") failed and the first.
func resultsError(results []scram.Result, noun string) error {
	failed := failedCount(results)
	if failed == 0 {
		return nil
	}
	first := results[slices.IndexFunc(results, func(r scram.Result) bool { return r.Err != nil })].Err
	if failed == 1 {
		return first
	}
	return fmt.Errorf("%d of %s failed; first: %w", failed, plural(len(results), noun), first)
}

func writeUsersApplyText(w io.Writer, results []scram.Result) {
	var created, changed, removed, repaired, failed, unknown int
	for _, r := range results {
		switch r.Status() {
		case "failed":
			failed++
			fmt.Fprintf(w, "  ! User:%s %s failed: %s\n", r.User, r.Action, oneLine(r.Err.Error()))
			continue
		case "unknown":
			// Sent, but no answer came: the cluster may hold the change.
			unknown++
			fmt.Fprintf(w, "  ? User:%s %s unknown: %s\n", r.User, r.Action, oneLine(r.Err.Error()))
			continue
		}
		switch r.Action {
		case scram.ActionCreate:
			created++
		case scram.ActionUpdate:
			changed++
		case scram.ActionRemove:
			removed++
		case scram.ActionRepair:
			repaired++
		}
		line := fmt.Sprintf("  User:%s %s", r.User, map[string]string{scram.ActionCreate: "created", scram.ActionUpdate: "changed", scram.ActionRemove: "removed",
			scram.ActionRepair: "client configs regenerated"}[r.Action])
		if r.Note != "" {
			line += " (" + r.Note + ")"
		}
		fmt.Fprintln(w, line)
	}
	counts := fmt.Sprintf("%d created, %d changed, %d removed", created, changed, removed)
	if repaired > 0 {
		counts += fmt.Sprintf(", %d repaired", repaired)
	}
	counts += fmt.Sprintf(", %d failed", failed)
	if unknown > 0 {
		counts += fmt.Sprintf(", %d unknown (no answer: once the cluster answers, run apply again: it converges)", unknown)
	}
	fmt.Fprintf(w, "Users applied: %s.\n", counts)
}

type jsonResult struct {
	User   string `json:"user"`
	Action string `json:"action"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	Note   string `json:"note,omitempty"`
}

func toJSONResults(results []scram.Result) []jsonResult {
	out := make([]jsonResult, 0, len(results))
	for _, r := range results {
		j := jsonResult{User: r.User, Action: r.Action, Status: r.Status(), Note: r.Note}
		if r.Err != nil {
			j.Error = r.Err.Error()
		}
		out = append(out, j)
	}
	return out
}

func writeUsersResultsJSON(w io.Writer, results []scram.Result) error {
	return writeJSON(w, map[string]any{"results": toJSONResults(results)})
}

// writeRotateText writes one line per rotation and a summary.
func writeRotateText(w io.Writer, results []scram.Result) {
	for _, res := range results {
		if res.Err != nil {
			fmt.Fprintf(w, "  ! User:%s rotate failed: %s\n", res.User, res.Err)
			continue
		}
		fmt.Fprintf(w, "  User:%s rotated (%s)\n", res.User, res.Note)
	}
	fmt.Fprintf(w, "Rotated %d of %s, %d failed.\n", len(results)-failedCount(results), plural(len(results), "user"), failedCount(results))
}

// writeVerify writes the logins of 'users verify' in format (text, json).
func writeVerify(w io.Writer, format string, results []scram.VerifyResult) error {
	if format == "json" {
		if results == nil {
			results = []scram.VerifyResult{}
		}
		return writeJSON(w, results)
	}
	writeVerifyText(w, results)
	return nil
}

func writeVerifyText(w io.Writer, results []scram.VerifyResult) {
	if len(results) == 0 {
		fmt.Fprintln(w, "No SCRAM users declared in the inventory.")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USER\tMECHANISM\tSTATUS")
	counts := map[scram.LoginStatus]int{}
	for _, r := range results {
		status := string(r.Status)
		if r.Detail != "" {
			status += " (" + r.Detail + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.User, r.Mechanism, status)
		counts[r.Status]++
	}
	tw.Flush()
	var parts []string
	for _, st := range []scram.LoginStatus{scram.StatusOK, scram.StatusWrongPassword, scram.StatusMissing, scram.StatusNoSecret} {
		if counts[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
		}
	}
	fmt.Fprintf(w, "Verified %s: %s.\n", plural(len(results), "user"), strings.Join(parts, ", "))
}
