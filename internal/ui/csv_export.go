package ui

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/kubu-gov/kubu/internal/csvsafe"
	"github.com/kubu-gov/kubu/internal/store"
)

// maxExportRows bounds a CSV export.
const maxExportRows = 100_000

// writeCSVExport answers a list export as the CSV file name-DATE.csv: the
// header, then first and every page after it that next reads (the
// caller's filters and scope are in next), at most maxExportRows rows,
// each cell safe from spreadsheet formulas. The first page is read by the
// caller before the answer starts, so that a bad filter is a clean error
// page and not half a file; an error on a later page ends the file short
// and is logged.
func writeCSVExport[T any](w http.ResponseWriter, log *slog.Logger, name string, header []string, first store.Page[T],
	next func(cursor string) (store.Page[T], error), row func(T) []string) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`-`+time.Now().UTC().Format("2006-01-02")+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	cw := csvsafe.NewWriter(w)
	cw.Write(header)
	rows := 0
	for res := first; ; {
		for _, x := range res.Items {
			cw.Write(row(x))
			rows++
		}
		if res.NextCursor == "" || rows >= maxExportRows {
			break
		}
		var err error
		if res, err = next(res.NextCursor); err != nil {
			log.Error(name+" export", "err", err)
			break
		}
	}
	cw.Flush()
}
