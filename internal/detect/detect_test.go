package detect

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/corpus"
	"github.com/kubu-gov/kubu/internal/eventlog"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
	"github.com/kubu-gov/kubu/internal/validate"
)

// TestLiveDetection runs the detection workers on both engines: matches
// become alerts grouped by rule, agency and host, with the contract's
// fields and the rule's ATT&CK tags; tenants see their own agency's.
func TestLiveDetection(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, Options{Workers: 2})
		rule := e.addRule(t, ruleFailedLogon)
		e.start(t)
		now := time.Now().UTC().Truncate(time.Millisecond)
		e.publish(t, "MOH",
			ev("MOH", "dc01", now, failedLogon("alice")),
			ev("MOH", "dc01", now.Add(time.Second), failedLogon("bob")),
			ev("MOH", "dc01", now, map[string]any{"EventID": 4624, "Channel": "Security"}), // no match
			ev("MOH", "dc02", now, failedLogon("carol")))
		e.publish(t, "MOE", ev("MOE", "ws9", now, failedLogon("dave")))
		waitFor(t, "alerts", func() bool { return len(e.alerts(t, AlertFilter{})) == 3 })
		byHost := map[string]Alert{}
		for _, a := range e.alerts(t, AlertFilter{RuleID: rule.ID}) {
			byHost[a.Agency+"/"+a.Group["host"]] = a
		}
		dc01 := byHost["MOH/dc01"]
		if dc01.EventCount != 2 || !dc01.LastSeen.Equal(now.Add(time.Second)) || !dc01.FirstSeen.Equal(now) {
			t.Fatalf("dc01 alert %+v", dc01)
		}
		if dc01.RuleTitle != "Failed logon" || dc01.Level != "high" || dc01.Status != StatusOpen || dc01.AgencyID != e.agencies["MOH"] {
			t.Fatalf("alert fields %+v", dc01)
		}
		if len(dc01.Attack) != 2 || dc01.Attack[1] != "attack.t1110" {
			t.Fatalf("ATT&CK tags %v", dc01.Attack)
		}
		if byHost["MOH/dc02"].EventCount != 1 || byHost["MOE/ws9"].EventCount != 1 {
			t.Fatalf("alerts %v", byHost)
		}
		evs, err := e.s.AlertEvents(context.Background(), analyst, dc01.ID, 10)
		if err != nil || len(evs) != 2 || evs[0].Event == nil {
			t.Fatalf("matched events %v %v", evs, err)
		}

		member := authz.Actor{UserID: "m", Role: authz.AgencyMember, AgencyID: e.agencies["MOE"]}
		page, err := e.s.ListAlerts(context.Background(), member, AlertFilter{})
		if err != nil || len(page.Items) != 1 || page.Items[0].Agency != "MOE" {
			t.Fatalf("MOE member sees %v %v", page.Items, err)
		}
		if _, err := e.s.AlertByID(context.Background(), member, dc01.ID); !errors.Is(err, authz.ErrNotFound) {
			t.Fatalf("MOE member reading MOH's alert: %v", err)
		}
		if _, err := e.s.AlertEvents(context.Background(), member, dc01.ID, 10); !errors.Is(err, authz.ErrNotFound) {
			t.Fatalf("MOE member reading MOH's events: %v", err)
		}
		researcher := authz.Actor{UserID: "r", Role: authz.Researcher}
		if _, err := e.s.ListAlerts(context.Background(), researcher, AlertFilter{}); !errors.Is(err, authz.ErrForbidden) {
			t.Fatalf("researcher listing alerts: %v", err)
		}
		if got := count(t, db, `SELECT COUNT(*) FROM source_last_seen`); got != 3 {
			t.Fatalf("sources seen %d, want 3", got)
		}
	})
}

