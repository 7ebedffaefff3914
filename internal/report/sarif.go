package report

import (
	"encoding/json"
	"io"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kafkaguard/kafkaguard/internal/location"
)

func init() {
	register(Format{Name: "sarif", Usage: "SARIF 2.1.0 for code scanning", Kinds: KindFindings, Outputter: plain(renderSARIF)})
}

// SARIF 2.1.0 (OASIS), the subset GitHub code scanning and most viewers read:
// one run, the rules named by finding IDs, one result per finding.

const (
	sarifVersion = "2.1.0"
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	toolURI      = "https://github.com/kafkaguard/kafkaguard"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool              sarifTool              `json:"tool"`
	AutomationDetails *sarifAutomation       `json:"automationDetails,omitempty"`
	Invocations       []sarifInvocation      `json:"invocations"`
	Results           []sarifResult          `json:"results"`
	Properties        map[string]interface{} `json:"properties,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string            `json:"id"`
	Name                 string            `json:"name,omitempty"`
	ShortDescription     sarifText         `json:"shortDescription"`
	DefaultConfiguration sarifRuleConfig   `json:"defaultConfiguration"`
	Properties           map[string]string `json:"properties,omitempty"`
}

type sarifRuleConfig struct {
	Level string `json:"level"`
}

type sarifAutomation struct {
	ID string `json:"id"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	StartTimeUTC               string              `json:"startTimeUtc,omitempty"`
	EndTimeUTC                 string              `json:"endTimeUtc,omitempty"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

// sarifNotification reports a check that could not run (SARIF 3.58).
type sarifNotification struct {
	Level      string            `json:"level"`
	Message    sarifText         `json:"message"`
	Properties map[string]string `json:"properties,omitempty"`
}

type sarifResult struct {
	RuleID     string            `json:"ruleId"`
	RuleIndex  int               `json:"ruleIndex"`
	Level      string            `json:"level"`
	Message    sarifText         `json:"message"`
	Locations  []sarifLocation   `json:"locations,omitempty"`
	Properties map[string]string `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

type sarifLogical struct {
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind,omitempty"`
}

func sarifLevel(s Severity) string {
	switch s {
	case SeverityError:
		return "error"
	case SeverityWarning:
		return "warning"
	}
	return "note"
}

// ruleID is the finding's ID, or its check name when it has none: SARIF
// needs one for every result.
func ruleID(f Finding) string {
	if f.ID != "" {
		return f.ID
	}
	if f.Check != "" {
		return f.Check
	}
	return "kafkaguard"
}

func renderSARIF(w io.Writer, r Report) error {
	// Rules: one per distinct ID, sorted, so ruleIndex is stable.
	first := map[string]Finding{}
	var ids []string
	for _, f := range r.Findings {
		id := ruleID(f)
		if _, ok := first[id]; !ok {
			first[id] = f
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	index := map[string]int{}
	rules := []sarifRule{}
	for i, id := range ids {
		f := first[id]
		index[id] = i
		title := r.Rules[id]
		if title == "" {
			title = f.Check
		}
		if title == "" {
			title = id
		}
		rule := sarifRule{
			ID: id, Name: f.Check,
			ShortDescription:     sarifText{Text: title},
			DefaultConfiguration: sarifRuleConfig{Level: sarifLevel(f.Severity)},
		}
		if f.Check != "" {
			rule.Properties = map[string]string{"check": f.Check}
		}
		rules = append(rules, rule)
	}

	results := []sarifResult{}
	for _, f := range r.Findings {
		id := ruleID(f)
		msg := oneLine(f.Message)
		if f.Resource != "" && !strings.Contains(msg, f.Resource) {
			msg = f.Resource + ": " + msg
		}
		if f.Fix != "" {
			msg += " Fix: " + oneLine(f.Fix)
		}
		res := sarifResult{
			RuleID: id, RuleIndex: index[id], Level: sarifLevel(f.Severity),
			Message:    sarifText{Text: msg},
			Properties: map[string]string{"severity": f.Severity.String()},
		}
		if f.Check != "" {
			res.Properties["check"] = f.Check
		}
		if f.Cluster != "" {
			res.Properties["cluster"] = f.Cluster
		}
		if f.Resource != "" {
			res.Properties["resource"] = f.Resource
		}
		if f.Fix != "" {
			res.Properties["fix"] = oneLine(f.Fix)
		}
		var loc sarifLocation
		if f.Location != "" {
			file, line, col := location.Split(f.Location)
			loc.PhysicalLocation = &sarifPhysical{ArtifactLocation: sarifArtifact{URI: fileURI(file)}}
			if line > 0 {
				loc.PhysicalLocation.Region = &sarifRegion{StartLine: line, StartColumn: col}
			}
		}
		if f.Resource != "" {
			loc.LogicalLocations = []sarifLogical{{FullyQualifiedName: f.Resource, Kind: "resource"}}
		}
		if loc.PhysicalLocation != nil || loc.LogicalLocations != nil {
			res.Locations = []sarifLocation{loc}
		}
		results = append(results, res)
	}

	run := sarifRun{
		Tool:        sarifTool{Driver: sarifDriver{Name: "kafkaguard", InformationURI: toolURI, Rules: rules}},
		Invocations: []sarifInvocation{{ExecutionSuccessful: true}},
		Results:     results,
	}
	// A check that could not run makes the run unsuccessful: an empty result
	// list must not read as a clean cluster.
	for _, o := range r.Errored() {
		n := sarifNotification{Level: "error", Message: sarifText{Text: o.Check + " could not run: " + o.Error},
			Properties: map[string]string{"check": o.Check}}
		if o.Cluster != "" {
			n.Properties["cluster"] = o.Cluster
		}
		run.Invocations[0].ExecutionSuccessful = false
		run.Invocations[0].ToolExecutionNotifications = append(run.Invocations[0].ToolExecutionNotifications, n)
	}
	if !r.Started.IsZero() {
		run.Invocations[0].StartTimeUTC = r.Started.UTC().Format(time.RFC3339)
		run.Invocations[0].EndTimeUTC = r.Started.Add(r.Duration).UTC().Format(time.RFC3339)
	}
	if r.Cluster != "" || r.Tool != "" {
		// GitHub code scanning keeps one analysis per category: per tool and
		// cluster (the clusters joined with "+" when the run covers several).
		cat := strings.ReplaceAll(strings.TrimSpace(r.Tool), " ", "-")
		if len(r.Clusters) > 1 {
			cat = strings.Trim(cat+"/"+strings.Join(r.Clusters, "+"), "/")
		} else if r.Cluster != "" {
			cat = strings.Trim(cat+"/"+r.Cluster, "/")
		}
		run.AutomationDetails = &sarifAutomation{ID: cat + "/"}
	}
	if checks := r.AllChecks(); len(checks) > 0 {
		run.Properties = map[string]interface{}{"checks": checks}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{run}})
}

// fileURI turns a path into a SARIF artifact URI: relative paths stay
// relative (forward slashes), absolute ones become file:// URIs.
func fileURI(p string) string {
	slash := filepath.ToSlash(p)
	u := url.URL{Path: slash}
	if filepath.IsAbs(p) {
		u.Scheme = "file"
		if !strings.HasPrefix(u.Path, "/") {
			u.Path = "/" + u.Path
		}
	}
	return u.String()
}
