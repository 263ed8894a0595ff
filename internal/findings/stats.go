package findings

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/store"
)

// Summary counts the open findings the caller may see.
type Summary struct {
	Open           int            `json:"open"`
	Overdue        int            `json:"overdue"`
	OpenBySeverity map[string]int `json:"open_by_severity"`
	ByStatus       map[string]int `json:"by_status"`
}

// scopeWhere returns the WHERE clause limiting findings to what a may see
// (and to agencyID when given); ErrForbidden when a may see none.
func scopeWhere(a authz.Actor, agencyID string) (store.Where, error) {
	var w store.Where
	sc, err := authz.ScopeFor(a, authz.FindingRead)
	if err != nil {
		return w, err
	}
	sc.Where(&w, "agency_id", "")
	if agencyID != "" {
		w.And("agency_id = " + w.Arg(agencyID))
	}
	return w, nil
}

// Summarise counts findings by status and open findings by severity.
func (s *Service) Summarise(ctx context.Context, a authz.Actor, agencyID string) (Summary, error) {
	sum := Summary{OpenBySeverity: map[string]int{}, ByStatus: map[string]int{}}
	for _, sev := range Severities {
		sum.OpenBySeverity[sev] = 0
	}
	wh, err := scopeWhere(a, agencyID)
	if err != nil {
		return sum, err
	}
	rows, err := s.db.R().QueryContext(ctx, `SELECT status, severity, COUNT(*) FROM findings`+wh.SQL()+` GROUP BY status, severity`, wh.Args()...)
	if err != nil {
		return sum, err
	}
	defer rows.Close()
	for rows.Next() {
		var st, sev string
		var n int
		if err := rows.Scan(&st, &sev, &n); err != nil {
			return sum, err
		}
		sum.ByStatus[st] += n
		if st == "open" || st == "in-progress" {
			sum.OpenBySeverity[sev] += n
			sum.Open += n
		}
	}
	if err := rows.Err(); err != nil {
		return sum, err
	}
	wh.And("status IN ('open','in-progress') AND due_at < " + wh.Arg(s.now().UnixMilli()))
	err = s.db.R().QueryRowContext(ctx, `SELECT COUNT(*) FROM findings`+wh.SQL(), wh.Args()...).Scan(&sum.Overdue)
	return sum, err
}

// TrendPoint is how many findings were open, and overdue, at a moment.
type TrendPoint struct {
	At      time.Time `json:"at"`
	Open    int       `json:"open"`
	Overdue int       `json:"overdue"`
}

// Trend returns n points from from to to (inclusive), computed in one scan.
// A finding counts as open at t when it was found by t and not closed by t.
func (s *Service) Trend(ctx context.Context, a authz.Actor, agencyID string, from, to time.Time, n int) ([]TrendPoint, error) {
	if n < 2 || n > 60 || !to.After(from) {
		return nil, fmt.Errorf("trend: need 2–60 points over a positive span")
	}
	pts := make([]TrendPoint, n)
	step := to.Sub(from) / time.Duration(n-1)
	for i := range pts {
		pts[i].At = from.Add(time.Duration(i) * step).UTC()
	}
	wh, err := scopeWhere(a, agencyID)
	if err != nil {
		return pts, err
	}
	var cols []string
	for _, p := range pts {
		t := wh.Arg(p.At.UnixMilli())
		open := "created_at <= " + t + " AND (closed_at IS NULL OR closed_at > " + t + ")"
		cols = append(cols, "COALESCE(SUM(CASE WHEN "+open+" THEN 1 ELSE 0 END), 0)",
			"COALESCE(SUM(CASE WHEN "+open+" AND due_at < "+t+" THEN 1 ELSE 0 END), 0)")
	}
	dest := make([]any, 0, 2*n)
	for i := range pts {
		dest = append(dest, &pts[i].Open, &pts[i].Overdue)
	}
	err = s.db.R().QueryRowContext(ctx, `SELECT `+strings.Join(cols, ", ")+` FROM findings`+wh.SQL(), wh.Args()...).Scan(dest...)
	return pts, err
}
