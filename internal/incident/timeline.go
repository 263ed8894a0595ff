package incident

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/validate"
)

// Timeline entry kinds.
const (
	KindCreated     = "created"
	KindStatus      = "status"
	KindAlert       = "alert"
	KindFinding     = "finding"
	KindTask        = "task"
	KindObservable  = "observable"
	KindNote        = "note" // a person's entry, with its own time
	KindChange      = "change"
	KindReview      = "review"
	KindEvidence    = "evidence"
	KindContainment = "containment"
)

// Entry is one timeline entry (contract §6: at, kind, actor, text).
type Entry struct {
	ID     string    `json:"id"`
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"`
	Actor  string    `json:"actor"`
	Text   string    `json:"text"`
	Manual bool      `json:"manual"`
}

// entry is an entry to write.
type entry struct {
	at        time.Time
	kind      string
	actor     audit.Actor
	text      string
	visibleTo string // '' everyone on the incident, '-' central only, an agency id
	manual    bool
}

func (s *Service) addEntry(ctx context.Context, tx *sql.Tx, incidentID string, e entry) error {
	if e.at.IsZero() {
		e.at = s.stamp()
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO incident_timeline (id, incident_id, at, kind, actor_id, actor, text, visible_to, manual, created_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`, id.New(), incidentID, e.at.UTC().UnixMilli(), e.kind, e.actor.ID, e.actor.Label,
		e.text, e.visibleTo, boolInt(e.manual), s.stamp().UnixMilli())
	return err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// AddTimelineTx adds an entry to an incident's timeline inside the caller's
// transaction. Other packages call it for their own events — evidence
// received or in custody, containment actions — so that the entry commits
// with the change it records. It checks nothing: the caller has checked
// access to the incident. kind is a short word (evidence, containment…);
// actor is how the actor appears (an email).
func (s *Service) AddTimelineTx(ctx context.Context, tx *sql.Tx, incidentID string, at time.Time, kind, actor, text string) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM incidents WHERE id = $1`, incidentID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return authz.ErrNotFound
	}
	kind = strings.TrimSpace(kind)
	if kind == "" || len(kind) > 40 {
		return validate.Errors{{Field: "kind", Message: "must be a short word"}}
	}
	return s.addEntry(ctx, tx, incidentID, entry{at: at, kind: kind, actor: audit.Actor{Label: actor}, text: text})
}

// Timeline lists an incident's timeline, oldest first: the entries the
// caller may see (another agency's linked alerts are left out for agency
// roles).
func (s *Service) Timeline(ctx context.Context, a authz.Actor, incidentID string) ([]Entry, error) {
	r, err := s.readable(ctx, a, incidentID)
	if err != nil {
		return nil, err
	}
	return s.timeline(ctx, r.id, lensOf(a))
}

func (s *Service) timeline(ctx context.Context, incidentID string, l lens) ([]Entry, error) {
	rows, err := s.db.R().QueryContext(ctx, `SELECT id, at, kind, actor, text, visible_to, manual FROM incident_timeline
		WHERE incident_id = $1 ORDER BY at, id`, incidentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		var e Entry
		var at int64
		var vis string
		var manual int
		if err := rows.Scan(&e.ID, &at, &e.Kind, &e.Actor, &e.Text, &vis, &manual); err != nil {
			return nil, err
		}
		if !l.seesEntry(vis) {
			continue
		}
		e.At, e.Manual = ms(at), manual != 0
		out = append(out, e)
	}
	return out, rows.Err()
}

// NewEntry is a person's timeline entry: what happened and when (it may
// be earlier than now: "the user clicked the link at 08:12").
type NewEntry struct {
	At   *time.Time `json:"at"`
	Text string     `json:"text"`
}

// AddEntry adds a person's entry to the timeline.
func (s *Service) AddEntry(ctx context.Context, a authz.Actor, incidentID string, in NewEntry) (Entry, error) {
	var v validate.Errors
	in.Text = strings.TrimSpace(in.Text)
	v.Required("text", in.Text, 10_000)
	now := s.stamp()
	at := now
	if in.At != nil {
		at = in.At.UTC().Truncate(time.Millisecond)
		if at.After(now.Add(5 * time.Minute)) {
			v.Add("at", "must not be in the future")
		}
		if at.Year() < 2000 {
			v.Add("at", "must be a time after 2000")
		}
	}
	var out Entry
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		r, err := s.writable(ctx, tx, a, authz.IncidentUpdate, incidentID)
		if err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		e := entry{at: at, kind: KindNote, actor: a.AuditActor(), text: in.Text, manual: true}
		if err := s.addEntry(ctx, tx, r.id, e); err != nil {
			return err
		}
		out = Entry{At: at, Kind: KindNote, Actor: a.AuditActor().Label, Text: in.Text, Manual: true}
		return s.touch(ctx, tx, a, r, EntryAdded, nil, map[string]any{"at": at, "text_sha256": sha256Hex(in.Text)})
	})
	return out, err
}

// touch stamps the incident as updated and writes the audit entry of a
// change.
func (s *Service) touch(ctx context.Context, tx *sql.Tx, a authz.Actor, r *record, code audit.Code, before, after any) error {
	now := s.stamp()
	if _, err := tx.ExecContext(ctx, `UPDATE incidents SET updated_at = $1 WHERE id = $2`, now.UnixMilli(), r.id); err != nil {
		return err
	}
	r.updatedAt = now
	_, err := s.audit.Append(ctx, tx, audit.Entry{Code: code, Actor: a.AuditActor(), AgencyID: r.firstAgency(), TargetType: "incident",
		TargetID: r.id, Before: before, After: after})
	return err
}
