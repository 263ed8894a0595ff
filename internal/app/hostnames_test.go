package app_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

// TestHostnamesOverHTTP: the systems' hostnames array (contract §2) claims
// hostname records; another agency's admin gets a clear 409 for a name or
// wildcard of MOH's; a platform administrator moves a name with
// PUT /api/v1/hostnames/{name}, which agency roles may not use.
func TestHostnamesOverHTTP(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ta := newTestApp(t, db.Engine)
		code, body := ta.do(t, "a-admin", "POST", "/api/v1/systems", `{"agency":"MOH","name":"HealthHub","hostnames":["HealthHub.example.sg."]}`)
		if code != 201 || strings.Join(toStrings(body["hostnames"]), ",") != "healthhub.example.sg" {
			t.Fatalf("create: %d %v", code, body)
		}
		sysA := body["id"].(string)
		code, body = ta.do(t, "admin", "POST", "/api/v1/systems", `{"agency":"MOE","name":"SLS","hostnames":["sls.example.sg","*.apps.moe.example.sg"]}`)
		if code != 201 {
			t.Fatalf("create B: %d %v", code, body)
		}
		sysB := body["id"].(string)
		// MOH's admin claiming MOE's name, a wildcard over it, or a name
		// inside MOE's wildcard: a clear 409 naming the hostname.
		for i, tc := range [][2]string{
			{"sls.example.sg", "sls.example.sg is held by another agency's system"},
			{"*.example.sg", "wildcard *.example.sg covers"},
			{"x.apps.moe.example.sg", "inside wildcard *.apps.moe.example.sg"},
		} {
			code, body = ta.do(t, "a-admin", "POST", "/api/v1/systems", map[string]any{"agency": "MOH", "name": fmt.Sprint("Other ", i), "hostnames": []string{tc[0]}})
			if code != 409 || !strings.Contains(errMessage(body), tc[1]) {
				t.Fatalf("MOH claiming %s: %d %v", tc[0], code, body)
			}
		}
		name := url.PathEscape("healthhub.example.sg")
		if code, _ := ta.do(t, "a-admin", "PUT", "/api/v1/hostnames/"+name, `{"system_id":"`+sysA+`"}`); code != 403 {
			t.Fatalf("agency admin moving a hostname: %d", code)
		}
		code, body = ta.do(t, "admin", "PUT", "/api/v1/hostnames/"+name, `{"system_id":"`+sysB+`"}`)
		if code != 200 || body["system_id"] != sysB || body["agency"] != "MOE" {
			t.Fatalf("move: %d %v", code, body)
		}
		_, body = ta.do(t, "admin", "GET", "/api/v1/systems/"+sysB, nil)
		if strings.Join(toStrings(body["hostnames"]), ",") != "sls.example.sg,*.apps.moe.example.sg,healthhub.example.sg" {
			t.Fatalf("system B after the move: %v", body["hostnames"])
		}
		_, body = ta.do(t, "a-member", "GET", "/api/v1/hostnames", nil)
		if items := body["items"].([]any); len(items) != 0 {
			t.Fatalf("MOH's member lists %v after the move", items)
		}
		_, body = ta.do(t, "b-member", "GET", "/api/v1/hostnames?q=HEALTH", nil)
		if items := body["items"].([]any); len(items) != 1 || items[0].(map[string]any)["name"] != "healthhub.example.sg" {
			t.Fatalf("MOE's member lists %v", body)
		}
		if code, _ := ta.do(t, "a-admin", "GET", "/api/v1/hostnames/conflicts", nil); code != 403 {
			t.Fatalf("agency admin reading the upgrade's conflicts: %d", code)
		}
		if code, body := ta.do(t, "admin", "GET", "/api/v1/hostnames/conflicts", nil); code != 200 || len(body["items"].([]any)) != 0 {
			t.Fatalf("conflicts: %d %v", code, body)
		}
	})
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func errMessage(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	m, _ := e["message"].(string)
	return m
}
