package incident

import (
	"testing"
	"time"
)

func TestRotationShifts(t *testing.T) {
	r := Rotation{TimeZone: "Asia/Singapore", Handover: "09:00", ShiftDays: 7, StartsOn: "2026-01-05", Members: []string{"ana", "ben", "chloe"}}
	sgt := time.FixedZone("SGT", 8*3600)
	for _, c := range []struct {
		at   time.Time
		who  string
		next time.Time
	}{
		{time.Date(2026, 1, 1, 12, 0, 0, 0, sgt), "ana", time.Date(2026, 1, 5, 9, 0, 0, 0, sgt)}, // before the start
		{time.Date(2026, 1, 5, 9, 0, 0, 0, sgt), "ana", time.Date(2026, 1, 12, 9, 0, 0, 0, sgt)},
		{time.Date(2026, 1, 12, 8, 59, 0, 0, sgt), "ana", time.Date(2026, 1, 12, 9, 0, 0, 0, sgt)},
		{time.Date(2026, 1, 12, 9, 0, 0, 0, sgt), "ben", time.Date(2026, 1, 19, 9, 0, 0, 0, sgt)},
		{time.Date(2026, 1, 20, 1, 0, 0, 0, time.UTC), "chloe", time.Date(2026, 1, 26, 9, 0, 0, 0, sgt)},
		{time.Date(2026, 1, 27, 0, 0, 0, 0, sgt), "ana", time.Date(2026, 2, 2, 9, 0, 0, 0, sgt)}, // round again
	} {
		who, next, err := r.OnCallAt(c.at)
		if err != nil || who != c.who || !next.Equal(c.next) {
			t.Errorf("at %v: %s until %v (%v), want %s until %v", c.at, who, next, err, c.who, c.next)
		}
	}
	// Daily shifts across a daylight-saving change keep the wall-clock handover.
	ny := Rotation{TimeZone: "America/New_York", Handover: "08:00", ShiftDays: 1, StartsOn: "2026-03-07", Members: []string{"a", "b"}}
	loc, _ := time.LoadLocation("America/New_York")
	who, next, _ := ny.OnCallAt(time.Date(2026, 3, 8, 7, 59, 0, 0, loc)) // clocks went forward at 02:00 that night
	if who != "a" || !next.Equal(time.Date(2026, 3, 8, 8, 0, 0, 0, loc)) {
		t.Fatalf("across DST: %s until %v", who, next)
	}
	if who, _, _ := ny.OnCallAt(time.Date(2026, 3, 8, 8, 0, 0, 0, loc)); who != "b" {
		t.Fatalf("after the DST handover: %s", who)
	}
	if s, _ := r.nextAfter(time.Date(2026, 1, 20, 1, 0, 0, 0, time.UTC)); s != "ana" {
		t.Fatalf("next after chloe: %s", s)
	}
	for _, bad := range []Rotation{{TimeZone: "Mars/Olympus", Handover: "09:00", ShiftDays: 1, StartsOn: "2026-01-01", Members: []string{"a"}},
		{TimeZone: "UTC", Handover: "9am", ShiftDays: 1, StartsOn: "2026-01-01", Members: []string{"a"}},
		{TimeZone: "UTC", Handover: "09:00", ShiftDays: 1, StartsOn: "2026-01-01"}} {
		if _, _, err := bad.OnCallAt(time.Now()); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
