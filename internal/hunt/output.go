package hunt

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Formats are the output formats Write accepts.
var Formats = []string{"jsonl", "csv", "table"}

// Write writes the timeline in the named format.
func Write(w io.Writer, format string, ds []Detection) error {
	switch format {
	case "jsonl":
		return WriteJSONL(w, ds)
	case "csv":
		return WriteCSV(w, ds)
	case "table":
		return WriteTable(w, ds)
	}
	return fmt.Errorf("unknown format %q (want jsonl, csv or table)", format)
}

// jsonlLine is one detection in the JSON Lines output; the field order is
// the contract's.
type jsonlLine struct {
	RuleID    string          `json:"rule_id"`
	RuleTitle string          `json:"rule_title"`
	Level     string          `json:"level"`
	Tags      []string        `json:"tags"`
	Timestamp *string         `json:"timestamp"`
	Source    string          `json:"source"`
	Event     json.RawMessage `json:"event"`
	Authors   []string        `json:"authors"`
}

// WriteJSONL writes one JSON object per detection and line:
// rule_id, rule_title, level, tags, timestamp (RFC 3339, UTC; null when
// the event has no time), source (FILE#RECORD), event and authors.
func WriteJSONL(w io.Writer, ds []Detection) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i := range ds {
		d := &ds[i]
		tags := d.Rule.Tags
		if tags == nil {
			tags = []string{}
		}
		line := jsonlLine{RuleID: d.Rule.ID, RuleTitle: d.Rule.Title, Level: d.Rule.Level, Tags: tags,
			Source: d.Source(), Event: d.Event, Authors: Authors(d.Rule)}
		if ts := timestamp(d.Time); ts != "" {
			line.Timestamp = &ts
		}
		if err := enc.Encode(line); err != nil {
			return fmt.Errorf("write jsonl: %w", err)
		}
	}
	return bw.Flush()
}

// csvHeader names the CSV columns.
var csvHeader = []string{"timestamp", "level", "rule_title", "rule_id", "source", "authors", "tags", "event"}

// WriteCSV writes a header row and one row per detection; authors and
// tags are joined with "; " and the event is its JSON text.
func WriteCSV(w io.Writer, ds []Detection) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	for i := range ds {
		d := &ds[i]
		row := []string{timestamp(d.Time), d.Rule.Level, d.Rule.Title, d.Rule.ID, d.Source(),
			strings.Join(Authors(d.Rule), "; "), strings.Join(d.Rule.Tags, "; "), string(d.Event)}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// timestamp formats an event time for output; empty when unknown.
func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
