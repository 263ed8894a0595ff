package incident

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/mail"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/webhook"
)

// Escalation steps.
const (
	stepPrimary   = "primary"
	stepSecondary = "secondary"
	stepLead      = "lead"
)

var steps = []string{stepPrimary, stepSecondary, stepLead}

// maxAttempts is how often a page is tried before it is given up (and the
// failure audited).
const maxAttempts = 5

// Page is one page on one channel (email, or a webhook), claimed by one
// node and sent once.
type Page struct {
	Key        string     `json:"key"`
	TargetType string     `json:"target_type"` // alert or incident
	TargetID   string     `json:"target_id"`
	Step       string     `json:"step"`    // primary, secondary, lead
	Channel    string     `json:"channel"` // email, webhook:ID
	UserID     string     `json:"user_id"`
	Subject    string     `json:"subject"`
	Node       string     `json:"node"`
	ClaimedAt  time.Time  `json:"claimed_at"`
	SentAt     *time.Time `json:"sent_at"`
	Attempts   int        `json:"attempts"`
	Error      string     `json:"error,omitempty"`
	body       string
}

// pageTarget is something that may need a page: an open alert not in an
// incident, or a new incident.
type pageTarget struct {
	typ, id, title, severity, agency, leadID string
	createdAt                                time.Time
}

func (t pageTarget) url(base string) string {
	if t.typ == "alert" {
		return base + "/alerts/" + t.id
	}
	return base + "/incidents/" + t.id
}

// recipient is who a step pages at a time: the primary rotation's on-call
// member; the secondary rotation's (or the primary rotation's next
// member); the incident's lead, else the policy's lead.
func (s *Service) recipient(ctx context.Context, p Policy, step string, at time.Time, incidentLead string) (string, error) {
	if p.PrimaryRotation == "" {
		return "", nil
	}
	switch step {
	case stepPrimary, stepSecondary:
		rid := p.PrimaryRotation
		if step == stepSecondary && p.SecondaryRotation != "" {
			rid = p.SecondaryRotation
		}
		r, err := s.rotation(ctx, s.db.R(), rid)
		if err != nil {
			return "", err
		}
		if step == stepSecondary && p.SecondaryRotation == "" {
			return r.nextAfter(at)
		}
		who, _, err := r.OnCallAt(at)
		return who, err
	case stepLead:
		if incidentLead != "" {
			return incidentLead, nil
		}
		return p.LeadID, nil
	}
	return "", fmt.Errorf("unknown step %q", step)
}

// Tick pages whoever is due now, on every channel, and retries pages a
// node claimed but could not send. Every node runs it; the unique key of
// each page (target, step, channel) lets exactly one node claim it, in the
// transaction that records it, so a page is sent once however many nodes
// run. It returns how many pages this node sent.
func (s *Service) Tick(ctx context.Context) (int, error) {
	p, err := s.policy(ctx, s.db.R())
	if err != nil || p.PrimaryRotation == "" {
		return 0, err
	}
	now := s.now()
	targets, err := s.unacknowledged(ctx, p, now)
	if err != nil {
		return 0, err
	}
	hooks, err := s.webhooks(ctx, true)
	if err != nil {
		return 0, err
	}
	have, err := s.pageKeys(ctx, targets)
	if err != nil {
		return 0, err
	}
	sent := 0
	wait := time.Duration(p.AckMinutes) * time.Minute
	for _, t := range targets {
		prev := ""
		for i, step := range steps {
			due := t.createdAt.Add(time.Duration(i) * wait)
			if now.Before(due) {
				break
			}
			user, err := s.recipient(ctx, p, step, due, t.leadID)
			if err != nil {
				s.log.Warn("page: no recipient", "step", step, "err", err)
				continue
			}
			if user == "" || user == prev {
				continue // nobody for this step, or the same person as the step before
			}
			prev = user
			channels := []string{"email"}
			for _, h := range hooks {
				channels = append(channels, "webhook:"+h.ID)
			}
			for _, ch := range channels {
				key := strings.Join([]string{t.typ, t.id, step, ch}, ":")
				if have[key] {
					continue
				}
				pg := s.newPage(t, step, ch, user, key)
				ok, err := s.claim(ctx, pg)
				if err != nil {
					return sent, err
				}
				if ok && s.deliver(ctx, pg, hooks) {
					sent++
				}
			}
		}
	}
	n, err := s.retry(ctx, hooks)
	return sent + n, err
}

