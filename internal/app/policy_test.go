package app_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/corpus"
	"github.com/kubu-gov/kubu/internal/store"
)

// TestPolicyThroughTheAPI is issue 14's first acceptance through the JSON
// API on both engines: the IM8 catalogue and its three profiles load with
// 118 controls and the profiles' counts, invalid OSCAL answers 400 naming
// the problem, a plan follows the default mapping, its automatic controls
// read kubu's own scan, VDP and log data (the real adapters), it exports as
// OSCAL, and another agency's plan answers 404.
func TestPolicyThroughTheAPI(t *testing.T) {
	for _, e := range []store.Engine{store.SQLite, store.Postgres} {
		t.Run(string(e), func(t *testing.T) { policyThroughAPI(t, e) })
	}
}

func policyThroughAPI(t *testing.T, engine store.Engine) {
	ta := newTestApp(t, engine)
	dir := corpus.Path(t, "im8")
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	code, body := ta.do(t, "admin", "POST", "/api/v1/catalogs?name=im8-reform.json", read("im8-reform.json"))
	if code != 201 || body["controls"] != float64(118) || body["id"] == nil || body["title"] != "Instruction Manual 8 Reform" {
		t.Fatalf("POST /api/v1/catalogs: %d %v", code, body)
	}
	catID := body["id"].(string)
	for _, p := range []struct {
		name string
		want float64
	}{{"low-risk-level-0.json", 6}, {"low-risk-level-1.json", 90}, {"low-risk-level-2.json", 118}} {
		code, body := ta.do(t, "admin", "POST", "/api/v1/profiles?name="+p.name, read(p.name))
		if code != 201 || body["controls"] != p.want {
			t.Fatalf("POST /api/v1/profiles %s: %d %v", p.name, code, body)
		}
	}
	code, body = ta.do(t, "triager", "GET", "/api/v1/profiles?limit=2", nil)
	if code != 200 || len(body["items"].([]any)) != 2 || body["next_cursor"] == nil {
		t.Fatalf("profiles page 1: %d %v", code, body)
	}
	code, body = ta.do(t, "triager", "GET", "/api/v1/profiles?limit=2&cursor="+body["next_cursor"].(string), nil)
	if code != 200 || len(body["items"].([]any)) != 1 || body["next_cursor"] != nil {
		t.Errorf("profiles page 2: %d %v", code, body)
	}
	if code, _ := ta.do(t, "researcher", "GET", "/api/v1/profiles", nil); code != 403 {
		t.Errorf("researcher lists profiles: %d", code)
	}
	code, body = ta.do(t, "admin", "POST", "/api/v1/catalogs", `{"catalog":{"uuid":"0b8c9d1e-2f3a-4b5c-8d6e-7f8091a2b3c4","metadata":{"title":"x"}}}`)
	if msg := errMsg(body); code != 400 || !strings.Contains(msg, "catalog.metadata") {
		t.Errorf("invalid catalogue: %d %q", code, msg)
	}
	if code, _ := ta.do(t, "a-admin", "POST", "/api/v1/catalogs", read("im8-reform.json")); code != 403 {
		t.Errorf("agency admin loads a catalogue: %d", code)
	}
	code, body = ta.do(t, "b-member", "GET", "/api/v1/catalogs/"+catID+"/controls?family=st", nil)
	if code != 200 || len(body["items"].([]any)) != 5 {
		t.Errorf("st family: %d %v", code, body)
	}
	code, body = ta.do(t, "a-member", "GET", "/api/v1/catalogs/"+catID+"/controls?limit=100", nil)
	if code != 200 || len(body["items"].([]any)) != 100 || body["next_cursor"] != "100" {
		t.Errorf("first page: %d %d %v", code, len(body["items"].([]any)), body["next_cursor"])
	}

	code, body = ta.do(t, "a-admin", "POST", "/api/v1/systems", `{"agency":"MOH","name":"HealthHub","hostnames":["healthhub.moh.example.sg"],"criticality":"high","internet_facing":true}`)
	if code != 201 {
		t.Fatalf("system: %d %v", code, body)
	}
	sysID := body["id"].(string)
	// kubu's own data: a scan an hour ago with its IM8 verdicts, logs from the host a minute ago.
	ctx := context.Background()
	now := time.Now()
	must := func(q string, args ...any) {
		t.Helper()
		if err := ta.DB.Tx(ctx, func(tx *sql.Tx) error { _, err := tx.ExecContext(ctx, q, args...); return err }); err != nil {
			t.Fatal(err)
		}
	}
	moh := ta.ids["MOH"]
	must(`INSERT INTO scans (id, system_id, agency_id, kind, status, hostnames, requested_by, requested_label, created_at)
		VALUES ('scan1', $1, $2, 'on-demand', 'done', '["healthhub.moh.example.sg"]', 'x', 'x', $3)`, sysID, moh, now.UnixMilli())
	must(`INSERT INTO scan_results (id, scan_id, system_id, agency_id, hostname, scanned_at, im8, failed_checks, worst, errors, changes, result)
		VALUES ('res1', 'scan1', $1, $2, 'healthhub.moh.example.sg', $3, '{"st-1":"met","st-3":"met","ns-6":"not-met"}', 1, 'high', 0, '[]', '{}')`,
		sysID, moh, now.Add(-time.Hour).UnixMilli())
	must(`INSERT INTO scan_targets (hostname, system_id, agency_id, added_at, next_due_at, last_result_id, last_scanned_at)
		VALUES ('healthhub.moh.example.sg', $1, $2, $3, $4, 'res1', $5) ON CONFLICT (hostname) DO UPDATE SET next_due_at = excluded.next_due_at,
		last_result_id = excluded.last_result_id, last_scanned_at = excluded.last_scanned_at`,
		sysID, moh, now.Add(-2*time.Hour).UnixMilli(), now.Add(23*time.Hour).UnixMilli(), now.Add(-time.Hour).UnixMilli())
	must(`INSERT INTO source_last_seen (agency, protocol, host, agency_id, last_seen) VALUES ('MOH', 'syslog', 'healthhub', $1, $2)`,
		moh, now.Add(-time.Minute).UnixMilli())

	code, body = ta.do(t, "a-member", "GET", "/api/v1/systems/"+sysID+"/plan", nil)
	if code != 200 || body["profile_chosen"] != "default" || len(body["controls"].([]any)) != 118 {
		t.Fatalf("plan: %d %v %v", code, body["profile_chosen"], body["profile_reason"])
	}
	byID := map[string]map[string]any{}
	for _, c := range body["controls"].([]any) {
		m := c.(map[string]any)
		byID[m["control_id"].(string)] = m
	}
	for id, want := range map[string]string{"st-1": "met", "st-3": "met", "lm-12": "met", "ns-6": "not_met", "st-4": "not_assessed", "st-5": "not_assessed"} {
		c := byID[id]
		if c["result"] != want || c["source"] != "automatic" {
			t.Errorf("%s = %v/%v: %v (evidence %v)", id, c["status"], c["result"], c["reason"], c["evidence"])
		}
	}
	if ev := fmt.Sprint(byID["lm-12"]["evidence"]); !strings.Contains(ev, "healthhub: last event") {
		t.Errorf("lm-12 evidence %s", ev)
	}
	// A manual control through PUT; the plan as read goes back unchanged.
	code, body = ta.do(t, "a-admin", "PUT", "/api/v1/systems/"+sysID+"/plan",
		`{"controls":[{"control_id":"pm-3","status":"implemented","source":"manual","evidence":["IDSC charter v2"]}]}`)
	if code != 200 {
		t.Fatalf("PUT plan: %d %v", code, body)
	}
	_, raw := ta.rawGet(t, "a-admin", "/api/v1/systems/"+sysID+"/plan")
	if code, body := ta.do(t, "a-admin", "PUT", "/api/v1/systems/"+sysID+"/plan", raw); code != 200 {
		t.Errorf("PUT the plan as read: %d %v", code, body)
	}
	if code, body := ta.do(t, "a-admin", "PUT", "/api/v1/systems/"+sysID+"/plan", `{"controls":[{"control_id":"pm-3","status":"done"}]}`); code != 400 || !strings.Contains(errMsg(body), "controls[0].status") {
		t.Errorf("bad status: %d %v", code, body)
	}
	code, oscalDoc := ta.rawGet(t, "a-member", "/api/v1/systems/"+sysID+"/plan?format=oscal")
	if code != 200 || !strings.Contains(oscalDoc, `"system-security-plan"`) || !strings.Contains(oscalDoc, `"control-id": "pm-3"`) {
		t.Errorf("oscal ssp: %d %.300s", code, oscalDoc)
	}
	code, ar := ta.rawGet(t, "a-member", "/api/v1/systems/"+sysID+"/plan?format=oscal-ar")
	if code != 200 || !strings.Contains(ar, `"assessment-results"`) || !strings.Contains(ar, `"target-id": "ns-6_smt"`) {
		t.Errorf("oscal ar: %d %.300s", code, ar)
	}
	// Another agency: 404, like a missing plan.
	if code, _ := ta.do(t, "b-member", "GET", "/api/v1/systems/"+sysID+"/plan", nil); code != 404 {
		t.Errorf("MOE reads MOH's plan: %d", code)
	}
	if code, _ := ta.do(t, "b-member", "GET", "/api/v1/systems/"+sysID+"/plan?format=oscal", nil); code != 404 {
		t.Errorf("MOE exports MOH's plan: %d", code)
	}
	// Deviations: asked by the agency, decided centrally.
	exp := now.Add(60 * 24 * time.Hour).UTC().Format(time.RFC3339)
	code, body = ta.do(t, "a-admin", "POST", "/api/v1/systems/"+sysID+"/deviations", `{"control_id":"ac-1","reason":"legacy","expires_at":"`+exp+`"}`)
	if code != 201 {
		t.Fatalf("deviation: %d %v", code, body)
	}
	devID := body["id"].(string)
	if code, _ := ta.do(t, "b-member", "GET", "/api/v1/deviations/"+devID, nil); code != 404 {
		t.Errorf("MOE reads MOH's deviation: %d", code)
	}
	if code, _ := ta.do(t, "a-admin", "POST", "/api/v1/deviations/"+devID+"/decision", `{"decision":"approve"}`); code != 403 {
		t.Errorf("agency admin approves: %d", code)
	}
	if code, body := ta.do(t, "admin", "POST", "/api/v1/deviations/"+devID+"/decision", `{"decision":"approve"}`); code != 200 || body["status"] != "approved" {
		t.Errorf("approve: %d %v", code, body)
	}
	code, body = ta.do(t, "analyst", "GET", "/api/v1/deviations?status=approved", nil)
	if code != 200 || len(body["items"].([]any)) != 1 {
		t.Errorf("approved deviations: %d %v", code, body)
	}
	sum, err := ta.Policy.ControlSummary(ctx, []string{sysID})
	if err != nil || sum[sysID].Met != 5 || sum[sysID].NotMet != 1 {
		t.Errorf("summary: %+v %v (want met st-1, st-3, lm-12, pm-3, ac-1; not met ns-6)", sum[sysID], err)
	}
}

func errMsg(body map[string]any) string {
	if e, ok := body["error"].(map[string]any); ok {
		return fmt.Sprint(e["message"])
	}
	return ""
}

// rawGet fetches path as the user key and answers the body as text.
func (ta *testApp) rawGet(t *testing.T, who, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", ta.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+ta.tokens[who])
	resp, err := ta.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
