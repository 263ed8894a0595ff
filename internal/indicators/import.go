package indicators

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/intel"
	"github.com/kubu-gov/kubu/internal/intel/stix"
)

// Result is what an import did (contract §7: imported, skipped, errors).
type Result struct {
	// Imported counts the indicators stored or refreshed (a STIX indicator
	// object, a MISP attribute, a line of a list).
	Imported int       `json:"imported"`
	Skipped  []Skipped `json:"skipped"`
	Errors   []string  `json:"errors"`
}

// Skipped is an indicator left out, with the reason.
type Skipped struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

func newResult() *Result { return &Result{Skipped: []Skipped{}, Errors: []string{}} }

// maxListed bounds the skipped and errors lists of one result: a feed of
// a million unsupported patterns answers with a sample and a count.
const maxListed = 1000

func (r *Result) skip(id, reason string) {
	if len(r.Skipped) < maxListed {
		r.Skipped = append(r.Skipped, Skipped{ID: id, Reason: reason})
	} else if len(r.Skipped) == maxListed {
		r.Skipped = append(r.Skipped, Skipped{ID: "…", Reason: "more were skipped; only the first 1000 are listed"})
	}
}

func (r *Result) fail(msg string) {
	if len(r.Errors) < maxListed {
		r.Errors = append(r.Errors, msg)
	}
}

// batchRows is how many indicator rows one transaction writes.
const batchRows = 5000

// rowsPerInsert is how many ids one IN list carries.
const rowsPerInsert = 400

// importer stores indicators object by object (the indicators of one
// object share its id), in batches, each in one transaction with its audit
// entry and a bump of the indicators version.
type importer struct {
	s        *Service
	ctx      context.Context
	actor    audit.Actor
	source   string // name
	kind     string
	sourceID string
	res      *Result
	code     audit.Code // the audit code of each batch (Imported)
	objects  [][]intel.Indicator
	rows     int
	batches  int
}

func (s *Service) newImporter(ctx context.Context, actor audit.Actor, source, kind string, res *Result) *importer {
	return &importer{s: s, ctx: ctx, actor: actor, source: source, kind: kind, res: res, code: Imported}
}

// add queues one object's indicators (all with the same ID).
func (im *importer) add(inds []intel.Indicator) error {
	if len(inds) == 0 {
		return nil
	}
	// Every indicator is kept under a STIX id: MISP attributes and list
	// values get a stable one derived from theirs.
	for i := range inds {
		inds[i].ID = stix.IndicatorID(inds[i].ID)
	}
	im.objects = append(im.objects, inds)
	im.rows += len(inds)
	if im.rows >= batchRows {
		return im.flush()
	}
	return nil
}

// flush writes the queued objects in one transaction.
func (im *importer) flush() error {
	if len(im.objects) == 0 {
		return nil
	}
	objects := dedupe(im.objects)
	im.objects, im.rows = im.objects[:0], 0
	s, ctx := im.s, im.ctx
	stamp := s.batchStamp()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if im.sourceID == "" {
			sid, err := s.ensureSource(ctx, tx, im.source, im.kind)
			if err != nil {
				return err
			}
			im.sourceID = sid
		}
		// Objects older than what is stored are left out: the stored
		// version stands.
		newer, err := storedModified(ctx, tx, objects)
		if err != nil {
			return err
		}
		var rows []intel.Indicator
		var ids []string
		imported := 0
		type key struct{ id, typ, value string }
		seen := map[key]bool{}
		for _, obj := range objects {
			if m, ok := newer[obj[0].ID]; ok && obj[0].Modified.UnixMilli() < m {
				im.res.skip(obj[0].ID, "a newer version of this indicator is stored")
				continue
			}
			for _, r := range obj {
				// One statement may not upsert the same row twice.
				if k := (key{r.ID, string(r.Type), r.Value}); !seen[k] {
					seen[k] = true
					rows = append(rows, r)
				}
			}
			ids = append(ids, obj[0].ID)
			imported++
		}
		if err := im.insert(tx, rows, stamp); err != nil {
			return err
		}
		// A new version of an indicator replaces the values of the old one.
		for i := 0; i < len(ids); i += rowsPerInsert {
			part := ids[i:min(i+rowsPerInsert, len(ids))]
			ph, args := placeholders(part, 2)
			if _, err := tx.ExecContext(ctx, `DELETE FROM intel_indicators WHERE stix_id IN (`+ph+`) AND updated_at < $1`,
				append([]any{stamp}, args...)...); err != nil {
				return fmt.Errorf("drop replaced values: %w", err)
			}
		}
		if imported == 0 {
			return nil
		}
		if err := bumpVersion(ctx, tx); err != nil {
			return err
		}
		im.batches++
		im.res.Imported += imported
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: im.code, Actor: im.actor, TargetType: "intel_source", TargetID: im.sourceID,
			After: map[string]any{"source": im.source, "indicators": imported, "values": len(rows), "batch": im.batches}})
		return err
	})
}

