package ui

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/detect"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/web"
)

var alertCSVHeader = []string{"id", "rule_id", "rule_title", "level", "agency", "system", "host", "kind", "status", "assignee_id",
	"event_count", "first_seen", "last_seen", "attack", "url"}

// alertExport answers the alerts the queue's filters select, every page
// of them the caller may see, as CSV.
func (m *monitoring) alertExport(w http.ResponseWriter, r *http.Request) {
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	d, f, ok := m.alertQuery(w, r)
	if !ok {
		return
	}
	f.Cursor, f.Limit = "", 500
	var res store.Page[detect.Alert]
	if !d.Empty {
		var err error
		if res, err = m.Detect.ListAlerts(ctx, a, f); err != nil {
			m.fail(w, r, err)
			return
		}
	}
	writeCSVExport(w, m.Log, "alerts", alertCSVHeader, res, func(cursor string) (store.Page[detect.Alert], error) {
		f.Cursor = cursor
		return m.Detect.ListAlerts(ctx, a, f)
	}, func(al detect.Alert) []string {
		return []string{al.ID, al.RuleID, al.RuleTitle, al.Level, al.Agency, al.System, al.Group["host"], al.Kind, al.Status, al.AssigneeID,
			strconv.FormatInt(al.EventCount, 10), al.FirstSeen.UTC().Format(time.RFC3339), al.LastSeen.UTC().Format(time.RFC3339),
			strings.Join(al.Attack, " "), "/alerts/" + al.ID}
	})
}
