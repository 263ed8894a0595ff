package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/detect"
	"github.com/kubu-gov/kubu/internal/registry"
)

const uiRule = `title: Failed logon burst
id: 5b8f2c1e-7d4a-4c2b-9e1f-0000000000d1
level: high
tags: [attack.credential-access, attack.t1110]
logsource: {product: windows, service: security}
detection:
  selection: {EventID: 4625}
  condition: selection
`

// monitoringEnv is the UI env with intake and detection running, a rule,
// and one alert in each agency.
func monitoringEnv(t *testing.T) (*env, map[string]string) {
	t.Helper()
	e := newEnv(t, false)
	ctx := context.Background()
	if _, err := e.app.Detect.CreateRule(ctx, root, []byte(uiRule)); err != nil {
		t.Fatal(err)
	}
	mon, err := e.app.StartMonitoring(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mon.Stop(context.Background()) })
	name, hosts := "Domain controllers", []string{"dc-moh"}
	if _, err := e.app.Registry.CreateSystem(ctx, root, registry.SystemInput{Agency: "MOH", Name: &name, Hostnames: &hosts}); err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"MOH", "MOE"} {
		tok, _, err := e.app.Intake.CreateToken(ctx, root, code, "ui test")
		if err != nil {
			t.Fatal(err)
		}
		body := `{"host":"dc-` + strings.ToLower(code) + `","event":{"EventID":4625,"Channel":"Security","TargetUserName":"admin"}}`
		req, _ := http.NewRequest("POST", e.srv.URL+"/services/collector/event", strings.NewReader(body))
		req.Header.Set("Authorization", "Splunk "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("HEC for %s: %v %v", code, resp, err)
		}
		resp.Body.Close()
	}
	alerts := map[string]string{}
	deadline := time.Now().Add(30 * time.Second)
	for len(alerts) < 3 {
		page, err := e.app.Detect.ListAlerts(ctx, root, detect.AlertFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page.Items {
			alerts[a.Agency] = a.ID
			if a.SystemID != "" {
				alerts["system"] = a.SystemID
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("alerts did not appear: %v", alerts)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return e, alerts
}

// TestMonitoringPages renders the alert queue, alert, rule, hunt and
// intake pages, and checks an agency's people never see another agency's
// alerts.
func TestMonitoringPages(t *testing.T) {
	e, alerts := monitoringEnv(t)
	moh, moe := alerts["MOH"], alerts["MOE"]
	tests := []struct {
		who, path string
		status    int
		want      []string
		not       []string
	}{
		{"analyst", "/alerts", 200, []string{"Failed logon burst", "MOH", "MOE", "dc-moh", "dc-moe", "Domain controllers"}, nil},
		{"a-member", "/alerts", 200, []string{"Failed logon burst", "dc-moh"}, []string{"dc-moe"}},
		{"b-member", "/alerts", 200, []string{"dc-moe"}, []string{"dc-moh"}},
		{"a-member", "/alerts/" + moh, 200, []string{"Failed logon burst", "attack.t1110", "Matched events", "TargetUserName", "Acknowledge", "Close the alert", "Domain controllers"}, nil},
		{"a-member", "/alerts/" + moe, 404, nil, nil},
		{"analyst", "/alerts?system=" + alerts["system"], 200, []string{"System: <strong>Domain controllers</strong>", "dc-moh"}, []string{"dc-moe"}},
		{"b-member", "/alerts?system=" + alerts["system"], 200, []string{"No alerts match"}, []string{"dc-moh", "Domain controllers"}},
		{"b-admin", "/alerts/" + moh, 404, nil, nil},
		{"researcher", "/alerts", 403, nil, nil}, // no grant on alerts
		{"triager", "/alerts", 403, nil, nil},
		{"analyst", "/rules", 200, []string{"Failed logon burst", "Add a rule"}, nil},
		{"a-member", "/rules", 200, []string{"Failed logon burst"}, []string{"Add a rule"}},
		{"analyst", "/rules/5b8f2c1e-7d4a-4c2b-9e1f-0000000000d1", 200, []string{"EventID: 4625", "Disable the rule", "Start a retro-hunt"}, nil},
		{"analyst", "/hunts", 200, []string{"Start the hunt"}, nil},
		{"analyst", "/intake", 200, []string{"Log intake", "events accepted", "dc-moh", "dc-moe"}, []string{"Create an intake token"}},
		{"admin", "/intake", 200, []string{"Create an intake token", "Unassigned syslog senders"}, nil},
		{"a-admin", "/intake", 200, []string{"Create an intake token", "dc-moh"}, []string{"dc-moe", "Unassigned syslog senders"}},
		{"a-member", "/intake", 200, []string{"dc-moh"}, []string{"dc-moe", "Create an intake token"}},
	}
	clients := map[string]*client{}
	for _, tt := range tests {
		t.Run(tt.who+" "+tt.path, func(t *testing.T) {
			c, ok := clients[tt.who]
			if !ok {
				c = e.signIn(t, tt.who)
				clients[tt.who] = c
			}
			c.t = t
			res := c.get(tt.path)
			if res.status != tt.status {
				t.Fatalf("GET %s as %s answered %d, want %d:\n%s", tt.path, tt.who, res.status, tt.status, excerpt(res.body))
			}
			mustContain(t, tt.path, res.body, tt.want...)
			for _, s := range tt.not {
				if strings.Contains(res.body, s) {
					t.Errorf("%s as %s shows %q", tt.path, tt.who, s)
				}
			}
		})
	}
}

// TestAlertActionsAndHuntFromUI acknowledges, assigns and closes an alert,
// and starts a retro-hunt from the alert page.
func TestAlertActionsAndHuntFromUI(t *testing.T) {
	e, alerts := monitoringEnv(t)
	c := e.signIn(t, "a-member")
	id := alerts["MOH"]
	for _, action := range []string{"acknowledge", "assign-me"} {
		if res := c.post("/alerts/"+id+"/action", url.Values{"action": {action}}); res.status != http.StatusSeeOther {
			t.Fatalf("%s: %d %s", action, res.status, excerpt(res.body))
		}
	}
	res := c.post("/alerts/"+id+"/action", url.Values{"action": {"close"}})
	if res.status != http.StatusBadRequest || !strings.Contains(res.body, "is required to close an alert") {
		t.Fatalf("close without a reason: %d", res.status)
	}
	c.post("/alerts/"+id+"/action", url.Values{"action": {"close"}, "reason": {"a test account"}})
	mustContain(t, "closed alert", c.get("/alerts/"+id).body, "Closed", "a test account", "member@moh.example.gov")
	if res := c.post("/alerts/"+alerts["MOE"]+"/action", url.Values{"action": {"acknowledge"}}); res.status != http.StatusNotFound {
		t.Fatalf("acting on another agency's alert: %d", res.status)
	}
	now := time.Now().UTC()
	res = c.post("/hunts", url.Values{"rule_id": {"5b8f2c1e-7d4a-4c2b-9e1f-0000000000d1"},
		"from": {now.Add(-time.Hour).Format("2006-01-02T15:04")}, "to": {now.Add(time.Hour).Format("2006-01-02T15:04")}})
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.location, "/hunts/") {
		t.Fatalf("start a hunt: %d %s", res.status, excerpt(res.body))
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		body := c.get(res.location).body
		if strings.Contains(body, "tag status-done") {
			mustContain(t, "finished hunt", body, "dc-moh")
			if strings.Contains(body, "dc-moe") {
				t.Fatal("a MOH member's hunt found MOE's events")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the hunt did not finish:\n%s", excerpt(body))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