// unacknowledged lists what may need paging: open alerts in no incident
// and new incidents of the policy's severity or worse, made recently
// enough that a step may still be due.
func (s *Service) unacknowledged(ctx context.Context, p Policy, now time.Time) ([]pageTarget, error) {
	floor := id.Floor(now.Add(-(2*time.Duration(p.AckMinutes)*time.Minute + time.Hour)))
	rank := severityRank(p.MinSeverity)
	var out []pageTarget
	rows, err := s.db.R().QueryContext(ctx, `SELECT a.id, a.rule_title, a.level, a.agency, a.created_at FROM alerts a
		WHERE a.status = 'open' AND a.id >= $1 AND a.level_rank >= $2 AND a.hunt_id = ''
		AND NOT EXISTS (SELECT 1 FROM incident_alerts x WHERE x.alert_id = a.id) ORDER BY a.id LIMIT 1000`, floor, rank)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		t := pageTarget{typ: "alert"}
		var created int64
		if err := rows.Scan(&t.id, &t.title, &t.severity, &t.agency, &created); err != nil {
			rows.Close()
			return nil, err
		}
		t.createdAt = ms(created)
		out = append(out, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.db.R().QueryContext(ctx, `SELECT i.id, i.title, i.severity, i.lead_id, i.created_at,
		COALESCE((SELECT MIN(a.code) FROM incident_agencies ia JOIN agencies a ON a.id = ia.agency_id WHERE ia.incident_id = i.id), '')
		FROM incidents i WHERE i.status = 'new' AND i.id >= $1 AND i.severity_rank >= $2 ORDER BY i.id LIMIT 1000`, floor, rank)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		t := pageTarget{typ: "incident"}
		var created int64
		if err := rows.Scan(&t.id, &t.title, &t.severity, &t.leadID, &created, &t.agency); err != nil {
			return nil, err
		}
		t.createdAt = ms(created)
		out = append(out, t)
	}
	return out, rows.Err()
}

