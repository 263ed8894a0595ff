package detect

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/validate"
)

// Hunt statuses.
const (
	HuntRunning = "running"
	HuntDone    = "done"
	HuntFailed  = "failed"
)

// Time bases of a hunt's range.
const (
	// TimeEvent selects events by their own time (the "@kubu" envelope's
	// time: the event's timestamp, or when intake received it when it
	// carries none), wherever they sit in the log.
	TimeEvent = "event"
	// TimeStored selects events by when the log stored them.
	TimeStored = "stored"
)

// Hunt is a retro-hunt: one rule over a time range of retained events,
// run in the background; its matches become alerts marked with its id.
type Hunt struct {
	ID            string     `json:"id"`
	Status        string     `json:"status"`
	RuleID        string     `json:"rule_id,omitempty"`
	Title         string     `json:"title"`
	AgencyID      string     `json:"agency_id,omitempty"` // "" = every agency
	From          time.Time  `json:"from"`
	To            time.Time  `json:"to"`
	TimeBasis     string     `json:"time_basis"` // TimeEvent or TimeStored
	EventsScanned int64      `json:"events_scanned"`
	Matches       int64      `json:"matches"`
	Error         string     `json:"error,omitempty"`
	CreatedBy     string     `json:"created_by"`
	CreatedAt     time.Time  `json:"created_at"`
	FinishedAt    *time.Time `json:"finished_at,omitempty"`
	YAML          string     `json:"yaml,omitempty"`
}

// NewHunt is the input of CreateHunt: a stored rule's id or a rule as
// YAML, and the time range [From, To) (a zero To means now) of the
// events' own time, or with TimeBasis "stored" of when the log stored
// them.
type NewHunt struct {
	RuleID    string    `json:"rule_id"`
	Rule      string    `json:"rule"`
	From      time.Time `json:"from"`
	To        time.Time `json:"to"`
	TimeBasis string    `json:"time_basis"` // TimeEvent (default) or TimeStored
}

