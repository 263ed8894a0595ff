package app_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

const apiRule = `title: Suspicious logon failure
id: 3c2b1a09-8f7e-4d6c-9b5a-0000000000e1
level: high
tags: [attack.t1110]
detection:
  selection:
    EventID: 4625
  keywords: [kubu-monitoring-test]
  condition: selection or keywords
`

// TestMonitoringAPI runs contract §2 and §3 for monitoring on both
// engines: rules by YAML, every intake protocol counted and alerting,
// alerts with the contract's fields, hunts, and tenancy.
func TestMonitoringAPI(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ta := newTestApp(t, db.Engine)
		ta.Cfg.SyslogTCP = "127.0.0.1:0"
		mon, err := ta.StartMonitoring(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { mon.Stop(context.Background()) })

		// Rules: YAML in, 201 {"id"}; a parse error is a 400 naming it.
		code, body := ta.yaml(t, "analyst", "/api/v1/rules", apiRule)
		if code != 201 || body["id"] != "3c2b1a09-8f7e-4d6c-9b5a-0000000000e1" {
			t.Fatalf("create rule: %d %v", code, body)
		}
		code, body = ta.yaml(t, "analyst", "/api/v1/rules", "title: x\ndetection:\n  sel: {a: 1}\n  condition: sel or\n")
		if code != 400 || body["error"].(map[string]any)["code"] != "invalid_rule" {
			t.Fatalf("bad rule: %d %v", code, body)
		}
		if code, _ := ta.yaml(t, "a-member", "/api/v1/rules", apiRule); code != 403 {
			t.Fatalf("member adding a rule: %d", code)
		}
		waitUntil(t, "rules loaded", func() bool { return ta.Detect.WaitRules(context.Background()) == nil })

		code, body = ta.do(t, "admin", "POST", "/api/v1/intake/tokens", `{"agency":"MOH","name":"vector"}`)
		if code != 201 || !strings.HasPrefix(fmt.Sprint(body["token"]), "kubu_in_") {
			t.Fatalf("intake token: %d %v", code, body)
		}
		moh := body["token"].(string)
		code, body = ta.do(t, "a-admin", "POST", "/api/v1/intake/tokens", `{"agency":"MOE"}`)
		if code != 404 {
			t.Fatalf("MOH's admin making a MOE token: %d %v", code, body)
		}
		code, body = ta.do(t, "admin", "POST", "/api/v1/intake/tokens", `{"agency":"MOE"}`)
		moe := body["token"].(string)

		sends := []struct {
			path, auth, ct, body string
		}{
			{"/services/collector/event", "Splunk " + moh, "application/json", `{"host":"h-hec","event":{"EventID":4625,"Channel":"Security"}}`},
			{"/_bulk", "ApiKey " + base64.StdEncoding.EncodeToString([]byte("k:"+moh)), "application/x-ndjson",
				"{\"create\":{\"_index\":\"logs\"}}\n{\"host\":{\"name\":\"h-bulk\"},\"winlog\":{\"channel\":\"Security\",\"event_id\":4625,\"event_data\":{\"TargetUserName\":\"x\"}}}\n"},
			{"/v1/logs", "Bearer " + moh, "application/json",
				`{"resourceLogs":[{"resource":{"attributes":[{"key":"host.name","value":{"stringValue":"h-otlp"}}]},"scopeLogs":[{"logRecords":[{"body":{"stringValue":"kubu-monitoring-test otlp"}}]}]}]}`},
			{"/services/collector/event", "Splunk " + moe, "application/json", `{"host":"h-moe","event":{"EventID":4625,"Channel":"Security"}}`},
		}
		for _, s := range sends {
			req, _ := http.NewRequest("POST", ta.srv.URL+s.path, strings.NewReader(s.body))
			req.Header.Set("Authorization", s.auth)
			req.Header.Set("Content-Type", s.ct)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || strings.Contains(string(b), `"errors":true`) {
				t.Fatalf("%s: %d %s", s.path, resp.StatusCode, b)
			}
		}
		c, err := net.Dial("tcp", mon.Listeners.Addr("syslog-tcp"))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "<38>Nov 28 01:15:03 h-syslog sshd[1]: kubu-monitoring-test from syslog\n")
		c.Close()

		hosts := map[string]bool{}
		waitUntil(t, "an alert per protocol", func() bool {
			_, body := ta.do(t, "analyst", "GET", "/api/v1/alerts?rule_id=3c2b1a09-8f7e-4d6c-9b5a-0000000000e1", nil)
			items, _ := body["items"].([]any)
			for _, it := range items {
				a := it.(map[string]any)
				for _, k := range []string{"id", "rule_id", "rule_title", "level", "agency", "first_seen", "last_seen", "event_count"} {
					if a[k] == nil {
						t.Fatalf("alert without %s: %v", k, a)
					}
				}
				hosts[a["group"].(map[string]any)["host"].(string)] = true
			}
			return len(hosts) == 5
		})
		_, body = ta.do(t, "analyst", "GET", "/api/v1/intake/stats", nil)
		if body["events_accepted"].(float64) < 5 {
			t.Fatalf("stats %v", body)
		}
		_, body = ta.do(t, "a-member", "GET", "/api/v1/intake/stats", nil)
		if got := body["events_accepted"].(float64); got != 3 {
			t.Fatalf("MOH member's stats count %v events, want MOH's 3", got)
		}

		// Tenancy: MOE's member sees MOE's alert only, and 404 for MOH's.
		_, body = ta.do(t, "b-member", "GET", "/api/v1/alerts", nil)
		items := body["items"].([]any)
		if len(items) != 1 || items[0].(map[string]any)["agency"] != "MOE" {
			t.Fatalf("MOE member's alerts %v", items)
		}
		_, body = ta.do(t, "a-member", "GET", "/api/v1/alerts?agency=MOH", nil)
		mohAlert := body["items"].([]any)[0].(map[string]any)["id"].(string)
		if code, _ := ta.do(t, "b-member", "GET", "/api/v1/alerts/"+mohAlert, nil); code != 404 {
			t.Fatalf("MOE member reading MOH's alert: %d", code)
		}
		code, body = ta.do(t, "a-member", "GET", "/api/v1/alerts/"+mohAlert, nil)
		if code != 200 || len(body["events"].([]any)) == 0 {
			t.Fatalf("alert detail %d %v", code, body)
		}
		if code, _ := ta.do(t, "a-member", "PATCH", "/api/v1/alerts/"+mohAlert, `{"status":"closed","reason":"known scanner"}`); code != 200 {
			t.Fatalf("close: %d", code)
		}

		// Retro-hunt: 202 {id}; progress until done. By stored time: the
		// syslog event's own time is its RFC 3164 stamp (Nov 28), outside
		// the last hour by event time (a hunt by event time is tested in
		// internal/detect).
		from := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
		code, body = ta.do(t, "analyst", "POST", "/api/v1/hunts", `{"rule_id":"3c2b1a09-8f7e-4d6c-9b5a-0000000000e1","from":"`+from+`","time_basis":"stored"}`)
		if code != 202 || body["id"] == nil {
			t.Fatalf("hunt: %d %v", code, body)
		}
		huntID := body["id"].(string)
		waitUntil(t, "the hunt", func() bool {
			_, body = ta.do(t, "analyst", "GET", "/api/v1/hunts/"+huntID, nil)
			return body["status"] == "done"
		})
		if body["events_scanned"].(float64) < 5 || body["matches"].(float64) != 5 {
			t.Fatalf("hunt %v", body)
		}
		if code, _ := ta.do(t, "a-member", "GET", "/api/v1/hunts/"+huntID, nil); code != 404 {
			t.Fatalf("member reading an all-agency hunt: %d", code)
		}
		if code, _ := ta.do(t, "researcher", "GET", "/api/v1/hunts", nil); code != 403 {
			t.Fatalf("researcher listing hunts: %d", code)
		}
	})
}

// yaml posts a YAML body as who.
func (ta *testApp) yaml(t *testing.T, who, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", ta.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/yaml")
	req.Header.Set("Authorization", "Bearer "+ta.tokens[who])
	resp, err := ta.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	json.Unmarshal(b, &out)
	return resp.StatusCode, out
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
