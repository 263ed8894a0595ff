package incident

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/validate"
)

// newWebhookSecret is a new signing secret: 32 random bytes, base64url,
// prefixed "whsec_" so that secret scanners spot it.
func newWebhookSecret() string {
	var b [32]byte
	rand.Read(b[:])
	return "whsec_" + base64.RawURLEncoding.EncodeToString(b[:])
}

// RotationInput adds or replaces a rotation. Members are user ids or
// emails of people who may work on every incident (central operations).
type RotationInput struct {
	Name      string   `json:"name"`
	TimeZone  string   `json:"time_zone"`
	Handover  string   `json:"handover"`
	ShiftDays int      `json:"shift_days"`
	StartsOn  string   `json:"starts_on"`
	Members   []string `json:"members"`
}

// operator checks that a user may be paged for any incident: an active
// user who may update incidents of every agency.
func (s *Service) operator(ctx context.Context, q store.Querier, field, who string) (userRef, error) {
	who = strings.TrimSpace(who)
	var u userRef
	var role string
	var agency sql.NullString
	var disabled bool
	col := "id"
	if strings.Contains(who, "@") {
		col, who = "email", strings.ToLower(who)
	}
	err := q.QueryRowContext(ctx, `SELECT id, email, role, agency_id, disabled FROM users WHERE `+col+` = $1`, who).Scan(&u.id, &u.email, &role, &agency, &disabled)
	if errors.Is(err, sql.ErrNoRows) || err == nil && disabled {
		return userRef{}, validate.Errors{{Field: field, Message: "no such active user: " + who}}
	}
	if err != nil {
		return userRef{}, err
	}
	if !authz.ScopeOf(authz.Actor{UserID: u.id, Role: authz.Role(role), AgencyID: agency.String}, authz.IncidentUpdate).All {
		return userRef{}, validate.Errors{{Field: field, Message: u.email + " is not in central operations and cannot be on call for every agency"}}
	}
	return u, nil
}

func (s *Service) checkRotation(ctx context.Context, in RotationInput) (Rotation, error) {
	var v validate.Errors
	r := Rotation{Name: strings.TrimSpace(in.Name), TimeZone: strings.TrimSpace(in.TimeZone), Handover: strings.TrimSpace(in.Handover),
		ShiftDays: in.ShiftDays, StartsOn: strings.TrimSpace(in.StartsOn)}
	v.Required("name", r.Name, 100)
	if _, err := time.LoadLocation(r.TimeZone); err != nil || r.TimeZone == "" || r.TimeZone == "Local" {
		v.Add("time_zone", "must be an IANA time zone such as Asia/Singapore")
	}
	if _, _, err := parseHandover(r.Handover); err != nil {
		v.Add("handover", "must be a time of day HH:MM")
	}
	if r.ShiftDays < 1 || r.ShiftDays > 28 {
		v.Add("shift_days", "must be from 1 to 28")
	}
	if _, err := time.Parse("2006-01-02", r.StartsOn); err != nil {
		v.Add("starts_on", "must be a date YYYY-MM-DD")
	}
	if len(in.Members) == 0 || len(in.Members) > 50 {
		v.Add("members", "give from 1 to 50 members")
	}
	for _, m := range in.Members {
		u, err := s.operator(ctx, s.db.R(), "members", m)
		if fe, ok := validate.As(err); ok {
			v = append(v, fe...)
			continue
		}
		if err != nil {
			return r, err
		}
		if slices.Contains(r.Members, u.id) {
			v.Add("members", "%s is listed twice", u.email)
			continue
		}
		r.Members = append(r.Members, u.id)
		r.MemberEmails = append(r.MemberEmails, u.email)
	}
	return r, v.Err()
}

func rotationSnapshot(r Rotation) map[string]any {
	return map[string]any{"name": r.Name, "time_zone": r.TimeZone, "handover": r.Handover, "shift_days": r.ShiftDays, "starts_on": r.StartsOn, "members": r.Members}
}

