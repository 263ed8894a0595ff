package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
)

// historyEntry is one audit record of a finding, told for people.
type historyEntry struct {
	At      time.Time
	Who     string
	What    string // e.g. "Changed the status"
	Reason  string
	Changes []fieldChange
}

// fieldChange is one field's value before and after a change.
type fieldChange struct {
	Field, Before, After string
}

// What each audit code did to a finding.
var historyVerbs = map[string]string{
	audit.FindingCreated.ID:           "Recorded the finding",
	audit.FindingUpdated.ID:           "Changed the finding",
	audit.FindingStatusChanged.ID:     "Changed the status",
	audit.FindingCommented.ID:         "Added a comment",
	audit.FindingRiskRequested.ID:     "Asked for the risk to be accepted",
	audit.FindingRiskApproved.ID:      "Approved the risk acceptance",
	audit.FindingRiskRejected.ID:      "Rejected the risk acceptance",
	audit.FindingRiskExpired.ID:       "The risk acceptance expired; the finding reopened",
	audit.FindingSeverityChanged.ID:   "Changed the severity",
	audit.FindingDueDateRecomputed.ID: "Recomputed the due date",
}

// historyFieldLabels names the fields of a finding's audit snapshot; the
// order is the order changes are listed in.
var historyFieldLabels = []struct{ key, label string }{
	{"status", "Status"}, {"severity", "Severity"}, {"due_at", "Due"}, {"title", "Title"},
	{"description_sha256", "Description"}, {"duplicate_of", "Duplicate of"}, {"risk_acceptance", "Risk acceptance"},
	{"cvss_vector", "CVSS vector"}, {"cvss_score", "CVSS score"}, {"cwe", "CWE"},
	{"source", "Source"}, {"source_ref", "Source reference"}, {"system_id", "System"},
}

// describeHistory turns audit records into history entries.
func describeHistory(recs []audit.Record) []historyEntry {
	out := make([]historyEntry, 0, len(recs))
	for _, rec := range recs {
		e := historyEntry{At: rec.At, Who: rec.ActorLabel, What: historyVerbs[rec.Code]}
		if e.What == "" {
			e.What = humanise(strings.ReplaceAll(rec.Name, ".", " "))
			if e.What == "" {
				e.What = rec.Code
			}
		}
		if rec.Code != audit.FindingCreated.ID && rec.Code != audit.FindingCommented.ID {
			e.Changes, e.Reason = diffSnapshots(rec.Before, rec.After)
		}
		out = append(out, e)
	}
	return out
}

// diffSnapshots lists the fields that differ between two JSON objects
// and returns the "reason" the change was made for, if recorded. Input
// that is not a JSON object counts as empty.
func diffSnapshots(before, after []byte) ([]fieldChange, string) {
	b, a := jsonObject(before), jsonObject(after)
	reason, _ := a["reason"].(string)
	delete(a, "reason")
	delete(b, "reason")
	keys := map[string]bool{}
	for k := range b {
		keys[k] = true
	}
	for k := range a {
		keys[k] = true
	}
	var changes []fieldChange
	for _, fl := range historyFieldLabels {
		if keys[fl.key] {
			if c, ok := change(fl.key, fl.label, b[fl.key], a[fl.key]); ok {
				changes = append(changes, c)
			}
			delete(keys, fl.key)
		}
	}
	rest := make([]string, 0, len(keys))
	for k := range keys {
		rest = append(rest, k)
	}
	sort.Strings(rest)
	for _, k := range rest {
		if c, ok := change(k, humanise(k), b[k], a[k]); ok {
			changes = append(changes, c)
		}
	}
	return changes, reason
}

func change(key, label string, before, after any) (fieldChange, bool) {
	bj, _ := json.Marshal(before)
	aj, _ := json.Marshal(after)
	if bytes.Equal(bj, aj) {
		return fieldChange{}, false
	}
	if key == "description_sha256" {
		return fieldChange{Field: label, Before: "(earlier text)", After: "(new text)"}, true
	}
	c := fieldChange{Field: label, Before: showValue(key, before), After: showValue(key, after)}
	if c.Field == "" {
		c.Field = "(unnamed field)"
	}
	// Values that read the same (nothing and an empty text) are no change
	// to a reader.
	return c, c.Before != c.After
}

func jsonObject(raw []byte) map[string]any {
	m := map[string]any{}
	if len(raw) == 0 {
		return m
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil || m == nil {
		return map[string]any{}
	}
	return m
}

// showValue writes a snapshot value for people: dates as dates, nothing
// as a dash, a risk acceptance as a sentence.
func showValue(key string, v any) string {
	switch x := v.(type) {
	case nil:
		return "—"
	case string:
		if x == "" {
			return "—"
		}
		if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return t.UTC().Format("2 Jan 2006")
		}
		if key == "status" || key == "severity" {
			return humanise(x)
		}
		return x
	case bool:
		if x {
			return "yes"
		}
		return "no"
	case json.Number:
		return x.String()
	case map[string]any:
		if key == "risk_acceptance" {
			return showRisk(x)
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = humanise(k) + ": " + showValue(k, x[k])
		}
		return strings.Join(parts, "; ")
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = showValue("", e)
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(v)
}

func showRisk(m map[string]any) string {
	state := "approved"
	if p, _ := m["pending"].(bool); p {
		state = "requested"
	}
	s := state
	if exp := showValue("expires_at", m["expires_at"]); exp != "—" {
		s += ", until " + exp
	}
	if r, _ := m["reason"].(string); r != "" {
		s += ": " + r
	}
	return s
}