// TestRedeliveryIsIdempotent hands the same batch to a worker twice (as
// JetStream does after a crash between commit and ack): the alert counts
// its events once.
func TestRedeliveryIsIdempotent(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	e := newEnv(t, db, Options{})
	e.addRule(t, ruleFailedLogon)
	if err := e.s.reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	msg := eventlog.Msg{Seq: 42, Subject: "kubu.events.MOH", Time: now,
		Data: append(ev("MOH", "dc01", now, failedLogon("a")), ev("MOH", "dc01", now, failedLogon("b"))...)}
	w := &worker{s: e.s, sources: map[sourceKey]sourceSeen{}}
	for i := 0; i < 3; i++ {
		if err := w.handle(context.Background(), []eventlog.Msg{msg}); err != nil {
			t.Fatal(err)
		}
	}
	al := e.alerts(t, AlertFilter{})
	if len(al) != 1 || al[0].EventCount != 2 {
		t.Fatalf("after three deliveries: %+v", al)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM alert_events`); n != 2 {
		t.Fatalf("alert_events rows %d", n)
	}
}

// TestGroupingWindowAndClose: a match past the window, or after the
// alert was closed, opens a new alert.
func TestGroupingWindowAndClose(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	e := newEnv(t, db, Options{GroupWindow: time.Minute})
	e.addRule(t, ruleFailedLogon)
	e.s.reload(context.Background())
	w := &worker{s: e.s, sources: map[sourceKey]sourceSeen{}}
	t0 := time.Now().UTC().Add(-time.Hour)
	deliver := func(seq uint64, at time.Time) {
		t.Helper()
		m := eventlog.Msg{Seq: seq, Subject: "kubu.events.MOH", Time: at, Data: ev("MOH", "dc01", at, failedLogon("x"))}
		if err := w.handle(context.Background(), []eventlog.Msg{m}); err != nil {
			t.Fatal(err)
		}
	}
	deliver(1, t0)
	deliver(2, t0.Add(30*time.Second))
	deliver(3, t0.Add(5*time.Minute)) // past the window
	al := e.alerts(t, AlertFilter{})
	if len(al) != 2 || al[1].EventCount != 2 || al[0].EventCount != 1 {
		t.Fatalf("alerts %+v", al)
	}
	if _, err := e.s.UpdateAlert(context.Background(), analyst, al[0].ID, AlertChange{Status: StatusClosed}); !isInvalid(err) {
		t.Fatalf("closing without a reason: %v", err)
	}
	if _, err := e.s.UpdateAlert(context.Background(), analyst, al[0].ID, AlertChange{Status: StatusClosed, Reason: "test account"}); err != nil {
		t.Fatal(err)
	}
	deliver(4, t0.Add(5*time.Minute+time.Second))
	if al := e.alerts(t, AlertFilter{Statuses: []string{StatusOpen}}); len(al) != 2 {
		t.Fatalf("a closed alert takes no more events: %+v", al)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM audit_log WHERE code = 'L1002I'`); n != 1 {
		t.Fatalf("close audited %d times", n)
	}
}

func isInvalid(err error) bool {
	_, ok := validate.As(err)
	return ok
}

