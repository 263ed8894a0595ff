package ui

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kubu-gov/kubu/internal/audit"
)

func TestDiffSnapshots(t *testing.T) {
	tests := []struct {
		name          string
		before, after string
		want          []fieldChange
		reason        string
	}{
		{"status with reason", `{"status":"open","severity":"high","due_at":"2026-02-01T10:00:00Z"}`,
			`{"status":"in-progress","severity":"high","due_at":"2026-02-01T10:00:00Z","reason":"vendor engaged"}`,
			[]fieldChange{{"Status", "Open", "In progress"}}, "vendor engaged"},
		{"severity moves the due date", `{"severity":"high","due_at":"2026-02-01T10:00:00Z"}`, `{"severity":"critical","due_at":"2026-01-16T10:00:00Z"}`,
			[]fieldChange{{"Severity", "High", "Critical"}, {"Due", "1 Feb 2026", "16 Jan 2026"}}, ""},
		{"description is a hash", `{"description_sha256":"aa"}`, `{"description_sha256":"bb"}`,
			[]fieldChange{{"Description", "(earlier text)", "(new text)"}}, ""},
		{"risk acceptance", `{"risk_acceptance":null}`, `{"risk_acceptance":{"reason":"WAF","requested_by":"u1","expires_at":"2026-05-01T23:59:59.999Z","pending":true}}`,
			[]fieldChange{{"Risk acceptance", "—", "requested, until 1 May 2026: WAF"}}, ""},
		{"numbers and unknown fields", `{"cvss_score":5.4,"zeta":1}`, `{"cvss_score":7.5,"zeta":1,"alpha":[1,true]}`,
			[]fieldChange{{"CVSS score", "5.4", "7.5"}, {"Alpha", "—", "1, yes"}}, ""},
		{"nothing before", ``, `{"title":"X"}`, []fieldChange{{"Title", "—", "X"}}, ""},
		{"not objects", `[1]`, `"x"`, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason := diffSnapshots([]byte(tt.before), []byte(tt.after))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
			if reason != tt.reason {
				t.Errorf("reason %q, want %q", reason, tt.reason)
			}
		})
	}
}

func TestDescribeHistory(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	recs := []audit.Record{
		{Code: audit.FindingCommented.ID, ActorLabel: "a@example.gov", At: at, After: json.RawMessage(`{"comment_id":"c1","body_sha256":"x"}`)},
		{Code: audit.FindingStatusChanged.ID, ActorLabel: "b@example.gov", At: at, Before: json.RawMessage(`{"status":"open"}`), After: json.RawMessage(`{"status":"fixed"}`)},
		{Code: audit.FindingCreated.ID, ActorLabel: "kubu command line", At: at, After: json.RawMessage(`{"status":"open"}`)},
		{Code: "Z9999I", Name: "zeta.thing_done", ActorLabel: "kubu", At: at},
	}
	want := []historyEntry{
		{At: at, Who: "a@example.gov", What: "Added a comment"},
		{At: at, Who: "b@example.gov", What: "Changed the status", Changes: []fieldChange{{"Status", "Open", "Fixed"}}},
		{At: at, Who: "kubu command line", What: "Recorded the finding"},
		{At: at, Who: "kubu", What: "Zeta thing done"},
	}
	if diff := cmp.Diff(want, describeHistory(recs)); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
}

// FuzzDiffSnapshots: any before and after, valid JSON or not, give a
// list of changes without panicking, and a snapshot never differs from
// itself.
func FuzzDiffSnapshots(f *testing.F) {
	f.Add([]byte(`{"status":"open","due_at":"2026-02-01T10:00:00Z"}`), []byte(`{"status":"fixed","reason":"done"}`))
	f.Add([]byte(`{"risk_acceptance":{"pending":true,"expires_at":"x"}}`), []byte(`{"risk_acceptance":{"pending":"yes"}}`))
	f.Add([]byte(`{"a":{"b":{"c":[1,{"d":null}]}}}`), []byte(`null`))
	f.Add([]byte(`{`), []byte(`{"reason":5}`))
	f.Fuzz(func(t *testing.T, before, after []byte) {
		changes, _ := diffSnapshots(before, after)
		for _, c := range changes {
			if c.Field == "" {
				t.Fatalf("a change without a field: %+v", c)
			}
		}
		if same, _ := diffSnapshots(after, after); len(same) != 0 {
			t.Fatalf("a snapshot differs from itself: %+v", same)
		}
	})
}
