package incident

import (
	"errors"
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // rotations name IANA time zones; the binary carries them
)

// Rotation is an on-call rotation: its members take shifts of ShiftDays
// days in turn, handing over at Handover (HH:MM) in TimeZone, the first
// member's first shift starting on StartsOn.
type Rotation struct {
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	TimeZone     string     `json:"time_zone"`
	Handover     string     `json:"handover"`
	ShiftDays    int        `json:"shift_days"`
	StartsOn     string     `json:"starts_on"`
	Members      []string   `json:"members"` // user ids, in turn order
	MemberEmails []string   `json:"member_emails"`
	OnCall       string     `json:"on_call,omitempty"` // the member on call now
	OnCallEmail  string     `json:"on_call_email,omitempty"`
	NextHandover *time.Time `json:"next_handover,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// shift finds who of r is on call at t (an index into Members) and when the
// shift ends. Before StartsOn the first member is on call. Shifts are
// counted in calendar days of the rotation's time zone, so a handover stays
// at the same wall-clock time across daylight-saving changes.
func (r Rotation) shift(t time.Time) (int, time.Time, error) {
	if len(r.Members) == 0 {
		return -1, time.Time{}, errors.New("the rotation has no members")
	}
	loc, err := time.LoadLocation(r.TimeZone)
	if err != nil {
		return -1, time.Time{}, fmt.Errorf("time zone %q: %w", r.TimeZone, err)
	}
	hh, mm, err := parseHandover(r.Handover)
	if err != nil {
		return -1, time.Time{}, err
	}
	day0, err := time.Parse("2006-01-02", r.StartsOn)
	if err != nil {
		return -1, time.Time{}, fmt.Errorf("starts_on %q: want YYYY-MM-DD", r.StartsOn)
	}
	handoverOn := func(d time.Time) time.Time { return time.Date(d.Year(), d.Month(), d.Day(), hh, mm, 0, 0, loc) }
	first := handoverOn(day0)
	if t.Before(first) {
		return 0, first, nil
	}
	local := t.In(loc)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
	if t.Before(handoverOn(today)) {
		today = today.AddDate(0, 0, -1)
	}
	days := int(today.Sub(day0) / (24 * time.Hour)) // calendar days since the first handover
	k := days / r.ShiftDays
	next := handoverOn(day0.AddDate(0, 0, (k+1)*r.ShiftDays))
	return k % len(r.Members), next, nil
}

// OnCallAt returns the member on call at t and when they hand over.
func (r Rotation) OnCallAt(t time.Time) (string, time.Time, error) {
	i, next, err := r.shift(t)
	if err != nil {
		return "", time.Time{}, err
	}
	return r.Members[i], next, nil
}

// nextAfter is the member after the one on call at t (the secondary when
// the policy names no second rotation).
func (r Rotation) nextAfter(t time.Time) (string, error) {
	i, _, err := r.shift(t)
	if err != nil {
		return "", err
	}
	return r.Members[(i+1)%len(r.Members)], nil
}

func parseHandover(s string) (int, int, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, 0, fmt.Errorf("handover %q: want HH:MM", s)
	}
	return t.Hour(), t.Minute(), nil
}