// CreateHunt starts a retro-hunt. Agency roles hunt in their own agency's
// events only.
func (s *Service) CreateHunt(ctx context.Context, a authz.Actor, in NewHunt) (Hunt, error) {
	if err := authz.Check(a, authz.HuntCreate, authz.Collection()); err != nil {
		return Hunt{}, err
	}
	var v validate.Errors
	if (in.RuleID == "") == (strings.TrimSpace(in.Rule) == "") {
		v.Add("rule_id", "give either rule_id or rule (Sigma YAML)")
	}
	if in.To.IsZero() {
		in.To = s.now()
	}
	if in.From.IsZero() {
		v.Add("from", "is required (RFC 3339)")
	} else if !in.From.Before(in.To) {
		v.Add("to", "must be after from")
	}
	switch in.TimeBasis {
	case "":
		in.TimeBasis = TimeEvent
	case TimeEvent, TimeStored:
	default:
		v.Add("time_basis", `must be "event" (the events' own time) or "stored" (when the log stored them)`)
	}
	if err := v.Err(); err != nil {
		return Hunt{}, err
	}
	h := Hunt{ID: id.New(), Status: HuntRunning, From: in.From.UTC(), To: in.To.UTC(), TimeBasis: in.TimeBasis, CreatedBy: a.UserID,
		CreatedAt: s.now().UTC().Truncate(time.Millisecond)}
	if sc := authz.ScopeOf(a, authz.HuntRead); !sc.All {
		h.AgencyID = sc.AgencyID
	}
	yaml := in.Rule
	if in.RuleID != "" {
		r, err := s.RuleByID(ctx, a, in.RuleID)
		if errors.Is(err, authz.ErrNotFound) {
			return Hunt{}, validate.Errors{{Field: "rule_id", Message: "no such rule"}}
		}
		if err != nil {
			return Hunt{}, err
		}
		yaml, h.RuleID, h.Title = r.YAML, r.ID, r.Title
	}
	p, err := parseRule("hunt.yml", []byte(yaml), h.RuleID, true)
	if err != nil {
		return Hunt{}, err
	}
	hasDetection := false
	for _, r := range p.rules {
		hasDetection = hasDetection || docKind(r) == KindDetection
	}
	if !hasDetection {
		return Hunt{}, &RuleError{"a retro-hunt needs at least one detection rule"}
	}
	if h.Title == "" {
		var r Rule
		p.summary(&r)
		h.Title, h.RuleID = r.Title, r.ID
	}
	h.YAML = yaml
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO hunts (id, agency_id, rule_id, title, yaml, from_at, to_at, time_basis, status, created_by, created_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`,
			h.ID, h.AgencyID, h.RuleID, h.Title, yaml, h.From.UnixMilli(), h.To.UnixMilli(), h.TimeBasis, h.Status, h.CreatedBy, h.CreatedAt.UnixMilli())
		if err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: HuntCreated, Actor: a.AuditActor(), AgencyID: h.AgencyID, TargetType: "hunt", TargetID: h.ID,
			After: map[string]any{"rule_id": h.RuleID, "title": h.Title, "from": h.From, "to": h.To, "time_basis": h.TimeBasis}})
		return err
	})
	if err != nil {
		return Hunt{}, err
	}
	select {
	case s.huntWake <- struct{}{}:
	default:
	}
	return h, nil
}

const huntCols = `id, status, rule_id, title, agency_id, from_at, to_at, time_basis, events_scanned, matches, error, created_by, created_at, finished_at`

func scanHunt(sc store.Scanner, extra ...any) (Hunt, error) {
	var h Hunt
	var from, to, created int64
	var finished sql.NullInt64
	dst := append([]any{&h.ID, &h.Status, &h.RuleID, &h.Title, &h.AgencyID, &from, &to, &h.TimeBasis, &h.EventsScanned, &h.Matches, &h.Error,
		&h.CreatedBy, &created, &finished}, extra...)
	if err := sc.Scan(dst...); errors.Is(err, sql.ErrNoRows) {
		return Hunt{}, authz.ErrNotFound
	} else if err != nil {
		return Hunt{}, err
	}
	h.From, h.To, h.CreatedAt = time.UnixMilli(from).UTC(), time.UnixMilli(to).UTC(), time.UnixMilli(created).UTC()
	if finished.Valid {
		t := time.UnixMilli(finished.Int64).UTC()
		h.FinishedAt = &t
	}
	return h, nil
}

// HuntByID returns one hunt the caller may see (a hunt over every agency
// is visible to central roles only).
func (s *Service) HuntByID(ctx context.Context, a authz.Actor, huntID string) (Hunt, error) {
	if err := authz.Check(a, authz.HuntRead, authz.Collection()); err != nil { // no grant: refused before any lookup
		return Hunt{}, err
	}
	var yaml string
	h, err := scanHunt(s.db.R().QueryRowContext(ctx, `SELECT `+huntCols+`, yaml FROM hunts WHERE id = $1`, huntID), &yaml)
	if err != nil {
		return Hunt{}, err
	}
	if err := s.checkHunt(a, h); err != nil {
		return Hunt{}, err
	}
	h.YAML = yaml
	return h, nil
}

// checkHunt checks that a may see h; a hunt of no agency (a central
// role's, over every agency's events) is a platform record.
func (s *Service) checkHunt(a authz.Actor, h Hunt) error {
	return authz.Check(a, authz.HuntRead, authz.Record(h.AgencyID))
}

// ListHunts lists the hunts the caller may see, newest first.
func (s *Service) ListHunts(ctx context.Context, a authz.Actor, cursor string, limit int) (store.Page[Hunt], error) {
	sc, err := authz.ScopeFor(a, authz.HuntRead)
	if err != nil {
		return store.Page[Hunt]{}, err
	}
	var wh store.Where
	sc.Where(&wh, "agency_id", "")
	return store.List(ctx, s.db.R(), store.ListQuery[Hunt]{
		SQL: `SELECT ` + huntCols + ` FROM hunts`, Where: &wh, Keyset: store.Keyset{Keys: []string{"id"}, Desc: true},
		Cursor: cursor, Limit: limit, Scan: func(sc store.Scanner) (Hunt, error) { return scanHunt(sc) },
		Key: func(h Hunt) []any { return []any{h.ID} }})
}
