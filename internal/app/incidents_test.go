package app_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

// insertAlert stores an alert as detection makes one (detection's own
// tests cover how alerts are raised).
func (ta *testApp) insertAlert(t *testing.T, agency, level, title, host string, firstSeen time.Time) string {
	t.Helper()
	aid := id.New()
	rank := map[string]int{"low": 1, "medium": 2, "high": 3, "critical": 4}[level]
	err := ta.DB.Tx(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO alerts (id, rule_id, rule_title, level, level_rank, tags, agency_id, agency, kind, hunt_id, group_key,
			group_fields, status, first_seen, last_seen, event_count, created_at, updated_at)
			VALUES ($1,$2,$3,$4,$5,'["attack.t1566.001"]',$6,$7,'detection','',$8,$8,'open',$9,$9,1,$10,$10)`,
			aid, "rule-"+title, title, level, rank, ta.ids[agency], agency, fmt.Sprintf(`{"host":%q}`, host), firstSeen.UnixMilli(), time.Now().UnixMilli())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return aid
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func errCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// TestIncidentContract walks contract §6 over HTTP on both engines.
func TestIncidentContract(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ta := newTestApp(t, db.Engine)
		first := time.Now().Add(-2 * time.Hour).UTC().Truncate(time.Millisecond)
		mohAl := ta.insertAlert(t, "MOH", "critical", "Phishing link clicked", "ws01", first)
		moeAl := ta.insertAlert(t, "MOE", "high", "Phishing link clicked", "pc77", first.Add(time.Hour))

		code, inc := ta.do(t, "analyst", "POST", "/api/v1/incidents", map[string]any{"title": "Phishing wave", "severity": "high", "category": "phishing",
			"agencies": []string{"MOH"}, "description": "Staff got a fake payroll mail.", "alert_ids": []string{mohAl, moeAl}})
		if code != 201 || inc["id"] == "" || inc["status"] != "new" || inc["title"] != "Phishing wave" || inc["severity"] != "high" ||
			inc["category"] != "phishing" || inc["description"] != "Staff got a fake payroll mail." ||
			!slices.Equal(strs(inc["agencies"]), []string{"MOE", "MOH"}) || len(inc["alert_ids"].([]any)) != 2 {
			t.Fatalf("create: %d %v", code, inc)
		}
		iid := inc["id"].(string)
		clocks := inc["clocks"].(map[string]any)
		for _, k := range []string{"acknowledged_at", "contained_at", "recovered_at", "closed_at", "time_to_acknowledge_s", "time_to_contain_s", "time_to_recover_s", "breached"} {
			if _, ok := clocks[k]; !ok {
				t.Fatalf("clocks lack %s: %v", k, clocks)
			}
		}
		if clocks["started_at"] != first.Format("2006-01-02T15:04:05.999Z07:00") || clocks["acknowledged_at"] != nil {
			t.Fatalf("clocks start at the earliest alert's first event: %v (first %v)", clocks, first)
		}
		if !slices.Equal(strs(clocks["breached"]), []string{"acknowledge"}) { // high: acknowledge within 1 h, started 2 h ago
			t.Fatalf("breached %v", clocks["breached"])
		}

		// The queue and its filters.
		for q, want := range map[string]int{"": 1, "?status=new&agency=MOH&severity=high": 1, "?status=closed": 0, "?agency=MOE": 1,
			"?severity=low": 0, "?breached=true": 1, "?agency=NOPE": 0} {
			code, page := ta.do(t, "analyst", "GET", "/api/v1/incidents"+q, nil)
			if code != 200 || len(page["items"].([]any)) != want {
				t.Fatalf("queue %q: %d %v", q, code, page)
			}
		}
		if code, body := ta.do(t, "analyst", "GET", "/api/v1/incidents?status=done", nil); code != 400 {
			t.Fatalf("bad status filter: %d %v", code, body)
		}

		// The lifecycle: ahead freely, back with a note, never to itself.
		code, body := ta.do(t, "analyst", "POST", "/api/v1/incidents/"+iid+"/status", map[string]any{"status": "contained"})
		if code != 200 || body["status"] != "contained" || body["clocks"].(map[string]any)["contained_at"] == nil ||
			body["clocks"].(map[string]any)["acknowledged_at"] == nil || body["clocks"].(map[string]any)["time_to_contain_s"] == nil {
			t.Fatalf("→ contained: %d %v", code, body)
		}
		for _, c := range []struct {
			body string
			code int
		}{
			{`{"status":"analysing"}`, 409},
			{`{"status":"contained","note":"again"}`, 409},
			{`{"status":"closed"}`, 409}, // high: no review yet
			{`{"status":"finished"}`, 400},
			{`{"status":"analysing","note":"found a second mailbox rule"}`, 200},
		} {
			if code, body := ta.do(t, "analyst", "POST", "/api/v1/incidents/"+iid+"/status", c.body); code != c.code {
				t.Fatalf("status %s: %d %v, want %d", c.body, code, body, c.code)
			} else if c.code == 409 && errCode(body) != "conflict" {
				t.Fatalf("status %s: error %v", c.body, body)
			}
		}

		// Alerts join at most one incident.
		extra := ta.insertAlert(t, "MOH", "medium", "Mail rule created", "ws01", first.Add(30*time.Minute))
		if code, body := ta.do(t, "analyst", "POST", "/api/v1/incidents/"+iid+"/alerts", map[string]any{"alert_ids": []string{extra}}); code != 200 || len(body["alert_ids"].([]any)) != 3 {
			t.Fatalf("link alert: %d %v", code, body)
		}
		code, other := ta.do(t, "analyst", "POST", "/api/v1/incidents", map[string]any{"title": "Other", "severity": "low", "category": "other", "agencies": []string{"MOH"}})
		if code != 201 {
			t.Fatalf("second incident: %d %v", code, other)
		}
		if code, body := ta.do(t, "analyst", "POST", "/api/v1/incidents/"+other["id"].(string)+"/alerts", map[string]any{"alert_ids": []string{extra}}); code != 409 {
			t.Fatalf("an alert in two incidents: %d %v", code, body)
		}

		// The timeline: every change by itself, and people's entries with their own time.
		at := first.Add(10 * time.Minute)
		code, body = ta.do(t, "a-member", "POST", "/api/v1/incidents/"+iid+"/timeline", map[string]any{"at": at.Format(time.RFC3339Nano), "text": "User reported the mail to the helpdesk"})
		if code != 201 || body["kind"] != "note" {
			t.Fatalf("timeline entry: %d %v", code, body)
		}
		code, body = ta.do(t, "a-member", "POST", "/api/v1/incidents/"+iid+"/tasks", map[string]any{"title": "Pull the mail from every inbox", "assignee": "member@moh.example.gov", "status": "open"})
		if code != 201 || body["assignee"] != "member@moh.example.gov" {
			t.Fatalf("task: %d %v", code, body)
		}
		tid := body["id"].(string)
		if code, body := ta.do(t, "analyst", "PATCH", "/api/v1/incidents/"+iid+"/tasks/"+tid, map[string]any{"status": "done"}); code != 200 || body["status"] != "done" {
			t.Fatalf("task done: %d %v", code, body)
		}
		if code, body := ta.do(t, "analyst", "POST", "/api/v1/incidents/"+iid+"/observables", map[string]any{"type": "domain", "value": "Payroll-Update.example", "tlp": "amber"}); code != 201 || body["value"] != "payroll-update.example" {
			t.Fatalf("observable: %d %v", code, body)
		}
		if code, body := ta.do(t, "analyst", "POST", "/api/v1/incidents/"+iid+"/observables", map[string]any{"type": "domain", "value": "payroll-update.example.", "tlp": "amber"}); code != 200 || body["duplicate"] != true {
			t.Fatalf("observable again: %d %v", code, body)
		}
		code, tl := ta.do(t, "analyst", "GET", "/api/v1/incidents/"+iid+"/timeline", nil)
		if code != 200 {
			t.Fatalf("timeline: %d %v", code, tl)
		}
		kinds := map[string]int{}
		var prev string
		var sawNote bool
		for i, x := range tl["items"].([]any) {
			e := x.(map[string]any)
			for _, k := range []string{"at", "kind", "actor", "text"} {
				if _, ok := e[k]; !ok {
					t.Fatalf("entry %d lacks %s: %v", i, k, e)
				}
			}
			if a := e["at"].(string); a < prev && len(a) == len(prev) {
				t.Fatalf("timeline not oldest first at %d: %v", i, tl)
			}
			prev = e["at"].(string)
			kinds[e["kind"].(string)]++
			if e["kind"] == "note" {
				sawNote = i == 0 // its own time is before everything else
			}
		}
		if !sawNote || kinds["status"] != 2 || kinds["alert"] != 3 || kinds["observable"] != 1 || kinds["task"] < 3 {
			t.Fatalf("timeline kinds %v (note first: %v): %v", kinds, sawNote, tl)
		}

		// Tenancy: each agency's member sees its own linked alerts, the others as a count.
		for who, want := range map[string][]string{"a-member": {mohAl, extra}, "b-member": {moeAl}} {
			code, body := ta.do(t, who, "GET", "/api/v1/incidents/"+iid, nil)
			got := strs(body["alert_ids"])
			slices.Sort(got)
			slices.Sort(want)
			if code != 200 || !slices.Equal(got, want) || int(body["alerts_hidden"].(float64)) != 3-len(want) {
				t.Fatalf("%s sees %d %v", who, code, body)
			}
		}
		// An agency not on the incident gets 404 for it and its timeline, like a made-up id.
		for _, path := range []string{"/api/v1/incidents/" + other["id"].(string), "/api/v1/incidents/" + other["id"].(string) + "/timeline"} {
			code, hidden := ta.do(t, "b-member", "GET", path, nil)
			_, missing := ta.do(t, "b-member", "GET", "/api/v1/incidents/01m8jhcf27vr9jkzj71yw85x8a", nil)
			if code != 404 || fmt.Sprint(hidden) != fmt.Sprint(missing) {
				t.Fatalf("%s as MOE: %d %v (missing: %v)", path, code, hidden, missing)
			}
		}
		if code, _ := ta.do(t, "triager", "GET", "/api/v1/incidents", nil); code != http.StatusForbidden {
			t.Fatalf("triager lists incidents: %d", code)
		}
		if code, _ := ta.do(t, "", "GET", "/api/v1/incidents", nil); code != http.StatusUnauthorized {
			t.Fatalf("anonymous lists incidents: %d", code)
		}
		if code, _ := ta.do(t, "b-member", "POST", "/api/v1/incidents/"+other["id"].(string)+"/status", `{"status":"analysing"}`); code != 404 {
			t.Fatalf("MOE moves MOH's incident: %d", code)
		}

		// Metrics per agency and severity.
		code, m := ta.do(t, "analyst", "GET", "/api/v1/incidents/metrics?from="+time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), nil)
		if code != 200 || len(m["rows"].([]any)) != 3 { // MOE/high, MOH/high, MOH/low
			t.Fatalf("metrics: %d %v", code, m)
		}
		row := m["rows"].([]any)[0].(map[string]any)
		if row["agency"] != "MOE" || row["count"].(float64) != 1 || row["breaches"].(float64) != 1 || row["acknowledge"].(map[string]any)["median_s"] == nil {
			t.Fatalf("metrics row %v", row)
		}
		if code, m := ta.do(t, "b-member", "GET", "/api/v1/incidents/metrics", nil); code != 200 || len(m["rows"].([]any)) != 1 {
			t.Fatalf("MOE's metrics: %d %v", code, m)
		}
		if code, _ := ta.do(t, "analyst", "GET", "/api/v1/incidents/metrics?from=yesterday", nil); code != 400 {
			t.Fatalf("bad from: %d", code)
		}
	})
}