// dedupe keeps the latest version (by Modified, then the later one) of
// an id given twice in one batch.
func dedupe(objects [][]intel.Indicator) [][]intel.Indicator {
	at := map[string]int{}
	out := objects[:0:0]
	for _, obj := range objects {
		if i, ok := at[obj[0].ID]; ok {
			if !obj[0].Modified.Before(out[i][0].Modified) {
				out[i] = obj
			}
			continue
		}
		at[obj[0].ID] = len(out)
		out = append(out, obj)
	}
	return out
}

// storedModified returns the stored modified time (ms) of the objects'
// ids that are stored already.
func storedModified(ctx context.Context, tx *sql.Tx, objects [][]intel.Indicator) (map[string]int64, error) {
	out := map[string]int64{}
	for i := 0; i < len(objects); i += rowsPerInsert {
		part := objects[i:min(i+rowsPerInsert, len(objects))]
		ids := make([]string, len(part))
		for j, o := range part {
			ids[j] = o[0].ID
		}
		ph, args := placeholders(ids, 1)
		rows, err := tx.QueryContext(ctx, `SELECT stix_id, MAX(modified) FROM intel_indicators WHERE stix_id IN (`+ph+`) GROUP BY stix_id`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var sid string
			var m int64
			if err := rows.Scan(&sid, &m); err != nil {
				rows.Close()
				return nil, err
			}
			out[sid] = m
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// placeholders returns "$first, $first+1, …" for vals and the values.
func placeholders(vals []string, first int) (string, []any) {
	var b strings.Builder
	args := make([]any, len(vals))
	for i, v := range vals {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "$%d", first+i)
		args[i] = v
	}
	return b.String(), args
}

// upsertSQL stores one indicator row, refreshing a stored one.
const upsertSQL = `INSERT INTO intel_indicators (id, source_id, stix_id, type, value, name, creator, valid_from, valid_until, confidence, tlp,
	labels, modified, added_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)
	ON CONFLICT (stix_id, type, value) DO UPDATE SET source_id = excluded.source_id, name = excluded.name,
	creator = excluded.creator, valid_from = excluded.valid_from, valid_until = excluded.valid_until, confidence = excluded.confidence,
	tlp = excluded.tlp, labels = excluded.labels, modified = excluded.modified, updated_at = excluded.updated_at`

// insert upserts rows with one prepared statement. (One statement of many
// rows costs more: SQLite looks each $N up in a list, so a statement of
// n placeholders takes n² to prepare.)
func (im *importer) insert(tx *sql.Tx, rows []intel.Indicator, stamp int64) error {
	st, err := tx.PrepareContext(im.ctx, upsertSQL)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, r := range rows {
		labels := "[]"
		if len(r.Labels) > 0 {
			lb, _ := json.Marshal(r.Labels)
			labels = string(lb)
		}
		var until any
		if !r.ValidUntil.IsZero() {
			until = r.ValidUntil.UnixMilli()
		}
		var from int64
		if !r.ValidFrom.IsZero() {
			from = r.ValidFrom.UnixMilli()
		}
		var modified int64
		if !r.Modified.IsZero() {
			modified = r.Modified.UnixMilli()
		}
		if _, err := st.ExecContext(im.ctx, id.New(), im.sourceID, r.ID, string(r.Type), r.Value, clip(r.Name, 500), clip(r.Creator, 200), from, until,
			r.Confidence, string(r.TLP), labels, modified, stamp, stamp); err != nil {
			return fmt.Errorf("store indicators: %w", err)
		}
	}
	return nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// finish writes what is queued.
func (im *importer) finish() error { return im.flush() }

// timeOrZero is t, or the zero time for a Unix-millisecond 0.
func timeOrZero(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
