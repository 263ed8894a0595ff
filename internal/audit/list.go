package audit

import (
	"context"
	"time"

	"github.com/kubu-gov/kubu/internal/store"
)

// Filter selects audit records for reading. AgencyID "" with AllAgencies
// false selects nothing: callers must say which scope they mean.
type Filter struct {
	AllAgencies bool
	AgencyID    string
	Code        string // exact code ID, optional
	TargetType  string
	TargetTypes []string // when set, only entries about records of these types
	TargetID    string
	ActorID     string
	BeforeSeq   int64 // keyset cursor: only entries with seq < BeforeSeq (0 = newest)
	Limit       int
}

// List returns records newest first.
func (l *Log) List(ctx context.Context, f Filter) ([]Record, error) {
	var wh store.Where
	if !f.AllAgencies {
		wh.And("agency_id = " + wh.Arg(f.AgencyID))
	}
	if f.Code != "" {
		wh.And("code = " + wh.Arg(f.Code))
	}
	if f.TargetType != "" {
		wh.And("target_type = " + wh.Arg(f.TargetType))
	}
	if f.TargetTypes != nil {
		if len(f.TargetTypes) == 0 {
			wh.And("1 = 0")
		}
		wh.In("target_type", f.TargetTypes)
	}
	if f.TargetID != "" {
		wh.And("target_id = " + wh.Arg(f.TargetID))
	}
	if f.ActorID != "" {
		wh.And("actor_id = " + wh.Arg(f.ActorID))
	}
	if f.BeforeSeq > 0 {
		wh.And("seq < " + wh.Arg(f.BeforeSeq))
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 50
	}
	q := `SELECT seq, at, code, actor_id, actor_label, agency_id, target_type, target_id, before_json, after_json, leaf_hash FROM audit_log`
	q += wh.SQL()
	q += " ORDER BY seq DESC LIMIT " + wh.Arg(limit)
	rows, err := l.db.R().QueryContext(ctx, q, wh.Args()...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var r Record
		var at int64
		var before, after string
		if err := rows.Scan(&r.Seq, &at, &r.Code, &r.ActorID, &r.ActorLabel, &r.AgencyID, &r.TargetType, &r.TargetID, &before, &after, &r.LeafHash); err != nil {
			return nil, err
		}
		r.At = time.UnixMilli(at).UTC()
		if c, ok := Lookup(r.Code); ok {
			r.Name = c.Name
		}
		if before != "" {
			r.Before = []byte(before)
		}
		if after != "" {
			r.After = []byte(after)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