// SaveRotation adds a rotation (rotationID "") or replaces one (wog-admin).
func (s *Service) SaveRotation(ctx context.Context, a authz.Actor, rotationID string, in RotationInput) (Rotation, error) {
	if err := authz.Check(a, authz.OnCallManage, authz.Record()); err != nil {
		return Rotation{}, err
	}
	r, verr := s.checkRotation(ctx, in)
	now := s.stamp()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var before any
		if rotationID != "" {
			old, err := s.rotation(ctx, tx, rotationID)
			if err != nil {
				return err
			}
			before = rotationSnapshot(old)
			r.ID, r.CreatedAt = old.ID, old.CreatedAt
		} else {
			r.ID, r.CreatedAt = id.New(), now
		}
		if verr != nil {
			return verr
		}
		r.UpdatedAt = now
		members, _ := json.Marshal(r.Members)
		_, err := tx.ExecContext(ctx, `INSERT INTO oncall_rotations (id, name, time_zone, handover, shift_days, starts_on, members, created_by, created_at, updated_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) ON CONFLICT (id) DO UPDATE SET name = excluded.name, time_zone = excluded.time_zone,
			handover = excluded.handover, shift_days = excluded.shift_days, starts_on = excluded.starts_on, members = excluded.members,
			updated_at = excluded.updated_at`, r.ID, r.Name, r.TimeZone, r.Handover, r.ShiftDays, r.StartsOn, string(members), a.UserID,
			r.CreatedAt.UnixMilli(), now.UnixMilli())
		if store.IsUniqueViolation(err) {
			return validate.Errors{{Field: "name", Message: "another rotation has this name"}}
		}
		if err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: RotationSaved, Actor: a.AuditActor(), TargetType: "rotation", TargetID: r.ID,
			Before: before, After: rotationSnapshot(r)})
		return err
	})
	if err != nil {
		return Rotation{}, err
	}
	s.fillOnCall(&r)
	return r, nil
}

// DeleteRotation removes a rotation the escalation policy does not use.
func (s *Service) DeleteRotation(ctx context.Context, a authz.Actor, rotationID string) error {
	if err := authz.Check(a, authz.OnCallManage, authz.Record()); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		r, err := s.rotation(ctx, tx, rotationID)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM oncall_policy WHERE primary_rotation = $1 OR secondary_rotation = $1`, r.ID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%w: the escalation policy uses this rotation; change the policy first", validate.ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM oncall_rotations WHERE id = $1`, r.ID); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: RotationDeleted, Actor: a.AuditActor(), TargetType: "rotation", TargetID: r.ID, Before: rotationSnapshot(r)})
		return err
	})
}

const rotationCols = `id, name, time_zone, handover, shift_days, starts_on, members, created_at, updated_at`

func scanRotation(sc interface{ Scan(...any) error }) (Rotation, error) {
	var r Rotation
	var members string
	var created, updated int64
	err := sc.Scan(&r.ID, &r.Name, &r.TimeZone, &r.Handover, &r.ShiftDays, &r.StartsOn, &members, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return r, authz.ErrNotFound
	}
	json.Unmarshal([]byte(members), &r.Members)
	r.CreatedAt, r.UpdatedAt = ms(created), ms(updated)
	return r, err
}

func (s *Service) rotation(ctx context.Context, q store.Querier, rotationID string) (Rotation, error) {
	return scanRotation(q.QueryRowContext(ctx, `SELECT `+rotationCols+` FROM oncall_rotations WHERE id = $1`, rotationID))
}

// fillOnCall sets who is on call now and the member emails.
func (s *Service) fillOnCall(r *Rotation) {
	emails := s.emails(context.Background(), r.Members)
	r.MemberEmails = make([]string, len(r.Members))
	for i, m := range r.Members {
		r.MemberEmails[i] = emails[m]
	}
	if who, next, err := r.OnCallAt(s.now()); err == nil {
		r.OnCall, r.OnCallEmail, r.NextHandover = who, emails[who], &next
	}
}

func (s *Service) emails(ctx context.Context, ids []string) map[string]string {
	out := map[string]string{}
	if len(ids) == 0 {
		return out
	}
	var w store.Where
	w.In("id", ids)
	rows, err := s.db.R().QueryContext(ctx, `SELECT id, email FROM users`+w.SQL(), w.Args()...)
	if err != nil {
		return out
	}
	defer rows.Close()
	for rows.Next() {
		var uid, email string
		if rows.Scan(&uid, &email) == nil {
			out[uid] = email
		}
	}
	return out
}

