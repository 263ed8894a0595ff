package disclosure

import (
	"context"
	"slices"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/store"
)

// Metrics are a programme's or an agency's numbers (the BOD 20-01 set):
// reports by status, median times in hours, reports open over 90 days.
type Metrics struct {
	Total           int            `json:"total"`
	ByStatus        map[string]int `json:"by_status"`
	Valid           int            `json:"valid"`
	MedianHours     MedianHours    `json:"median_hours"`
	OpenOver90Days  int            `json:"open_over_90_days"`
	Overdue         int            `json:"overdue"`
	FixedThenDenied int            `json:"fixed_then_denied,omitempty"`
	RewardsApproved int            `json:"rewards_approved,omitempty"`
	RewardsPaid     map[string]int `json:"rewards_paid,omitempty"`
}

// MedianHours are median durations from submission, in hours (nil: no
// report has reached that point yet).
type MedianHours struct {
	FirstResponse *float64 `json:"first_response"`
	Triage        *float64 `json:"triage"`
	Reward        *float64 `json:"reward"`
	Resolution    *float64 `json:"resolution"`
}

// MetricsFilter selects which reports are counted.
type MetricsFilter struct {
	ProgrammeID string
	AgencyID    string
	Kind        string // vdp, bounty, vrp
}

// Metrics computes the numbers of the reports the caller may count: staff
// and analysts all, agency staff their own agency's reports.
func (s *Service) Metrics(ctx context.Context, a authz.Actor, f MetricsFilter) (Metrics, error) {
	sc, err := authz.ScopeFor(a, authz.ProgrammeMetrics)
	if err != nil {
		return Metrics{}, err
	}
	if !sc.All {
		if f.AgencyID != "" && f.AgencyID != sc.AgencyID {
			return Metrics{}, authz.ErrNotFound
		}
		f.AgencyID = sc.AgencyID
	}
	m, err := s.metrics(ctx, f)
	if err != nil {
		return Metrics{}, err
	}
	if sc.All {
		rows, err := s.db.R().QueryContext(ctx, `SELECT w.currency, SUM(w.amount), COUNT(*) FROM rewards w WHERE w.status = 'approved'
			AND ($1 = '' OR w.programme_id = $1) GROUP BY w.currency`, f.ProgrammeID)
		if err != nil {
			return m, err
		}
		defer rows.Close()
		m.RewardsPaid = map[string]int{}
		for rows.Next() {
			var cur string
			var sum, n int
			if err := rows.Scan(&cur, &sum, &n); err != nil {
				return m, err
			}
			m.RewardsPaid[cur] = sum
			m.RewardsApproved += n
		}
		return m, rows.Err()
	}
	return m, nil
}

// PublicStats are the VDP's numbers anyone may see: no titles, systems or
// agencies, only counts and medians.
func (s *Service) PublicStats(ctx context.Context) (Metrics, error) {
	m, err := s.metrics(ctx, MetricsFilter{Kind: "vdp"})
	m.FixedThenDenied = 0
	return m, err
}

func (s *Service) metrics(ctx context.Context, f MetricsFilter) (Metrics, error) {
	var wh store.Where
	if f.ProgrammeID != "" {
		wh.And("r.programme_id = " + wh.Arg(f.ProgrammeID))
	}
	if f.AgencyID != "" {
		wh.And("r.agency_id = " + wh.Arg(f.AgencyID))
	}
	if f.Kind != "" {
		wh.And("p.kind = " + wh.Arg(f.Kind))
	}
	q := `SELECT r.status, r.fixed_then_denied, r.submitted_at, r.first_response_at, r.triaged_at, r.rewarded_at, r.resolved_at,
		p.targets, r.severity, r.reward_table, r.escalations FROM reports r JOIN programmes p ON p.id = r.programme_id`
	q += wh.SQL()
	rows, err := s.db.R().QueryContext(ctx, q, wh.Args()...)
	if err != nil {
		return Metrics{}, err
	}
	defer rows.Close()
	m := Metrics{ByStatus: map[string]int{}}
	for _, st := range Statuses {
		m.ByStatus[st] = 0
	}
	var first, triage, reward, resolution []float64
	now := s.now()
	cutoff := now.Add(-90 * 24 * time.Hour)
	for rows.Next() {
		var r Report
		var ftd int
		var submitted int64
		var fr, tr, rw, rs nullMillis
		var t Targets
		if err := rows.Scan(&r.Status, &ftd, &submitted, &fr, &tr, &rw, &rs, store.JSON(&t), &r.Severity, store.JSON(&r.RewardTable), &r.escalations); err != nil {
			return Metrics{}, err
		}
		r.SubmittedAt = time.UnixMilli(submitted).UTC()
		r.FirstResponseAt, r.TriagedAt, r.RewardedAt, r.ResolvedAt = fr.ptr(), tr.ptr(), rw.ptr(), rs.ptr()
		m.Total++
		m.ByStatus[r.Status]++
		if slices.Contains(ValidStatuses, r.Status) {
			m.Valid++
		}
		if ftd != 0 {
			m.FixedThenDenied++
		}
		if slices.Contains(OpenStatuses, r.Status) && r.Status != "resolved" && r.SubmittedAt.Before(cutoff) {
			m.OpenOver90Days++
		}
		hours := func(t *time.Time) float64 { return t.Sub(r.SubmittedAt).Hours() }
		if r.FirstResponseAt != nil {
			first = append(first, hours(r.FirstResponseAt))
		}
		if r.TriagedAt != nil {
			triage = append(triage, hours(r.TriagedAt))
		}
		if r.RewardedAt != nil {
			reward = append(reward, hours(r.RewardedAt))
		}
		if r.ResolvedAt != nil {
			resolution = append(resolution, hours(r.ResolvedAt))
		}
		for _, c := range Clocks(r, t, now) {
			if c.State == ClockOverdue {
				m.Overdue++
				break
			}
		}
	}
	m.MedianHours = MedianHours{FirstResponse: median(first), Triage: median(triage), Reward: median(reward), Resolution: median(resolution)}
	return m, rows.Err()
}

func median(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	slices.Sort(xs)
	var m float64
	if n := len(xs); n%2 == 1 {
		m = xs[n/2]
	} else {
		m = (xs[n/2-1] + xs[n/2]) / 2
	}
	m = float64(int64(m*10+0.5)) / 10
	return &m
}