// pageKeys are the pages already claimed for the targets.
func (s *Service) pageKeys(ctx context.Context, targets []pageTarget) (map[string]bool, error) {
	have := map[string]bool{}
	for len(targets) > 0 {
		n := min(len(targets), 500)
		var w store.Where
		ids := make([]string, n)
		for i, t := range targets[:n] {
			ids[i] = t.id
		}
		targets = targets[n:]
		w.In("target_id", ids)
		rows, err := s.db.R().QueryContext(ctx, `SELECT key FROM oncall_pages`+w.SQL(), w.Args()...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				rows.Close()
				return nil, err
			}
			have[k] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return have, nil
}

// newPage writes a page's subject and body (the email text, or the
// webhook's JSON).
func (s *Service) newPage(t pageTarget, step, channel, user, key string) Page {
	what := fmt.Sprintf("%s %s", t.severity, t.typ)
	subject := fmt.Sprintf("[kubu] Page: %s unacknowledged: %s (%s)", what, t.title, t.agency)
	if step != stepPrimary {
		subject = fmt.Sprintf("[kubu] Escalated to you (%s): %s unacknowledged: %s (%s)", step, what, t.title, t.agency)
	}
	link := t.url(strings.TrimRight(s.opts.PublicURL, "/"))
	pg := Page{Key: key, TargetType: t.typ, TargetID: t.id, Step: step, Channel: channel, UserID: user, Subject: subject, Node: s.opts.NodeID}
	if channel == "email" {
		var b strings.Builder
		fmt.Fprintf(&b, "You are paged as the %s on call.\n\n", step)
		fmt.Fprintf(&b, "%s: %s\nAgency: %s\nRaised: %s\n\n", strings.ToUpper(what[:1])+what[1:], t.title, t.agency, t.createdAt.UTC().Format("2 Jan 2006 15:04 UTC"))
		if t.typ == "alert" {
			b.WriteString("Acknowledge the alert or open an incident from it:\n")
		} else {
			b.WriteString("Move the incident out of new (acknowledge it):\n")
		}
		b.WriteString(link + "\n\nIf nobody acknowledges it, kubu escalates to the next person in the escalation policy.\n")
		pg.body = b.String()
	} else {
		body, _ := json.Marshal(map[string]any{"type": "page", "key": key, "step": step,
			"target": map[string]any{"type": t.typ, "id": t.id, "title": t.title, "severity": t.severity, "agency": t.agency,
				"raised_at": t.createdAt.UTC(), "url": link},
			"to": map[string]any{"user_id": user, "email": s.emails(context.Background(), []string{user})[user]}, "subject": subject})
		pg.body = string(body)
	}
	return pg
}

// claim records a page as this node's, once: false when another node (or
// an earlier tick) has it.
func (s *Service) claim(ctx context.Context, pg Page) (bool, error) {
	claimed := false
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO oncall_pages (key, target_type, target_id, step, channel, user_id, subject, body, node, claimed_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) ON CONFLICT (key) DO NOTHING`,
			pg.Key, pg.TargetType, pg.TargetID, pg.Step, pg.Channel, pg.UserID, pg.Subject, pg.body, pg.Node, s.stamp().UnixMilli())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		claimed = true
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: PageClaimed, Actor: audit.Actor{ID: "kubu", Label: "pager on " + s.opts.NodeID},
			TargetType: pg.TargetType, TargetID: pg.TargetID, After: map[string]any{"key": pg.Key, "step": pg.Step, "channel": pg.Channel, "user_id": pg.UserID}})
		return err
	})
	return claimed, err
}

// deliver sends a claimed page and records the outcome; it reports
// whether it went out.
func (s *Service) deliver(ctx context.Context, pg Page, hooks []Webhook) bool {
	err := s.send(ctx, pg, hooks)
	now := s.stamp().UnixMilli()
	var attempts int
	rerr := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err == nil {
			_, e := tx.ExecContext(ctx, `UPDATE oncall_pages SET sent_at = $1, attempts = attempts + 1, error = '' WHERE key = $2`, now, pg.Key)
			return e
		}
		if e := tx.QueryRowContext(ctx, `UPDATE oncall_pages SET attempts = attempts + 1, error = $1 WHERE key = $2 RETURNING attempts`,
			truncate(err.Error(), 500), pg.Key).Scan(&attempts); e != nil {
			return e
		}
		if attempts >= maxAttempts {
			_, e := s.audit.Append(ctx, tx, audit.Entry{Code: PageFailed, Actor: audit.Actor{ID: "kubu", Label: "pager on " + s.opts.NodeID},
				TargetType: pg.TargetType, TargetID: pg.TargetID, After: map[string]any{"key": pg.Key, "error": truncate(err.Error(), 500)}})
			return e
		}
		return nil
	})
	if rerr != nil {
		s.log.Error("record page", "key", pg.Key, "err", rerr)
	}
	if err != nil {
		s.log.Warn("page not sent", "key", pg.Key, "attempt", attempts, "err", err)
		return false
	}
	s.log.Info("page sent", "key", pg.Key, "user", pg.UserID)
	return true
}

func (s *Service) send(ctx context.Context, pg Page, hooks []Webhook) error {
	if pg.Channel == "email" {
		to := s.emails(ctx, []string{pg.UserID})[pg.UserID]
		if to == "" {
			return errors.New("the user has no email address")
		}
		m := s.opts.Mail
		if m == nil {
			m = mail.Discard{Log: s.log}
		}
		return m.Send(ctx, mail.Message{To: []string{to}, Subject: pg.Subject, Body: pg.body})
	}
	hid, _ := strings.CutPrefix(pg.Channel, "webhook:")
	for _, h := range hooks {
		if h.ID == hid {
			snd := webhook.Sender{URL: h.URL, Secret: []byte(h.Secret), Now: s.now}
			return snd.Send(ctx, pg.Key, []byte(pg.body))
		}
	}
	return errors.New("the webhook was deleted")
}

// retry sends again pages claimed at least a minute ago and not sent (a
// failed attempt, or a node that stopped between claiming and sending),
// taking each over with a compare-and-set so that one node retries it.
func (s *Service) retry(ctx context.Context, hooks []Webhook) (int, error) {
	now := s.stamp()
	rows, err := s.db.R().QueryContext(ctx, `SELECT key, target_type, target_id, step, channel, user_id, subject, body, node, claimed_at
		FROM oncall_pages WHERE sent_at IS NULL AND attempts < $1 AND claimed_at <= $2 ORDER BY claimed_at LIMIT 100`,
		maxAttempts, now.Add(-time.Minute).UnixMilli())
	if err != nil {
		return 0, err
	}
	var due []Page
	for rows.Next() {
		var pg Page
		var claimed int64
		if err := rows.Scan(&pg.Key, &pg.TargetType, &pg.TargetID, &pg.Step, &pg.Channel, &pg.UserID, &pg.Subject, &pg.body, &pg.Node, &claimed); err != nil {
			rows.Close()
			return 0, err
		}
		pg.ClaimedAt = ms(claimed)
		due = append(due, pg)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	sent := 0
	for _, pg := range due {
		var taken bool
		err := s.db.Tx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE oncall_pages SET node = $1, claimed_at = $2 WHERE key = $3 AND sent_at IS NULL AND claimed_at = $4`,
				s.opts.NodeID, now.UnixMilli(), pg.Key, pg.ClaimedAt.UnixMilli())
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			taken = n == 1
			return nil
		})
		if err != nil {
			return sent, err
		}
		if taken && s.deliver(ctx, pg, hooks) {
			sent++
		}
	}
	return sent, nil
}

// Pages lists the latest pages, newest first (at most 200).
func (s *Service) Pages(ctx context.Context, a authz.Actor) ([]Page, error) {
	if err := authz.Check(a, authz.OnCallRead, authz.Collection()); err != nil {
		return nil, err
	}
	rows, err := s.db.R().QueryContext(ctx, `SELECT key, target_type, target_id, step, channel, user_id, subject, node, claimed_at, sent_at, attempts, error
		FROM oncall_pages ORDER BY claimed_at DESC, key LIMIT 200`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Page{}
	for rows.Next() {
		var pg Page
		var claimed int64
		var sent sql.NullInt64
		if err := rows.Scan(&pg.Key, &pg.TargetType, &pg.TargetID, &pg.Step, &pg.Channel, &pg.UserID, &pg.Subject, &pg.Node, &claimed, &sent, &pg.Attempts, &pg.Error); err != nil {
			return nil, err
		}
		pg.ClaimedAt, pg.SentAt = ms(claimed), msPtr(sent)
		out = append(out, pg)
	}
	return out, rows.Err()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
