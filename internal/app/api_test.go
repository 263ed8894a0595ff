package app_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

// TestContractAPI exercises contract §2 for agencies, systems and findings
// on both engines, including tenant isolation and bad input.
func TestContractAPI(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ta := newTestApp(t, db.Engine)
		code, body := ta.do(t, "", "GET", "/healthz", nil)
		if code != 200 || body["status"] != "ok" {
			t.Fatalf("healthz: %d %v", code, body)
		}
		code, body = ta.do(t, "admin", "POST", "/api/v1/agencies", `{"code":"MHA","name":"Ministry of Home Affairs"}`)
		if code != 201 || body["code"] != "MHA" || body["id"] == "" || body["name"] != "Ministry of Home Affairs" {
			t.Fatalf("create agency: %d %v", code, body)
		}
		if code, _ := ta.do(t, "a-admin", "POST", "/api/v1/agencies", `{"code":"XYZ","name":"X"}`); code != http.StatusForbidden && code != http.StatusNotFound {
			t.Fatalf("agency admin creating an agency: %d", code)
		}
		code, body = ta.do(t, "admin", "GET", "/api/v1/agencies", nil)
		if code != 200 || len(body["items"].([]any)) != 3 {
			t.Fatalf("list agencies: %d %v", code, body)
		}
		code, body = ta.do(t, "a-admin", "POST", "/api/v1/systems", `{"agency":"MOH","name":"HealthHub","hostnames":["healthhub.example.sg"],"criticality":"high","internet_facing":true}`)
		if code != 201 || body["id"] == "" || body["name"] != "HealthHub" || body["criticality"] != "high" || body["internet_facing"] != true {
			t.Fatalf("create system: %d %v", code, body)
		}
		sysA := body["id"].(string)
		code, body = ta.do(t, "admin", "POST", "/api/v1/systems", `{"agency":"MOE","name":"Student Learning Space","hostnames":["sls.example.sg"]}`)
		if code != 201 {
			t.Fatalf("create B system: %d %v", code, body)
		}
		sysB := body["id"].(string)

		// Isolation: A's member sees A's system, gets 404 for B's, never sees it in a list or count.
		if code, _ := ta.do(t, "a-member", "GET", "/api/v1/systems/"+sysA, nil); code != 200 {
			t.Fatalf("own system: %d", code)
		}
		code, body = ta.do(t, "a-member", "GET", "/api/v1/systems/"+sysB, nil)
		if code != 404 || body["error"].(map[string]any)["code"] != "not_found" {
			t.Fatalf("other agency's system: %d %v", code, body)
		}
		_, missing := ta.do(t, "a-member", "GET", "/api/v1/systems/01m8jhcf27vr9jkzj71yw85x8a", nil)
		_, hidden := ta.do(t, "a-member", "GET", "/api/v1/systems/"+sysB, nil)
		if fmt.Sprint(missing) != fmt.Sprint(hidden) {
			t.Fatalf("hidden record answers %v, missing answers %v: they must be identical", hidden, missing)
		}
		_, body = ta.do(t, "a-member", "GET", "/api/v1/systems", nil)
		if items := body["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != sysA {
			t.Fatalf("member's list: %v", body)
		}
		_, body = ta.do(t, "a-member", "GET", "/api/v1/systems?agency=MOE", nil)
		if len(body["items"].([]any)) != 0 {
			t.Fatalf("member filtering by another agency saw %v", body)
		}
		// A role with no grant on systems gets the same 403 for a real
		// record and a made-up one: it learns nothing about either.
		code, real := ta.do(t, "researcher", "GET", "/api/v1/systems/"+sysA, nil)
		code2, madeUp := ta.do(t, "researcher", "GET", "/api/v1/systems/01m8jhcf27vr9jkzj71yw85x8a", nil)
		if code != 403 || code2 != 403 || fmt.Sprint(real) != fmt.Sprint(madeUp) {
			t.Fatalf("researcher reading a system: %d %v, a made-up one: %d %v", code, real, code2, madeUp)
		}
		if code, _ := ta.do(t, "researcher", "GET", "/api/v1/findings", nil); code != 403 {
			t.Fatalf("researcher listing findings: %d", code)
		}
		req, _ := http.NewRequest("GET", ta.srv.URL+"/api/v1/systems", nil)
		req.Header.Set("Authorization", "Bearer kubu_notarealtoken")
		resp, _ := ta.srv.Client().Do(req)
		if resp.StatusCode != 401 {
			t.Fatalf("bad token: %d", resp.StatusCode)
		}
		resp.Body.Close()

		// Findings: created on A's system, filtered by the contract's parameters.
		code, body = ta.do(t, "a-member", "POST", "/api/v1/findings", map[string]any{"system_id": sysA, "source": "vdp", "title": "Reflected XSS in search", "severity": "high", "cwe": 79})
		if code != 201 || body["due_at"] == nil || body["agency"] != "MOH" || body["status"] != "open" {
			t.Fatalf("create finding: %d %v", code, body)
		}
		fid := body["id"].(string)
		ta.do(t, "admin", "POST", "/api/v1/findings", map[string]any{"system_id": sysB, "source": "scan", "title": "Open port", "severity": "low"})
		code, body = ta.do(t, "a-member", "GET", "/api/v1/findings?system="+sysA+"&status=open&source=vdp", nil)
		items := body["items"].([]any)
		if code != 200 || len(items) != 1 {
			t.Fatalf("filtered findings: %d %v", code, body)
		}
		f := items[0].(map[string]any)
		for _, k := range []string{"id", "system_id", "agency", "source", "title", "severity", "status", "due_at"} {
			if _, ok := f[k]; !ok {
				t.Fatalf("finding lacks %q: %v", k, f)
			}
		}
		_, body = ta.do(t, "a-member", "GET", "/api/v1/findings", nil)
		if len(body["items"].([]any)) != 1 {
			t.Fatalf("member sees %d findings, want only their agency's 1", len(body["items"].([]any)))
		}
		_, body = ta.do(t, "a-member", "GET", "/api/v1/findings/summary", nil)
		if body["open"].(float64) != 1 {
			t.Fatalf("member's summary counts another agency: %v", body)
		}
		if code, _ := ta.do(t, "b-member", "GET", "/api/v1/findings/"+fid, nil); code != 404 {
			t.Fatalf("B reading A's finding: %d", code)
		}
		if code, _ := ta.do(t, "b-member", "PATCH", "/api/v1/findings/"+fid, `{"status":"fixed"}`); code != 404 {
			t.Fatalf("B patching A's finding: %d", code)
		}
		code, body = ta.do(t, "a-member", "PATCH", "/api/v1/findings/"+fid, `{"status":"fixed","reason":"deployed 1.2.3"}`)
		if code != 200 || body["status"] != "fixed" {
			t.Fatalf("fix: %d %v", code, body)
		}
		_, body = ta.do(t, "a-member", "GET", "/api/v1/findings/"+fid+"/history", nil)
		if len(body["items"].([]any)) != 2 {
			t.Fatalf("history: %v", body)
		}

		// Pagination.
		for i := range 7 {
			ta.do(t, "a-admin", "POST", "/api/v1/systems", map[string]any{"agency": "MOH", "name": fmt.Sprintf("Sys %02d", i)})
		}
		seen := 0
		cursor := ""
		for range 10 {
			_, body = ta.do(t, "a-member", "GET", "/api/v1/systems?limit=3&cursor="+cursor, nil)
			seen += len(body["items"].([]any))
			next, ok := body["next_cursor"].(string)
			if !ok {
				break
			}
			cursor = next
		}
		if seen != 8 {
			t.Fatalf("paged through %d systems, want 8", seen)
		}
	})
}

