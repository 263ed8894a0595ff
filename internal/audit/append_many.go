package audit

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// appendBatch is how many records one INSERT of AppendMany carries (12
// values each: well under both engines' limits on bound parameters).
const appendBatch = 400

// AppendMany records entries in order inside tx, as many Append calls
// would — the same records, sequence numbers, leaf hashes and MACs — but
// reading and writing the log's head once and inserting the records in
// batches, for bulk changes such as an import creating thousands of
// findings.
func (l *Log) AppendMany(ctx context.Context, tx *sql.Tx, entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	h, err := l.lockHead(ctx, tx)
	if err != nil {
		return err
	}
	seq := h.size
	at := l.now().UTC().Truncate(time.Millisecond)
	var sb strings.Builder
	args := make([]any, 0, appendBatch*12)
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		_, err := tx.ExecContext(ctx, sb.String(), args...)
		sb.Reset()
		args = args[:0]
		if err != nil {
			return fmt.Errorf("audit: insert: %w", err)
		}
		return nil
	}
	for i, e := range entries {
		if e.Code.ID == "" || e.TargetType == "" {
			return errors.New("audit: entry needs a code and a target type")
		}
		before, err := snapshot(e.Before)
		if err != nil {
			return fmt.Errorf("audit: before: %w", err)
		}
		after, err := snapshot(e.After)
		if err != nil {
			return fmt.Errorf("audit: after: %w", err)
		}
		seq++
		rec := Record{Seq: seq, At: at, Code: e.Code.ID, ActorID: e.Actor.ID, ActorLabel: e.Actor.Label, AgencyID: e.AgencyID,
			TargetType: e.TargetType, TargetID: e.TargetID, Before: before, After: after}
		leaf := leafHash(&rec)
		if err := h.rng.Append(leaf, nil); err != nil {
			return err
		}
		if sb.Len() == 0 {
			sb.WriteString(`INSERT INTO audit_log (seq, at, code, actor_id, actor_label, agency_id, target_type, target_id,
				before_json, after_json, leaf_hash, mac) VALUES `)
		} else {
			sb.WriteByte(',')
		}
		sb.WriteByte('(')
		for k := 1; k <= 12; k++ {
			if k > 1 {
				sb.WriteByte(',')
			}
			sb.WriteString(l.db.Param(len(args) + k))
		}
		sb.WriteByte(')')
		args = append(args, rec.Seq, rec.At.UnixMilli(), rec.Code, rec.ActorID, rec.ActorLabel, rec.AgencyID,
			rec.TargetType, rec.TargetID, string(rec.Before), string(rec.After), hex.EncodeToString(leaf), l.entryMAC(rec.Seq, leaf))
		if (i+1)%appendBatch == 0 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	compactText := encodeHashes(h.rng.Hashes())
	if _, err := tx.ExecContext(ctx, `UPDATE audit_head SET size = $1, compact = $2, mac = $3 WHERE id = 1`,
		seq, compactText, l.headMAC(seq, compactText)); err != nil {
		return fmt.Errorf("audit: head: %w", err)
	}
	return nil
}
