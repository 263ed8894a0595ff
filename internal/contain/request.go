package contain

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/contain/guard"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/validate"
)

// Request is the input of Create (contract §7).
type Request struct {
	Type       string `json:"type"`
	Value      string `json:"value"`
	TTL        string `json:"ttl"`
	Reason     string `json:"reason"`
	IncidentID string `json:"incident_id"`
	DryRun     bool   `json:"dry_run"`
}

// DryRun is what a request would do, answered without changing anything.
type DryRun struct {
	DryRun bool   `json:"dry_run"` // always true
	Type   string `json:"type"`
	Value  string `json:"value"` // normalised, as it would be published
	// Status is what the action would be: pending (awaiting a second
	// person) or active.
	Status    string    `json:"status"`
	ExpiresAt time.Time `json:"expires_at"` // if it became active now
	// Changes lists what would change where once it is active; empty when
	// other active actions already publish the same value.
	Changes []Change `json:"changes"`
	// AlreadyActive lists the active actions with the same target.
	AlreadyActive []string `json:"already_active"`
}

// Change is one thing a dry run says would change.
type Change struct {
	Where string `json:"where"` // edl/ip.txt, edl/domain.txt, edl/url.txt, rpz, scim, webhook
	What  string `json:"what"`
}

// RefusedError is a request the guard rails refuse.
type RefusedError = guard.RefusedError

// ErrNoConnector is an account action with no SCIM connector configured.
var ErrNoConnector = errors.New("no SCIM connector is configured (--scim-url): accounts cannot be disabled")

