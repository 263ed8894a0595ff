package findings

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
)

// Summary counts the open findings the caller may see.
type Summary struct {
	Open           int            `json:"open"`
	Overdue        int            `json:"overdue"`
	OpenBySeverity map[string]int `json:"open_by_severity"`
	ByStatus       map[string]int `json:"by_status"`
}

// scopeWhere returns the WHERE clause limiting findings to what a may see
// (and to agencyID when given), or ok=false when a may see none.
func scopeWhere(a authz.Actor, agencyID string, args *[]any) (string, bool) {
	sc := authz.ScopeOf(a, authz.FindingRead)
	if sc.None() {
		return "", false
	}
	var where []string
	if !sc.All {
		*args = append(*args, sc.AgencyID)
		where = append(where, "agency_id = $"+strconv.Itoa(len(*args)))
	}
	if agencyID != "" {
		*args = append(*args, agencyID)
		where = append(where, "agency_id = $"+strconv.Itoa(len(*args)))
	}
	if len(where) == 0 {
		return "1=1", true
	}
	return strings.Join(where, " AND "), true
}

// Summarise counts findings by status and open findings by severity.
func (s *Service) Summarise(ctx context.Context, a authz.Actor, agencyID string) (Summary, error) {
	sum := Summary{OpenBySeverity: map[string]int{}, ByStatus: map[string]int{}}
	for _, sev := range Severities {
		sum.OpenBySeverity[sev] = 0
	}
	var args []any
	where, ok := scopeWhere(a, agencyID, &args)
	if !ok {
		return sum, nil
	}
	rows, err := s.db.R().QueryContext(ctx, `SELECT status, severity, COUNT(*) FROM findings WHERE `+where+` GROUP BY status, severity`, args...)
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
	args = append(args, s.now().UnixMilli())
	err = s.db.R().QueryRowContext(ctx, `SELECT COUNT(*) FROM findings WHERE `+where+
		` AND status IN ('open','in-progress') AND due_at < $`+strconv.Itoa(len(args)), args...).Scan(&sum.Overdue)
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
	var args []any
	where, ok := scopeWhere(a, agencyID, &args)
	if !ok {
		return pts, nil
	}
	var cols []string
	for _, p := range pts {
		args = append(args, p.At.UnixMilli())
		t := "$" + strconv.Itoa(len(args))
		open := "created_at <= " + t + " AND (closed_at IS NULL OR closed_at > " + t + ")"
		cols = append(cols, "COALESCE(SUM(CASE WHEN "+open+" THEN 1 ELSE 0 END), 0)",
			"COALESCE(SUM(CASE WHEN "+open+" AND due_at < "+t+" THEN 1 ELSE 0 END), 0)")
	}
	dest := make([]any, 0, 2*n)
	for i := range pts {
		dest = append(dest, &pts[i].Open, &pts[i].Overdue)
	}
	err := s.db.R().QueryRowContext(ctx, `SELECT `+strings.Join(cols, ", ")+` FROM findings WHERE `+where, args...).Scan(dest...)
	return pts, err
}
