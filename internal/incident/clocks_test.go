package incident_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/incident"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
	"github.com/kubu-gov/kubu/internal/validate"
)

// TestClocksWalk walks a critical incident through the lifecycle on a fake
// clock (targets: acknowledge 15m, contain 4h, recover 24h) and checks
// every clock and breach at each step, and the queue's breach filter.
func TestClocksWalk(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		t0 := e.clock.Now()
		al := e.alert(t, "MOH", "critical", "Ransom note", "fs01", t0) // the first event: the clocks start here
		e.clock.Add(5 * time.Minute)
		inc, err := e.svc.Create(ctx, e.analyst, incident.NewIncident{Title: "Ransomware", Severity: "critical", Category: "malware", AlertIDs: []string{al}})
		if err != nil {
			t.Fatal(err)
		}
		check := func(step string, wantBreached []string, ack, contain, recover *int64) {
			t.Helper()
			got, err := e.svc.Get(ctx, e.analyst, inc.ID)
			if err != nil {
				t.Fatal(err)
			}
			c := got.Clocks
			if !c.StartedAt.Equal(t0) {
				t.Fatalf("%s: started %v, want %v", step, c.StartedAt, t0)
			}
			if !slices.Equal(c.Breached, wantBreached) {
				t.Fatalf("%s: breached %v, want %v", step, c.Breached, wantBreached)
			}
			for _, x := range []struct {
				name      string
				got, want *int64
			}{{"acknowledge", c.TimeToAck, ack}, {"contain", c.TimeToContain, contain}, {"recover", c.TimeToRecover, recover}} {
				if (x.got == nil) != (x.want == nil) || x.got != nil && *x.got != *x.want {
					t.Fatalf("%s: time to %s = %v, want %v", step, x.name, deref(x.got), deref(x.want))
				}
			}
			page, err := e.svc.List(ctx, e.analyst, incident.Filter{Breached: true})
			if err != nil {
				t.Fatal(err)
			}
			if inQueue := len(page.Items) == 1; inQueue != (len(wantBreached) > 0) {
				t.Fatalf("%s: in the breached queue = %v, breached %v", step, inQueue, wantBreached)
			}
		}
		move := func(to, note string) {
			t.Helper()
			if _, err := e.svc.ChangeStatus(ctx, e.analyst, inc.ID, incident.StatusChange{Status: to, Note: note}); err != nil {
				t.Fatalf("→ %s: %v", to, err)
			}
		}
		s := func(d time.Duration) *int64 { v := int64(d / time.Second); return &v }

		check("opened", nil, nil, nil, nil)
		e.clock.Add(9 * time.Minute) // t0+14m
		check("within the acknowledge target", nil, nil, nil, nil)
		e.clock.Add(6 * time.Minute) // t0+20m
		check("acknowledge target passed", []string{"acknowledge"}, nil, nil, nil)
		move("analysing", "")
		check("acknowledged late", []string{"acknowledge"}, s(20*time.Minute), nil, nil)
		e.clock.Add(2*time.Hour + 40*time.Minute) // t0+3h
		move("contained", "")
		check("contained in time", []string{"acknowledge"}, s(20*time.Minute), s(3*time.Hour), nil)
		e.clock.Add(time.Hour) // t0+4h: going back does not restart a stopped clock
		move("analysing", "second wave found on fs02")
		move("contained", "")
		check("contained again", []string{"acknowledge"}, s(20*time.Minute), s(3*time.Hour), nil)
		e.clock.Add(26 * time.Hour) // t0+30h
		check("recover target passed", []string{"acknowledge", "recover"}, s(20*time.Minute), s(3*time.Hour), nil)
		move("recovered", "")
		check("recovered late", []string{"acknowledge", "recover"}, s(20*time.Minute), s(3*time.Hour), s(30*time.Hour))
		// A critical incident closes only after its review.
		if _, err := e.svc.ChangeStatus(ctx, e.analyst, inc.ID, incident.StatusChange{Status: "closed"}); !errors.Is(err, incident.ErrReviewNeeded) || !errors.Is(err, validate.ErrConflict) {
			t.Fatalf("closed without a review: %v", err)
		}
		if _, err := e.svc.SaveReview(ctx, e.analyst, inc.ID, incident.ReviewInput{WhatHappened: ptr("Ransomware via RDP."), Complete: ptr(true)}); !slices.Equal(fields(err), []string{"impact", "root_cause"}) {
			t.Fatalf("completing an unwritten review: %v", err)
		}
		if _, err := e.svc.SaveReview(ctx, e.analyst, inc.ID, incident.ReviewInput{WhatHappened: ptr("Ransomware via RDP."), Impact: ptr("Two days of appointments lost."),
			RootCause: ptr("RDP open to the internet without MFA."), Complete: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(time.Hour)
		move("closed", "")
		got, _ := e.svc.Get(ctx, e.analyst, inc.ID)
		if got.Clocks.ClosedAt == nil || got.Clocks.ElapsedS != int64((31*time.Hour)/time.Second) || len(got.Clocks.Running) != 0 {
			t.Fatalf("closed clocks %+v", got.Clocks)
		}
		e.clock.Add(100 * time.Hour)
		later, _ := e.svc.Get(ctx, e.analyst, inc.ID)
		if later.Clocks.ElapsedS != got.Clocks.ElapsedS || !slices.Equal(later.Clocks.Breached, []string{"acknowledge", "recover"}) {
			t.Fatalf("a closed incident's clocks moved: %+v", later.Clocks)
		}
		// Every status change is on the timeline, with its note.
		tl, _ := e.svc.Timeline(ctx, e.analyst, inc.ID)
		var changes []string
		for _, x := range tl {
			if x.Kind == "status" {
				changes = append(changes, x.Text)
			}
		}
		if len(changes) != 6 || !strings.Contains(changes[2], "second wave found on fs02") {
			t.Fatalf("status entries %q", changes)
		}
	})
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestSeverityMovesTargets: a new severity moves the due times.
func TestSeverityMovesTargets(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		inc, err := e.svc.Create(ctx, e.analyst, incident.NewIncident{Title: "x", Severity: "low", Category: "other", Agencies: []string{"MOH"}})
		if err != nil {
			t.Fatal(err)
		}
		if inc.Clocks.TargetAckS != 24*3600 {
			t.Fatalf("low target %d", inc.Clocks.TargetAckS)
		}
		up, err := e.svc.Update(ctx, e.analyst, inc.ID, incident.Patch{Severity: ptr("critical")})
		if err != nil || up.Clocks.TargetAckS != 15*60 || !up.Clocks.AcknowledgeDue.Equal(inc.Clocks.StartedAt.Add(15*time.Minute)) {
			t.Fatalf("after raising severity %+v %v", up.Clocks, err)
		}
	})
}

func TestParseTargets(t *testing.T) {
	got, err := incident.ParseTargets("critical=10m/2h/12h, low=48h/336h/1440h", incident.DefaultTargets())
	if err != nil {
		t.Fatal(err)
	}
	if got["critical"].Acknowledge != 10*time.Minute || got["low"].Recover != 1440*time.Hour || got["high"] != incident.DefaultTargets()["high"] {
		t.Fatalf("parsed %v", got)
	}
	if back, err := incident.ParseTargets(got.String(), nil); err != nil || back.String() != got.String() {
		t.Fatalf("round trip %q → %v %v", got.String(), back, err)
	}
	for _, bad := range []string{"urgent=1m/2m/3m", "critical=1m/2m", "critical=1m/2m/3m,critical=1m/2m/3m", "critical=-1m/2m/3m",
		"critical=2h/1h/3h", "critical", "high=1x/2h/3h"} {
		if _, err := incident.ParseTargets(bad, incident.DefaultTargets()); err == nil {
			t.Errorf("ParseTargets(%q) accepted", bad)
		}
	}
}