// Rotations lists the rotations with who is on call now.
func (s *Service) Rotations(ctx context.Context, a authz.Actor) ([]Rotation, error) {
	if err := authz.Check(a, authz.OnCallRead, authz.Collection()); err != nil {
		return nil, err
	}
	rows, err := s.db.R().QueryContext(ctx, `SELECT `+rotationCols+` FROM oncall_rotations ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Rotation{}
	for rows.Next() {
		r, err := scanRotation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		s.fillOnCall(&out[i])
	}
	return out, nil
}

// Policy is the escalation policy: page the primary rotation's on-call
// person for every alert or incident of MinSeverity or worse; if it is
// still unacknowledged AckMinutes later, the secondary (the second
// rotation's on-call person, or the next member of the primary rotation);
// AckMinutes after that, the lead (the incident's lead, else LeadID).
type Policy struct {
	PrimaryRotation   string     `json:"primary_rotation"`
	SecondaryRotation string     `json:"secondary_rotation"`
	LeadID            string     `json:"lead_id"`
	Lead              string     `json:"lead,omitempty"`
	AckMinutes        int        `json:"ack_minutes"`
	MinSeverity       string     `json:"min_severity"`
	UpdatedBy         string     `json:"updated_by,omitempty"`
	UpdatedAt         *time.Time `json:"updated_at,omitempty"`
}

// DefaultPolicy applies until a wog-admin sets one: no rotation, so
// nobody is paged.
func DefaultPolicy() Policy { return Policy{AckMinutes: 15, MinSeverity: "high"} }

// Policy returns the escalation policy.
func (s *Service) Policy(ctx context.Context, a authz.Actor) (Policy, error) {
	if err := authz.Check(a, authz.OnCallRead, authz.Collection()); err != nil {
		return Policy{}, err
	}
	return s.policy(ctx, s.db.R())
}

func (s *Service) policy(ctx context.Context, q store.Querier) (Policy, error) {
	p := DefaultPolicy()
	var updated int64
	var by string
	err := q.QueryRowContext(ctx, `SELECT primary_rotation, secondary_rotation, lead_id, ack_minutes, min_severity, COALESCE((SELECT email FROM users u WHERE u.id = updated_by), updated_by), updated_at
		FROM oncall_policy WHERE id = 1`).Scan(&p.PrimaryRotation, &p.SecondaryRotation, &p.LeadID, &p.AckMinutes, &p.MinSeverity, &by, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return p, nil
	}
	if err != nil {
		return p, err
	}
	t := ms(updated)
	p.UpdatedAt, p.UpdatedBy = &t, by
	if p.LeadID != "" {
		p.Lead = s.emails(ctx, []string{p.LeadID})[p.LeadID]
	}
	return p, nil
}

// SetPolicy sets the escalation policy (wog-admin).
func (s *Service) SetPolicy(ctx context.Context, a authz.Actor, p Policy) (Policy, error) {
	if err := authz.Check(a, authz.OnCallManage, authz.Record()); err != nil {
		return Policy{}, err
	}
	var v validate.Errors
	if p.MinSeverity == "" {
		p.MinSeverity = "high"
	}
	v.OneOf("min_severity", p.MinSeverity, Severities)
	if p.AckMinutes < 1 || p.AckMinutes > 24*60 {
		v.Add("ack_minutes", "must be from 1 to 1440")
	}
	if p.PrimaryRotation == "" {
		v.Add("primary_rotation", "is required")
	}
	if p.SecondaryRotation != "" && p.SecondaryRotation == p.PrimaryRotation {
		v.Add("secondary_rotation", "must differ from the primary rotation (leave it empty to page the next member of the primary)")
	}
	now := s.stamp()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		for field, rid := range map[string]string{"primary_rotation": p.PrimaryRotation, "secondary_rotation": p.SecondaryRotation} {
			if rid == "" {
				continue
			}
			if _, err := s.rotation(ctx, tx, rid); errors.Is(err, authz.ErrNotFound) {
				v.Add(field, "no such rotation")
			} else if err != nil {
				return err
			}
		}
		if p.LeadID != "" {
			u, err := s.operator(ctx, tx, "lead_id", p.LeadID)
			if fe, ok := validate.As(err); ok {
				v = append(v, fe...)
			} else if err != nil {
				return err
			} else {
				p.LeadID, p.Lead = u.id, u.email
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		before, err := s.policy(ctx, tx)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO oncall_policy (id, primary_rotation, secondary_rotation, lead_id, ack_minutes, min_severity, updated_by, updated_at)
			VALUES (1,$1,$2,$3,$4,$5,$6,$7) ON CONFLICT (id) DO UPDATE SET primary_rotation = excluded.primary_rotation,
			secondary_rotation = excluded.secondary_rotation, lead_id = excluded.lead_id, ack_minutes = excluded.ack_minutes,
			min_severity = excluded.min_severity, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			p.PrimaryRotation, p.SecondaryRotation, p.LeadID, p.AckMinutes, p.MinSeverity, a.UserID, now.UnixMilli()); err != nil {
			return err
		}
		snap := func(p Policy) map[string]any {
			return map[string]any{"primary_rotation": p.PrimaryRotation, "secondary_rotation": p.SecondaryRotation, "lead_id": p.LeadID,
				"ack_minutes": p.AckMinutes, "min_severity": p.MinSeverity}
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: PolicySaved, Actor: a.AuditActor(), TargetType: "oncall_policy", TargetID: "1",
			Before: snap(before), After: snap(p)})
		return err
	})
	if err != nil {
		return Policy{}, err
	}
	p.UpdatedAt, p.UpdatedBy = &now, a.Email
	return p, nil
}

// OnCallNow is who would be paged now.
type OnCallNow struct {
	At             time.Time `json:"at"`
	Primary        string    `json:"primary,omitempty"`
	PrimaryEmail   string    `json:"primary_email,omitempty"`
	Secondary      string    `json:"secondary,omitempty"`
	SecondaryEmail string    `json:"secondary_email,omitempty"`
	Lead           string    `json:"lead,omitempty"`
	LeadEmail      string    `json:"lead_email,omitempty"`
}

// WhoIsOnCall answers who the policy would page now.
func (s *Service) WhoIsOnCall(ctx context.Context, a authz.Actor) (OnCallNow, error) {
	p, err := s.Policy(ctx, a)
	if err != nil {
		return OnCallNow{}, err
	}
	now := s.now()
	out := OnCallNow{At: now.UTC()}
	out.Primary, _ = s.recipient(ctx, p, stepPrimary, now, "")
	out.Secondary, _ = s.recipient(ctx, p, stepSecondary, now, "")
	out.Lead, _ = s.recipient(ctx, p, stepLead, now, "")
	em := s.emails(ctx, []string{out.Primary, out.Secondary, out.Lead})
	out.PrimaryEmail, out.SecondaryEmail, out.LeadEmail = em[out.Primary], em[out.Secondary], em[out.Lead]
	return out, nil
}

// Webhook is an endpoint that receives every page as a signed JSON POST.
type Webhook struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	URL       string    `json:"url"`
	CreatedAt time.Time `json:"created_at"`
	Secret    string    `json:"secret,omitempty"` // only when created
}

// AddWebhook adds a webhook and returns its signing secret, shown once
// (kept sealed at rest).
func (s *Service) AddWebhook(ctx context.Context, a authz.Actor, name, rawURL string) (Webhook, error) {
	if err := authz.Check(a, authz.OnCallManage, authz.Record()); err != nil {
		return Webhook{}, err
	}
	var v validate.Errors
	name = strings.TrimSpace(name)
	v.Required("name", name, 100)
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		v.Add("url", "must be an absolute http(s) URL without credentials")
	}
	if s.opts.Sealer == nil {
		return Webhook{}, errors.New("incident: no key to seal webhook secrets")
	}
	if err := v.Err(); err != nil {
		return Webhook{}, err
	}
	w := Webhook{ID: id.New(), Name: name, URL: u.String(), CreatedAt: s.stamp(), Secret: newWebhookSecret()}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO oncall_webhooks (id, name, url, secret, created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6)`,
			w.ID, w.Name, w.URL, s.opts.Sealer.SealString(w.Secret, w.ID), a.UserID, w.CreatedAt.UnixMilli()); err != nil {
			return err
		}
		_, err := s.audit.Append(ctx, tx, audit.Entry{Code: WebhookAdded, Actor: a.AuditActor(), TargetType: "webhook", TargetID: w.ID,
			After: map[string]any{"name": w.Name, "url": w.URL}})
		return err
	})
	return w, err
}

