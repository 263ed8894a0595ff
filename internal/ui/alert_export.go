package ui

import (
	"encoding/csv"
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
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="alerts-`+time.Now().UTC().Format("2006-01-02")+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	cw.Write(alertCSVHeader)
	rows := 0
	for {
		for _, al := range res.Items {
			row := []string{al.ID, al.RuleID, al.RuleTitle, al.Level, al.Agency, al.System, al.Group["host"], al.Kind, al.Status, al.AssigneeID,
				strconv.FormatInt(al.EventCount, 10), al.FirstSeen.UTC().Format(time.RFC3339), al.LastSeen.UTC().Format(time.RFC3339),
				strings.Join(al.Attack, " "), "/alerts/" + al.ID}
			for i := range row {
				row[i] = csvCell(row[i])
			}
			cw.Write(row)
			rows++
		}
		if res.NextCursor == "" || rows >= maxExportRows {
			break
		}
		f.Cursor = res.NextCursor
		var err error
		if res, err = m.Detect.ListAlerts(ctx, a, f); err != nil {
			m.Log.Error("alerts export", "err", err)
			break
		}
	}
	cw.Flush()
}