// ParseTTL reads a time to live: a Go duration ("90m", "24h") or a number
// of days ("7d").
func ParseTTL(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n <= 0 || n > 100000 {
			return 0, fmt.Errorf("%q is not a number of days (1 to 100000)", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as 90m, 24h or 7d", s)
	}
	return d, nil
}

// check validates a request and normalises its target.
func (s *Service) check(in Request) (guard.Target, time.Duration, error) {
	var v validate.Errors
	v.OneOf("type", in.Type, Types)
	v.Required("value", in.Value, 2048)
	v.Required("reason", in.Reason, 2000)
	v.MaxLen("incident_id", in.IncidentID, 64)
	var ttl time.Duration
	if strings.TrimSpace(in.TTL) == "" {
		v.Add("ttl", "is required (e.g. 24h, 7d)")
	} else if d, err := ParseTTL(in.TTL); err != nil {
		v.Add("ttl", "%s", err.Error())
	} else if d < s.opts.MinTTL || d > s.opts.MaxTTL {
		v.Add("ttl", "must be from %s to %s", s.opts.MinTTL, s.opts.MaxTTL)
	} else {
		ttl = d.Truncate(time.Millisecond)
	}
	if err := v.Err(); err != nil {
		return guard.Target{}, 0, err
	}
	if in.Type == TypeAccount && s.opts.SCIM == nil {
		return guard.Target{}, 0, validate.Errors{{Field: "type", Message: ErrNoConnector.Error()}}
	}
	t, err := guard.Check(guard.Target{Type: in.Type, Value: strings.TrimSpace(in.Value)}, s.opts.Guard)
	if errors.Is(err, guard.ErrInvalid) {
		return t, 0, validate.Errors{{Field: "value", Message: strings.TrimPrefix(err.Error(), guard.ErrInvalid.Error()+": ")}}
	}
	return t, ttl, err
}

// Create requests a containment action. With two-person approval (the
// default) it is pending until another person approves it; otherwise it
// is active at once. A dry run answers what would change and writes
// nothing: Create then returns a *DryRun and no Action. Agency admins
// request for their own agency; a refused target is a *RefusedError.
func (s *Service) Create(ctx context.Context, a authz.Actor, in Request) (Action, *DryRun, error) {
	if err := authz.Check(a, authz.ContainmentRequest, authz.Collection()); err != nil {
		return Action{}, nil, err
	}
	t, ttl, err := s.check(in)
	if err != nil {
		return Action{}, nil, err
	}
	agency := ""
	if sc := authz.ScopeOf(a, authz.ContainmentRequest); !sc.All {
		agency = sc.AgencyID
	}
	if in.DryRun {
		d, err := s.dryRun(ctx, t, ttl)
		return Action{}, d, err
	}
	now := s.stamp()
	act := Action{ID: id.New(), Type: t.Type, Value: t.Value, Reason: strings.TrimSpace(in.Reason), ttl: ttl, TTL: ttl.String(),
		IncidentID: strings.TrimSpace(in.IncidentID), AgencyID: agency, Status: StatusPending, RequestedBy: a.UserID,
		Requester: a.AuditActor().Label, RequestedAt: now, ExpiresAt: now.Add(ttl), UpdatedAt: now}
	sync := syncNone
	if s.opts.OnePerson {
		act.Status, act.ActivatedAt = StatusActive, &now
		sync = s.applyState(act.Type)
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO containment_actions (id, type, value, reason, ttl_ms, incident_id, agency_id, status,
			requested_by, requester, requested_at, activated_at, expires_at, sync_state, sync_next_at, updated_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$11)`,
			act.ID, act.Type, act.Value, act.Reason, ttl.Milliseconds(), act.IncidentID, act.AgencyID, act.Status, act.RequestedBy,
			act.Requester, now.UnixMilli(), nullTime(act.ActivatedAt), act.ExpiresAt.UnixMilli(), sync, syncNext(sync, now))
		if err != nil {
			return err
		}
		code := Requested
		if act.Status == StatusActive {
			code = Activated
			if err := bumpVersion(ctx, tx); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, code, a.AuditActor(), act, nil, fmt.Sprintf("Containment %s: %s %s for %s (%s)",
			map[string]string{StatusPending: "requested", StatusActive: "active"}[act.Status], verb(act.Type), act.Value, act.TTL, act.Reason))
	})
	if err != nil {
		return Action{}, nil, err
	}
	if sync != syncNone {
		act.Connector = &Connector{State: sync}
	}
	return act, nil, nil
}

func verb(t string) string {
	if t == TypeAccount {
		return "disable account"
	}
	return "block " + t
}

func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

// applyState is the outbox state of an action of type t that becomes
// active: something to do when there is a connector for it.
func (s *Service) applyState(t string) string {
	if t == TypeAccount || s.opts.Webhook != nil {
		return syncApply
	}
	return syncNone
}

func syncNext(state string, now time.Time) any {
	if state == syncNone {
		return nil
	}
	return now.UnixMilli()
}

// record appends the audit entry of a change and, for an action linked to
// an incident, its timeline entry, inside tx.
func (s *Service) record(ctx context.Context, tx *sql.Tx, code audit.Code, actor audit.Actor, act Action, before map[string]any, text string) error {
	after := map[string]any{"type": act.Type, "value": act.Value, "status": act.Status, "ttl": act.TTL, "expires_at": act.ExpiresAt,
		"reason": act.Reason, "incident_id": act.IncidentID}
	var b any
	if before != nil {
		b = before
	}
	if _, err := s.audit.Append(ctx, tx, audit.Entry{Code: code, Actor: actor, AgencyID: act.AgencyID, TargetType: "containment",
		TargetID: act.ID, Before: b, After: after}); err != nil {
		return err
	}
	if act.IncidentID != "" && s.opts.Timeline != nil {
		if err := s.opts.Timeline.AddTimelineTx(ctx, tx, act.IncidentID, s.stamp(), "containment", actor.Label, text); err != nil {
			if errors.Is(err, authz.ErrNotFound) {
				return validate.Errors{{Field: "incident_id", Message: "no such incident"}}
			}
			return err
		}
	}
	return nil
}

// dryRun answers what an action on t would change, reading only.
func (s *Service) dryRun(ctx context.Context, t guard.Target, ttl time.Duration) (*DryRun, error) {
	d := &DryRun{DryRun: true, Type: t.Type, Value: t.Value, Status: StatusPending, ExpiresAt: s.stamp().Add(ttl),
		Changes: []Change{}, AlreadyActive: []string{}}
	if s.opts.OnePerson {
		d.Status = StatusActive
	}
	rows, err := s.db.R().QueryContext(ctx, `SELECT id FROM containment_actions WHERE type = $1 AND value = $2 AND status = 'active' AND expires_at > $3`,
		t.Type, t.Value, s.now().UnixMilli())
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		d.AlreadyActive = append(d.AlreadyActive, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(d.AlreadyActive) == 0 {
		switch t.Type {
		case TypeIP, TypeCIDR:
			d.Changes = append(d.Changes, Change{"edl/ip.txt", "add " + t.Value})
		case TypeDomain:
			d.Changes = append(d.Changes, Change{"edl/domain.txt", "add " + t.Value + " and *." + t.Value},
				Change{"rpz", "add " + t.Value + " CNAME . and *." + t.Value + " CNAME ."})
		case TypeURL:
			d.Changes = append(d.Changes, Change{"edl/url.txt", "add " + strings.TrimPrefix(strings.TrimPrefix(t.Value, "https://"), "http://")})
		case TypeAccount:
			d.Changes = append(d.Changes, Change{"scim", "PATCH /Users/{id of " + t.Value + "} active:false at " + s.opts.SCIM.BaseURL})
		}
	}
	if s.opts.Webhook != nil {
		d.Changes = append(d.Changes, Change{"webhook", "POST " + s.opts.Webhook.URL + " containment.activated"})
	}
	slices.SortStableFunc(d.Changes, func(a, b Change) int { return strings.Compare(a.Where, b.Where) })
	return d, nil
}