// TestRulesHotReload adds, disables and replaces rules while detection
// runs: each change applies within seconds, without a restart.
func TestRulesHotReload(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	e := newEnv(t, db, Options{RuleRefresh: 100 * time.Millisecond})
	e.start(t)
	now := time.Now().UTC()
	e.publish(t, "MOH", ev("MOH", "h1", now, failedLogon("before")))
	waitFor(t, "the event to be evaluated", func() bool { return e.s.Evaluated() >= 1 }) // sentinel
	if n := len(e.alerts(t, AlertFilter{})); n != 0 {
		t.Fatalf("%d alerts before any rule", n)
	}
	rule := e.addRule(t, ruleFailedLogon)
	if err := e.s.WaitRules(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.publish(t, "MOH", ev("MOH", "h2", now, failedLogon("after")))
	waitFor(t, "the new rule to alert", func() bool { return len(e.alerts(t, AlertFilter{})) == 1 })

	// Another node's change is noticed through the version counter.
	other := New(db, e.al, quietLog(), Options{})
	if _, err := other.SetRuleEnabled(context.Background(), root, rule.ID, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the disabled rule to unload", func() bool { return e.s.current().rules == 0 })
	e.publish(t, "MOH", ev("MOH", "h3", now, failedLogon("disabled")))
	waitFor(t, "the event to be evaluated", func() bool { return e.s.Evaluated() >= 3 }) // sentinel
	if n := len(e.alerts(t, AlertFilter{})); n != 1 {
		t.Fatalf("a disabled rule alerted: %d alerts", n)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM audit_log WHERE code IN ('K1000I','K1003W')`); n != 2 {
		t.Fatalf("rule changes audited: %d", n)
	}
}

func TestRuleValidation(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	e := newEnv(t, db, Options{})
	tests := []struct {
		name string
		yaml string
		want string // "rule" for a RuleError, "conflict"
	}{
		{"not yaml", "title: [unclosed", "rule"},
		{"no detection", "title: x\nlogsource: {product: windows}\n", "rule"},
		{"bad condition", "title: x\nlogsource: {product: windows}\ndetection:\n  sel: {EventID: 1}\n  condition: sel and\n", "rule"},
		{"lookbehind regex", "title: x\nlogsource: {product: windows}\ndetection:\n  sel: {CommandLine|re: '(?<=a)b'}\n  condition: sel\n", "rule"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.s.CreateRule(context.Background(), root, []byte(tt.yaml))
			var re *RuleError
			if !errors.As(err, &re) || re.Msg == "" {
				t.Fatalf("got %v, want a RuleError", err)
			}
		})
	}
	e.addRule(t, ruleFailedLogon)
	if _, err := e.s.CreateRule(context.Background(), root, []byte(ruleFailedLogon)); !errors.Is(err, validate.ErrConflict) {
		t.Fatalf("the same rule id twice: %v", err)
	}
	member := authz.Actor{UserID: "m", Role: authz.AgencyMember, AgencyID: e.agencies["MOH"]}
	if _, err := e.s.CreateRule(context.Background(), member, []byte(ruleFailedLogon)); !errors.Is(err, authz.ErrForbidden) {
		t.Fatalf("a member creating a rule: %v", err)
	}
	page, err := e.s.ListRules(context.Background(), member, RuleFilter{Query: "failed"})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("a member reads rules: %v %v", page, err)
	}
}

// TestRuleFilesAndSigmaHQ loads --rules files (one real SigmaHQ rule from
// the corpus) and raises its alert on a matching Sysmon event.
func TestRuleFilesAndSigmaHQ(t *testing.T) {
	src := corpus.Path(t, "sigma", "rules", "windows", "process_creation", "proc_creation_win_whoami_all_execution.yml")
	db := storetest.Open(t, store.SQLite)
	e := newEnv(t, db, Options{})
	dir := t.TempDir()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "whoami.yml"), data, 0o600)
	os.WriteFile(filepath.Join(dir, "failed.yaml"), []byte(ruleFailedLogon), 0o600)
	os.WriteFile(filepath.Join(dir, "broken.yml"), []byte("title: ["), 0o600)
	res, err := e.s.LoadRuleFiles(context.Background(), []string{dir})
	if err != nil || res.Files != 3 || res.Changed != 2 || len(res.Failed) != 1 {
		t.Fatalf("load %+v %v", res, err)
	}
	res, _ = e.s.LoadRuleFiles(context.Background(), []string{dir})
	if res.Changed != 0 {
		t.Fatalf("unchanged files changed %d rules", res.Changed)
	}
	e.start(t)
	now := time.Now().UTC()
	e.publish(t, "MOH", ev("MOH", "ws1", now, map[string]any{"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational",
		"Image": `C:\Windows\System32\whoami.exe`, "CommandLine": "whoami /all"}))
	waitFor(t, "the SigmaHQ rule's alert", func() bool {
		al := e.alerts(t, AlertFilter{RuleID: "c248c896-e412-4279-8c15-1c558067b6fa"})
		return len(al) == 1 && al[0].Level == "medium"
	})
}

// TestEnvelopeNotMatched: rules see the event without kubu's "@kubu"
// envelope (as `kubu hunt` sees an exported event), so a keyword cannot
// match kubu's own metadata, while the event's own fields still match;
// a line without an envelope is matched whole.
func TestEnvelopeNotMatched(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	e := newEnv(t, db, Options{})
	e.addRule(t, `title: Keyword
id: 0e1f0000-0000-4000-8000-00000000e001
level: low
detection:
  keywords: [envelope-host-7]
  condition: keywords
`)
	e.start(t)
	if err := e.s.WaitRules(context.Background()); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	e.publish(t, "MOH", ev("MOH", "envelope-host-7", now, map[string]any{"msg": "nothing here"}))
	e.publish(t, "MOH", ev("MOH", "h2", now, map[string]any{"msg": "about envelope-host-7"}))
	e.publish(t, "MOH", []byte(`{"msg":"bare envelope-host-7"}`+"\n"))
	waitFor(t, "the events to be evaluated", func() bool { return e.s.Evaluated() >= 3 }) // sentinel
	al := e.alerts(t, AlertFilter{})
	if len(al) != 2 {
		t.Fatalf("%d alerts, want 2 (the event naming the keyword, the bare line); the envelope's host matched: %+v", len(al), al)
	}
}