// TestBadInput: malformed JSON, wrong types, unknown fields and bodies over
// 1 MiB answer 400/413 with a JSON error and write nothing.
func TestBadInput(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ta := newTestApp(t, db.Engine)
		cases := []struct {
			name, body string
			status     int
			code       string
		}{
			{"malformed", `{"agency":"MOH","name":`, 400, "bad_json"},
			{"wrong type", `{"agency":"MOH","name":42}`, 400, "bad_json"},
			{"unknown field", `{"agency":"MOH","name":"X","owner":"me"}`, 400, "bad_json"},
			{"two values", `{"agency":"MOH","name":"X"}{"agency":"MOH","name":"Y"}`, 400, "bad_json"},
			{"empty", ``, 400, "bad_json"},
			{"invalid value", `{"agency":"MOH","name":"X","criticality":"extreme"}`, 400, "invalid"},
			{"unknown agency", `{"agency":"NOPE","name":"X"}`, 400, "invalid"},
			{"too large", `{"agency":"MOH","name":"X","description":"` + strings.Repeat("a", 1<<20) + `"}`, 413, "too_large"},
		}
		for _, c := range cases {
			code, body := ta.do(t, "admin", "POST", "/api/v1/systems", c.body)
			e, _ := body["error"].(map[string]any)
			if code != c.status || e == nil || e["code"] != c.code || e["message"] == "" {
				t.Errorf("%s: %d %v, want %d %s", c.name, code, body, c.status, c.code)
			}
		}
		if code, _ := ta.do(t, "admin", "GET", "/api/v1/systems?limit=5000", nil); code != 400 {
			t.Errorf("limit over 1000: %d", code)
		}
		if code, _ := ta.do(t, "admin", "GET", "/api/v1/findings?cursor=zzz", nil); code != 400 {
			t.Errorf("bad cursor: %d", code)
		}
		_, body := ta.do(t, "admin", "GET", "/api/v1/systems", nil)
		if n := len(body["items"].([]any)); n != 0 {
			t.Fatalf("bad requests wrote %d systems", n)
		}
	})
}
