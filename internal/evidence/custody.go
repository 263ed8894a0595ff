package evidence

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/validate"
)

// CustodyInput is a new chain-of-custody entry (contract §8).
type CustodyInput struct {
	Action string `json:"action"`
	Note   string `json:"note"`
	To     string `json:"to"`
}

// custodyRecord is the after snapshot of a custody audit entry: exactly the
// fields a case bundle's custody line must match (bundle.CustodyEntry).
type custodyRecord struct {
	EvidenceID string    `json:"evidence_id"`
	At         time.Time `json:"at"`
	Actor      string    `json:"actor"`
	Action     string    `json:"action"`
	Note       string    `json:"note"`
	To         string    `json:"to"`
}

// AddCustody appends an entry to an item's chain of custody, with its audit
// entry in the same transaction.
func (s *Service) AddCustody(ctx context.Context, a authz.Actor, evID string, in CustodyInput) (Custody, error) {
	it, inc, err := s.load(ctx, evID)
	if err != nil {
		return Custody{}, err
	}
	if err := check(a, ActCustody, inc.AgencyIDs); err != nil {
		return Custody{}, err
	}
	in.Action, in.To = strings.TrimSpace(in.Action), strings.TrimSpace(in.To)
	var v validate.Errors
	v.OneOf("action", in.Action, Actions)
	if in.Action == "" {
		v.Add("action", "is required")
	}
	v.MaxLen("note", in.Note, 20000)
	v.MaxLen("to", in.To, 500)
	if in.Action == "transferred" && in.To == "" {
		v.Add("to", "is required for a transfer")
	}
	if err := v.Err(); err != nil {
		return Custody{}, err
	}
	c := Custody{At: s.now().UTC().Truncate(time.Millisecond), Actor: a.AuditActor().Label, Action: in.Action, Note: in.Note, To: in.To}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		seq, err := s.audit.Append(ctx, tx, audit.Entry{Code: CustodyRecorded, Actor: a.AuditActor(), AgencyID: firstAgency(inc),
			TargetType: "evidence", TargetID: it.ID, After: custodyRecord{it.ID, c.At, c.Actor, c.Action, c.Note, c.To}})
		if err != nil {
			return err
		}
		c.AuditSeq = seq
		// The audit head lock orders concurrent appends; n follows it.
		_, err = tx.ExecContext(ctx, `INSERT INTO evidence_custody (evidence_id, n, at, actor_id, actor, action, note, to_whom, audit_seq)
			VALUES ($1, (SELECT COALESCE(MAX(n), 0) + 1 FROM evidence_custody WHERE evidence_id = $1), $2, $3, $4, $5, $6, $7, $8)`,
			it.ID, c.At.UnixMilli(), a.UserID, c.Actor, c.Action, c.Note, c.To, c.AuditSeq)
		if err != nil {
			return err
		}
		text := "Evidence " + c.Action + ": " + it.Name
		if c.To != "" {
			text += " to " + c.To
		}
		if c.Note != "" {
			text += ". " + c.Note
		}
		return s.timelineTx(ctx, tx, inc.ID, c.At, c.Actor, text)
	})
	if err != nil {
		return Custody{}, err
	}
	return c, nil
}

// custody returns the chains of custody of items, oldest entry first.
func (s *Service) custody(ctx context.Context, ids []string) (map[string][]Custody, error) {
	out := map[string][]Custody{}
	if len(ids) == 0 {
		return out, nil
	}
	for chunk := range slices.Chunk(ids, 500) {
		var wh store.Where
		wh.In("evidence_id", chunk)
		rows, err := s.db.R().QueryContext(ctx, `SELECT evidence_id, at, actor, action, note, to_whom, audit_seq FROM evidence_custody`+
			wh.SQL()+` ORDER BY evidence_id, n`, wh.Args()...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var evID string
			var at int64
			var c Custody
			if err := rows.Scan(&evID, &at, &c.Actor, &c.Action, &c.Note, &c.To, &c.AuditSeq); err != nil {
				rows.Close()
				return nil, err
			}
			c.At = time.UnixMilli(at).UTC()
			out[evID] = append(out[evID], c)
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
