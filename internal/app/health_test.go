package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/store"
)

// TestHealthReportsTheEventLog: /healthz and /readyz report the event log
// as well as the database (issue 15 item 1): readyz fails before the log is
// open and while draining; both fail naming the event log when it is gone.
func TestHealthReportsTheEventLog(t *testing.T) {
	ta := newTestApp(t, store.SQLite)
	code, body := ta.do(t, "", "GET", "/readyz", nil)
	if code != 503 || body["event_log"] != "not open" || body["database"] != "ok" {
		t.Fatalf("readyz before the event log opens: %d %v", code, body)
	}
	if code, body := ta.do(t, "", "GET", "/healthz", nil); code != 200 || body["status"] != "ok" {
		t.Fatalf("healthz of a command without an event log: %d %v", code, body)
	}
	mon, err := ta.StartMonitoring(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mon.Stop(context.Background()) })
	for _, path := range []string{"/healthz", "/readyz"} {
		code, body := ta.do(t, "", "GET", path, nil)
		if code != 200 || body["status"] != "ok" || body["event_log"] != "ok" || body["database"] != "ok" {
			t.Fatalf("%s while serving: %d %v", path, code, body)
		}
	}
	mon.Log.Close() // the event log goes away under a serving node
	for _, path := range []string{"/healthz", "/readyz"} {
		code, body := ta.do(t, "", "GET", path, nil)
		if code != 503 || body["status"] != "unavailable" || !strings.Contains(body["event_log"].(string), "closed") ||
			!strings.Contains(body["reason"].(string), "event_log") {
			t.Fatalf("%s with the event log closed: %d %v", path, code, body)
		}
	}
	ta.Intake.BeginDrain()
	if code, body := ta.do(t, "", "GET", "/readyz", nil); code != 503 || !strings.Contains(body["intake"].(string), "draining") {
		t.Fatalf("readyz while draining: %d %v", code, body)
	}
}
