package ui

import (
	"net/http"
	"strconv"
	"time"

	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/web"
)

var findingCSVHeader = []string{"id", "title", "agency", "system", "source", "source_ref", "severity", "cvss_score", "cwe",
	"status", "due_at", "overdue", "created_at", "closed_at", "url"}

// findingExport answers the findings the list's filters select, every
// page of them the caller may see, as CSV.
func (u *ui) findingExport(w http.ResponseWriter, r *http.Request) {
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	d, f, ok := u.findingQuery(w, r)
	if !ok {
		return
	}
	// The first page is read before the answer starts, so a bad filter is
	// a clean 400 page and not half a file.
	f.Cursor, f.Limit = "", 500
	var res store.Page[findings.Finding]
	if !d.Empty {
		var err error
		if res, err = u.Findings.List(ctx, a, f); err != nil {
			u.fail(w, r, err)
			return
		}
	}
	writeCSVExport(w, u.Log, "findings", findingCSVHeader, res, func(cursor string) (store.Page[findings.Finding], error) {
		f.Cursor = cursor
		return u.Findings.List(ctx, a, f)
	}, findingCSVRow)
}

func findingCSVRow(x findings.Finding) []string {
	opt := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	score, cwe := "", ""
	if x.CVSSScore != nil {
		score = strconv.FormatFloat(*x.CVSSScore, 'f', 1, 64)
	}
	if x.CWE != nil {
		cwe = "CWE-" + strconv.Itoa(*x.CWE)
	}
	return []string{x.ID, x.Title, x.Agency, x.System, x.Source, x.SourceRef, x.Severity, score, cwe, x.Status, opt(x.DueAt),
		strconv.FormatBool(x.Overdue), x.CreatedAt.UTC().Format(time.RFC3339), opt(x.ClosedAt), "/findings/" + x.ID}
}