// DeleteWebhook removes a webhook.
func (s *Service) DeleteWebhook(ctx context.Context, a authz.Actor, webhookID string) error {
	if err := authz.Check(a, authz.OnCallManage, authz.Record()); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var name, u string
		err := tx.QueryRowContext(ctx, `SELECT name, url FROM oncall_webhooks WHERE id = $1`, webhookID).Scan(&name, &u)
		if errors.Is(err, sql.ErrNoRows) {
			return authz.ErrNotFound
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM oncall_webhooks WHERE id = $1`, webhookID); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: WebhookDeleted, Actor: a.AuditActor(), TargetType: "webhook", TargetID: webhookID,
			Before: map[string]any{"name": name, "url": u}})
		return err
	})
}

// Webhooks lists the webhooks (without their secrets).
func (s *Service) Webhooks(ctx context.Context, a authz.Actor) ([]Webhook, error) {
	if err := authz.Check(a, authz.OnCallRead, authz.Collection()); err != nil {
		return nil, err
	}
	hooks, err := s.webhooks(ctx, false)
	for i := range hooks {
		hooks[i].Secret = ""
	}
	return hooks, err
}

func (s *Service) webhooks(ctx context.Context, secrets bool) ([]Webhook, error) {
	rows, err := s.db.R().QueryContext(ctx, `SELECT id, name, url, secret, created_at FROM oncall_webhooks ORDER BY name, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Webhook{}
	for rows.Next() {
		var w Webhook
		var sealed string
		var created int64
		if err := rows.Scan(&w.ID, &w.Name, &w.URL, &sealed, &created); err != nil {
			return nil, err
		}
		w.CreatedAt = ms(created)
		if secrets && s.opts.Sealer != nil {
			if w.Secret, err = s.opts.Sealer.OpenString(sealed, w.ID); err != nil {
				return nil, fmt.Errorf("open the secret of webhook %s: %w", w.ID, err)
			}
		}
		out = append(out, w)
	}
	return out, rows.Err()
}
