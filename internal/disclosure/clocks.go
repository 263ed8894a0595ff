package disclosure

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/mail"
	"github.com/kubu-gov/kubu/internal/store"
)

// Clock states.
const (
	ClockMet     = "met"      // done within the target
	ClockMissed  = "missed"   // done after the target
	ClockRunning = "running"  // not done, target ahead
	ClockDueSoon = "due-soon" // not done, less than a quarter of the time left
	ClockOverdue = "overdue"  // not done, target passed
	ClockNone    = "none"     // the programme sets no target, or it does not apply
)

// Clock measures one promise of a programme on one report.
type Clock struct {
	Name     string     `json:"name"` // first_response, triage, reward, resolution
	Target   *time.Time `json:"target,omitempty"`
	DoneAt   *time.Time `json:"done_at,omitempty"`
	State    string     `json:"state"`
	bit      int
	daysUsed int
}

// addDays adds n calendar or business (Monday–Friday) days.
func addDays(from time.Time, n int, business bool) time.Time {
	if !business {
		return from.AddDate(0, 0, n)
	}
	d := from
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return d
}

// Clocks computes a report's clocks at now against the targets. The reward
// clock runs only for valid reports of programmes that pay; the resolution
// clock only once a report is accepted.
func Clocks(r Report, t Targets, now time.Time) []Clock {
	closed := slices.Contains(closing, r.Status) && r.Status != "closed"
	valid := slices.Contains(ValidStatuses, r.Status)
	clock := func(name string, bit, days int, applies bool, done *time.Time) Clock {
		c := Clock{Name: name, bit: bit, DoneAt: done, State: ClockNone}
		if days <= 0 || !applies {
			return c
		}
		target := addDays(r.SubmittedAt, days, t.BusinessDays)
		c.Target = &target
		switch {
		case done != nil && !done.After(target):
			c.State = ClockMet
		case done != nil:
			c.State = ClockMissed
		case closed:
			c.State = ClockNone
		case now.After(target):
			c.State = ClockOverdue
		case target.Sub(now) < target.Sub(r.SubmittedAt)/4:
			c.State = ClockDueSoon
		default:
			c.State = ClockRunning
		}
		return c
	}
	pays := r.RewardTable != nil && len(r.RewardTable.Amounts) > 0
	return []Clock{
		clock("first_response", 1, t.FirstResponseDays, true, r.FirstResponseAt),
		clock("triage", 2, t.TriageDays, true, r.TriagedAt),
		clock("reward", 4, t.RewardDays, valid && pays, r.RewardedAt),
		clock("resolution", 8, t.ResolutionDays, valid, r.ResolvedAt),
	}
}

// Escalate notifies the programme's triagers (every triager when the
// programme names none) and the wog-admins, in kubu and by email, of each
// clock that has become overdue since the last run. Each overdue clock of
// a report escalates once. It returns how many clocks escalated.
func (s *Service) Escalate(ctx context.Context) (int, error) {
	var wh store.Where
	wh.In("r.status", OpenStatuses)
	rows, err := s.db.R().QueryContext(ctx, `SELECT `+reportCols+`, p.triagers`+reportFrom+wh.SQL()+`
		ORDER BY r.submitted_at LIMIT 5000`, wh.Args()...)
	if err != nil {
		return 0, err
	}
	type due struct {
		r        Report
		clocks   []string
		bits     int
		triagers []string
	}
	var list []due
	now := s.now()
	for rows.Next() {
		var triagers string
		r, err := s.scanReport(scanPlus{rows, &triagers})
		if err != nil {
			rows.Close()
			return 0, err
		}
		d := due{r: r}
		for _, c := range Clocks(r, r.targets, now) {
			if c.State == ClockOverdue && r.escalations&c.bit == 0 {
				d.clocks = append(d.clocks, strings.ReplaceAll(c.Name, "_", " "))
				d.bits |= c.bit
			}
		}
		if d.bits != 0 {
			d.triagers = decodeList(triagers)
			list = append(list, d)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, d := range list {
		err := s.db.Tx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE reports SET escalations = $1 WHERE id = $2 AND escalations = $3`,
				d.r.escalations|d.bits, d.r.ID, d.r.escalations)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k != 1 {
				return errSkip // another node escalated it
			}
			_, err = s.audit.Append(ctx, tx, audit.Entry{Code: ReportEscalated, Actor: audit.System, AgencyID: d.r.AgencyID,
				TargetType: "report", TargetID: d.r.ID, After: map[string]any{"overdue": d.clocks}})
			return err
		})
		if err == errSkip {
			continue
		}
		if err != nil {
			return n, err
		}
		n += len(d.clocks)
		recipients, err := s.escalationRecipients(ctx, d.triagers)
		if err != nil {
			return n, err
		}
		msg := fmt.Sprintf("Report %s (%s) is overdue: %s.", d.r.ID, d.r.Programme, strings.Join(d.clocks, ", "))
		ids := make([]string, 0, len(recipients))
		emails := make([]string, 0, len(recipients))
		for _, u := range recipients {
			ids = append(ids, u.id)
			emails = append(emails, u.email)
		}
		s.notify(ctx, ids, d.r.ID, msg)
		if len(emails) > 0 {
			s.sendMail(mail.Message{To: emails, Subject: "Overdue: report " + d.r.ID,
				Body: msg + "\n\nTitle: " + oneLine(d.r.Title) + "\nOpen it at " + s.link("/reports/"+d.r.ID) + "\n"})
		}
	}
	return n, nil
}

type errString string

func (e errString) Error() string { return string(e) }

const errSkip = errString("skip")

// scanPlus scans a report row followed by extra columns.
type scanPlus struct {
	sc    store.Scanner
	extra *string
}

func (p scanPlus) Scan(dest ...any) error { return p.sc.Scan(append(dest, p.extra)...) }

type recipient struct{ id, email string }

// escalationRecipients are the named triagers (or every triager) and every
// wog-admin, enabled accounts only.
func (s *Service) escalationRecipients(ctx context.Context, triagers []string) ([]recipient, error) {
	rows, err := s.db.R().QueryContext(ctx, `SELECT id, email, role FROM users WHERE disabled = $1 AND role IN ('triager', 'wog-admin') ORDER BY email`, false)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []recipient
	for rows.Next() {
		var r recipient
		var role string
		if err := rows.Scan(&r.id, &r.email, &role); err != nil {
			return nil, err
		}
		if role == "triager" && len(triagers) > 0 && !slices.Contains(triagers, r.id) {
			continue
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
