package ui

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/web"
)

// maxExportRows bounds a CSV export.
const maxExportRows = 100_000

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
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="findings-`+time.Now().UTC().Format("2006-01-02")+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	cw.Write(findingCSVHeader)
	rows := 0
	for {
		for _, x := range res.Items {
			cw.Write(findingCSVRow(x))
			rows++
		}
		if res.NextCursor == "" || rows >= maxExportRows {
			break
		}
		f.Cursor = res.NextCursor
		var err error
		if res, err = u.Findings.List(ctx, a, f); err != nil {
			u.Log.Error("findings export", "err", err)
			break // the answer has started: a short file, logged
		}
	}
	cw.Flush()
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
	row := []string{x.ID, x.Title, x.Agency, x.System, x.Source, x.SourceRef, x.Severity, score, cwe, x.Status, opt(x.DueAt),
		strconv.FormatBool(x.Overdue), x.CreatedAt.UTC().Format(time.RFC3339), opt(x.ClosedAt), "/findings/" + x.ID}
	for i := range row {
		row[i] = csvCell(row[i])
	}
	return row
}

// csvCell keeps a spreadsheet from reading a stranger's text as a formula
// (OWASP "CSV injection"): a cell starting with = + - @ or a tab or
// carriage return is prefixed with a quote.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
