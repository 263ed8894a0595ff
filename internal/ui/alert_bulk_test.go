package ui_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/detect"
)

// TestAlertBulkAndExport: a bulk change on alerts is checked per record
// (another agency's alert in the set is untouched), closing needs a
// reason, and the CSV export follows the filters and the caller's scope.
func TestAlertBulkAndExport(t *testing.T) {
	e, alerts := monitoringEnv(t)
	ctx := context.Background()
	moh, moe := alerts["MOH"], alerts["MOE"]
	c := e.signIn(t, "a-member")
	list := c.get("/alerts")
	mustContain(t, "alert list", list.body, `formaction="/alerts/bulk"`, `href="/alerts/export.csv?`)

	res := c.post("/alerts/bulk", url.Values{"alert": {moh, moe}, "action": {"close"}, "back": {"?status=active"}})
	if res.status != http.StatusSeeOther || res.location != "/alerts?status=active" {
		t.Fatalf("bulk close without reason answered %d to %q", res.status, res.location)
	}
	mustContain(t, "no reason", c.get(res.location).body, "Give the reason for closing")

	res = c.post("/alerts/bulk", url.Values{"alert": {moh, moe}, "action": {"acknowledge"}})
	mustContain(t, "bulk notice", c.get(res.location).body, "1 alert acknowledged.", "1 alert could not be changed")
	a, _ := e.app.Detect.AlertByID(ctx, root, moh)
	b, _ := e.app.Detect.AlertByID(ctx, root, moe)
	if a.Status != detect.StatusAcknowledged || b.Status != detect.StatusOpen {
		t.Fatalf("after the bulk change MOH's alert is %s and MOE's %s", a.Status, b.Status)
	}

	read := func(c *client, path string) [][]string {
		t.Helper()
		res := c.get(path)
		if res.status != http.StatusOK {
			t.Fatalf("GET %s answered %d", path, res.status)
		}
		recs, err := csv.NewReader(strings.NewReader(res.body)).ReadAll()
		if err != nil || len(recs) == 0 || recs[0][0] != "id" {
			t.Fatalf("%s: %v %v", path, recs, err)
		}
		return recs[1:]
	}
	for _, row := range read(c, "/alerts/export.csv?status=") {
		if row[4] != "MOH" {
			t.Errorf("a-member's export has %v", row)
		}
	}
	if rows := read(e.signIn(t, "analyst"), "/alerts/export.csv?status=&agency=MOE"); len(rows) != 1 || rows[0][0] != moe {
		t.Errorf("analyst's MOE export %v", rows)
	}
	if res := e.signIn(t, "triager").get("/alerts/export.csv"); res.status != http.StatusForbidden {
		t.Errorf("triager's export answered %d, want 403", res.status)
	}
}
