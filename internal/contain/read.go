package contain

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/validate"
)

// Action is one containment action.
type Action struct {
	ID          string     `json:"id"`
	Type        string     `json:"type"`
	Value       string     `json:"value"` // normalised
	Reason      string     `json:"reason"`
	TTL         string     `json:"ttl"` // as a Go duration, e.g. "24h0m0s"
	IncidentID  string     `json:"incident_id,omitempty"`
	AgencyID    string     `json:"agency_id,omitempty"`
	Status      string     `json:"status"`
	RequestedBy string     `json:"requested_by"` // user id
	Requester   string     `json:"requester"`    // their email
	RequestedAt time.Time  `json:"requested_at"`
	ApprovedBy  string     `json:"approved_by,omitempty"`
	Approver    string     `json:"approver,omitempty"`
	ApprovedAt  *time.Time `json:"approved_at,omitempty"`
	ActivatedAt *time.Time `json:"activated_at,omitempty"`
	// ExpiresAt is when an active action ends by itself, or when a pending
	// request lapses unapproved.
	ExpiresAt time.Time  `json:"expires_at"`
	EndedBy   string     `json:"ended_by,omitempty"` // who revoked it, or "system" for expiry
	EndedAt   *time.Time `json:"ended_at,omitempty"`
	// Connector is the state of the outside calls (SCIM, webhook), when
	// there are any.
	Connector *Connector `json:"connector,omitempty"`
	UpdatedAt time.Time  `json:"updated_at"`

	ttl time.Duration
}

// Connector is where an action's outside calls stand.
type Connector struct {
	// State: apply (to do: disable / tell the webhook), applied, release
	// (to do: re-enable / tell the webhook), released, failed.
	State    string `json:"state"`
	Attempts int    `json:"attempts"`
	Error    string `json:"error,omitempty"`
}

// Sync states.
const (
	syncNone     = ""
	syncApply    = "apply"
	syncApplied  = "applied"
	syncRelease  = "release"
	syncReleased = "released"
	syncFailed   = "failed"
)

const actionCols = `id, type, value, reason, ttl_ms, incident_id, agency_id, status, requested_by, requester, requested_at,
	approved_by, approver, approved_at, activated_at, expires_at, ended_by, ended_at, sync_state, sync_attempts, sync_error, updated_at`

func scanAction(sc interface{ Scan(...any) error }) (Action, error) {
	var a Action
	var ttl, requested, expires, updated int64
	var approved, activated, ended sql.NullInt64
	var state, syncErr string
	var attempts int
	err := sc.Scan(&a.ID, &a.Type, &a.Value, &a.Reason, &ttl, &a.IncidentID, &a.AgencyID, &a.Status, &a.RequestedBy, &a.Requester,
		&requested, &a.ApprovedBy, &a.Approver, &approved, &activated, &expires, &a.EndedBy, &ended, &state, &attempts, &syncErr, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return Action{}, authz.ErrNotFound
	}
	if err != nil {
		return Action{}, err
	}
	a.ttl = time.Duration(ttl) * time.Millisecond
	a.TTL = a.ttl.String()
	a.RequestedAt, a.ExpiresAt, a.UpdatedAt = ms(requested), ms(expires), ms(updated)
	a.ApprovedAt, a.ActivatedAt, a.EndedAt = nullMS(approved), nullMS(activated), nullMS(ended)
	if state != syncNone {
		a.Connector = &Connector{State: state, Attempts: attempts, Error: syncErr}
	}
	return a, nil
}

func ms(v int64) time.Time { return time.UnixMilli(v).UTC() }

func nullMS(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := ms(v.Int64)
	return &t
}

// Get returns one action the caller may see.
func (s *Service) Get(ctx context.Context, a authz.Actor, id string) (Action, error) {
	if err := authz.Check(a, authz.ContainmentRead, authz.Collection()); err != nil {
		return Action{}, err
	}
	act, err := scanAction(s.db.R().QueryRowContext(ctx, `SELECT `+actionCols+` FROM containment_actions WHERE id = $1`, id))
	if err != nil {
		return Action{}, err
	}
	if err := authz.Check(a, authz.ContainmentRead, authz.Record(act.AgencyID)); err != nil {
		return Action{}, err
	}
	return act, nil
}

// Filter narrows List.
type Filter struct {
	Statuses []string
	Type     string
	// ExpiringWithin keeps active actions that end within this long.
	ExpiringWithin time.Duration
	IncidentID     string
	Cursor         string
	Limit          int
}

// List returns the actions the caller may see, newest first.
func (s *Service) List(ctx context.Context, a authz.Actor, f Filter) (store.Page[Action], error) {
	sc, err := authz.ScopeFor(a, authz.ContainmentRead)
	if err != nil {
		return store.Page[Action]{}, err
	}
	var v validate.Errors
	for _, st := range f.Statuses {
		v.OneOf("status", st, Statuses)
	}
	if f.Type != "" {
		v.OneOf("type", f.Type, Types)
	}
	if err := v.Err(); err != nil {
		return store.Page[Action]{}, err
	}
	var w store.Where
	sc.Where(&w, "agency_id", "")
	w.In("status", f.Statuses)
	if f.Type != "" {
		w.And("type = " + w.Arg(f.Type))
	}
	if f.IncidentID != "" {
		w.And("incident_id = " + w.Arg(f.IncidentID))
	}
	if f.ExpiringWithin > 0 {
		w.And("status = 'active' AND expires_at <= " + w.Arg(s.now().Add(f.ExpiringWithin).UnixMilli()))
	}
	if f.Cursor != "" {
		var last string
		if err := store.DecodeCursor(f.Cursor, &last); err != nil {
			return store.Page[Action]{}, err
		}
		w.And("id < " + w.Arg(last))
	}
	limit := store.Limit(f.Limit)
	rows, err := s.db.R().QueryContext(ctx, `SELECT `+actionCols+` FROM containment_actions`+w.SQL()+` ORDER BY id DESC LIMIT `+w.Arg(limit+1), w.Args()...)
	if err != nil {
		return store.Page[Action]{}, err
	}
	defer rows.Close()
	page := store.Page[Action]{Items: []Action{}}
	for rows.Next() {
		act, err := scanAction(rows)
		if err != nil {
			return store.Page[Action]{}, err
		}
		page.Items = append(page.Items, act)
	}
	if err := rows.Err(); err != nil {
		return store.Page[Action]{}, err
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.NextCursor = store.EncodeCursor(page.Items[limit-1].ID)
	}
	return page, nil
}

// Block is an active block as the feeds publish it.
type Block struct {
	Type, Value string
	ExpiresAt   time.Time
}

// Active returns every active block and account disable that has not yet
// reached its expiry (the feeds read it; it checks no access). The expiry
// job ends them in the database; the feeds leave them out from their
// expiry on, whichever comes first.
func (s *Service) Active(ctx context.Context) ([]Block, error) {
	rows, err := s.db.R().QueryContext(ctx, `SELECT type, value, expires_at FROM containment_actions WHERE status = 'active' AND expires_at > $1
		ORDER BY type, value`, s.now().UnixMilli())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Block
	for rows.Next() {
		var b Block
		var exp int64
		if err := rows.Scan(&b.Type, &b.Value, &exp); err != nil {
			return nil, err
		}
		b.ExpiresAt = ms(exp)
		out = append(out, b)
	}
	return out, rows.Err()
}
