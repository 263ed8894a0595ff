package imports

import (
	"strings"
	"testing"
)

func item(fp, severity string) Item {
	return Item{Fingerprint: fp, Title: "t-" + fp, Severity: severity, RuleID: "r"}
}

func prev(fp, status, severity string) Previous {
	it := item(fp, severity)
	return it.AsPrevious("F"+fp, status)
}

func TestReconcile(t *testing.T) {
	dismissed := func(fp, as string) Item {
		it := item(fp, "high")
		it.Dismissed, it.DismissedAs = "VEX analysis: not_affected", as
		return it
	}
	changedText := item("a", "high")
	changedText.Description = "new text"
	for _, tc := range []struct {
		name    string
		prev    []Previous
		items   []Item
		want    Counts
		actions map[string]Action // fingerprint → action
		status  map[string]string // fingerprint → status set
	}{
		{"first import creates", nil, []Item{item("a", "high"), item("b", "low")},
			Counts{Created: 2}, map[string]Action{"a": Create, "b": Create}, map[string]string{"a": "open"}},
		{"same file twice creates nothing", []Previous{prev("a", "open", "high"), prev("b", "in-progress", "low")}, []Item{item("a", "high"), item("b", "low")},
			Counts{Unchanged: 2}, map[string]Action{"a": Unchanged, "b": Unchanged}, nil},
		{"absent open finding closes as fixed", []Previous{prev("a", "open", "high"), prev("b", "in-progress", "low")}, []Item{item("a", "high")},
			Counts{Unchanged: 1, Closed: 1}, map[string]Action{"b": Close}, map[string]string{"b": "fixed"}},
		{"fixed finding found again reopens", []Previous{prev("a", "fixed", "high")}, []Item{item("a", "high")},
			Counts{Reopened: 1}, map[string]Action{"a": Reopen}, map[string]string{"a": "open"}},
		{"severity change is an update, not new", []Previous{prev("a", "open", "medium")}, []Item{item("a", "high")},
			Counts{Updated: 1}, map[string]Action{"a": Update}, nil},
		{"text change is an update", []Previous{prev("a", "open", "high")}, []Item{changedText},
			Counts{Updated: 1}, map[string]Action{"a": Update}, nil},
		{"a person's false positive stands", []Previous{prev("a", "false-positive", "high")}, []Item{item("a", "high")},
			Counts{Unchanged: 1}, map[string]Action{"a": Unchanged}, nil},
		{"risk-accepted and absent stays", []Previous{prev("a", "risk-accepted", "high"), prev("b", "duplicate", "low"), prev("c", "fixed", "low")}, nil,
			Counts{}, map[string]Action{}, nil},
		{"dismissed by VEX closes an open finding", []Previous{prev("a", "open", "high"), prev("b", "open", "high")}, []Item{dismissed("a", "false-positive"), dismissed("b", "fixed")},
			Counts{Closed: 2}, map[string]Action{"a": Close, "b": Close}, map[string]string{"a": "false-positive", "b": "fixed"}},
		{"dismissed with no finding is ignored", nil, []Item{dismissed("a", "false-positive")},
			Counts{}, map[string]Action{}, nil},
		{"dismissed and already closed is unchanged", []Previous{prev("a", "fixed", "high")}, []Item{dismissed("a", "fixed")},
			Counts{Unchanged: 1}, map[string]Action{"a": Unchanged}, nil},
		{"a repeated fingerprint counts once", nil, []Item{item("a", "high"), item("a", "high")},
			Counts{Created: 1}, map[string]Action{"a": Create}, nil},
		{"everything at once", []Previous{prev("keep", "open", "low"), prev("gone", "open", "low"), prev("back", "fixed", "low"), prev("sev", "open", "low")},
			[]Item{item("keep", "low"), item("back", "low"), item("sev", "critical"), item("new", "info")},
			Counts{Created: 1, Updated: 1, Unchanged: 1, Reopened: 1, Closed: 1},
			map[string]Action{"keep": Unchanged, "gone": Close, "back": Reopen, "sev": Update, "new": Create}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			changes, got := Reconcile(tc.prev, tc.items, "sarif import of 2026-12-04")
			if got != tc.want {
				t.Errorf("counts %+v, want %+v", got, tc.want)
			}
			acts := map[string]Action{}
			for _, c := range changes {
				fp := ""
				if c.Item != nil {
					fp = c.Item.Fingerprint
				} else {
					fp = c.Previous.Fingerprint
				}
				acts[fp] = c.Action
				if want, ok := tc.status[fp]; ok && c.Status != want {
					t.Errorf("%s: status %q, want %q", fp, c.Status, want)
				}
				if c.Action == Close && !strings.Contains(c.Reason, "sarif import of 2026-12-04") {
					t.Errorf("%s: close reason %q does not name the import", fp, c.Reason)
				}
				if c.Action == Update && fp == "sev" && c.SeverityFrom != "low" {
					t.Errorf("severity change not reported: %+v", c)
				}
			}
			for fp, want := range tc.actions {
				if acts[fp] != want {
					t.Errorf("%s: action %q, want %q", fp, acts[fp], want)
				}
			}
			if len(tc.actions) == 0 && len(changes) != 0 {
				t.Errorf("changes %+v, want none", changes)
			}
		})
	}
}

// TestReconcilerStreams: Add and Finish give the same answer as Reconcile
// and Finish's closes come in a stable order.
func TestReconcilerStreams(t *testing.T) {
	p := []Previous{prev("c", "open", "low"), prev("a", "open", "low"), prev("b", "open", "low")}
	r := NewReconciler(p, "x")
	if c := r.Add(item("b", "low")); c.Action != Unchanged {
		t.Fatalf("b: %v", c.Action)
	}
	closes := r.Finish()
	if len(closes) != 2 || closes[0].Previous.Fingerprint != "a" || closes[1].Previous.Fingerprint != "c" {
		t.Errorf("closes = %+v", closes)
	}
	if r.Counts() != (Counts{Unchanged: 1, Closed: 2}) {
		t.Errorf("counts %+v", r.Counts())
	}
}
