package api_test

import (
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

// TestAuditVisibilityForAgencyAdmins: an audit entry is visible with the
// visibility of what it is about. An agency admin reads their agency's
// entries about systems, findings and people, but not those about reports,
// rewards or programmes, which their role never sees: no researcher's
// email, no anonymous reporter's address, no tracking id of a report that
// did not become their finding, no reward amount.
func TestAuditVisibilityForAgencyAdmins(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := newServer(t, db, nil)
		if p := s.call(t, "admin", "POST", "/api/v1/programmes", map[string]any{"slug": "vrp", "kind": "vrp", "name": "VRP", "access": "open",
			"reward_table": map[string]any{"currency": "USD", "amounts": map[string]int{"high": 9753186}}}); p.code != 201 {
			t.Fatalf("programme: %d %s", p.code, p.raw)
		}
		accepted := s.call(t, "researcher", "POST", "/api/v1/reports", map[string]any{"programme": "vrp", "title": "Accepted one", "description": "d", "severity": "high", "system_id": s.sysA.ID})
		pending := s.call(t, "researcher", "POST", "/api/v1/reports", map[string]any{"programme": "vrp", "title": "Pending one", "description": "d", "severity": "high", "system_id": s.sysA.ID})
		anon := s.call(t, "", "POST", "/api/v1/public/vdp/reports", map[string]any{"title": "Anonymous one", "description": "d", "affected_url": "https://healthhub.example.sg/x", "reporter_email": "whistle@example.net"})
		if accepted.code != 201 || pending.code != 201 || anon.code != 201 {
			t.Fatalf("reports: %d %d %d %s", accepted.code, pending.code, anon.code, anon.raw)
		}
		acceptedID, pendingID, anonID := accepted.body["tracking_id"].(string), pending.body["tracking_id"].(string), anon.body["tracking_id"].(string)
		if a := s.call(t, "triager", "POST", "/api/v1/reports/"+acceptedID+"/transitions", `{"status":"accepted","reason":"ok"}`); a.code != 200 {
			t.Fatalf("accept: %d %s", a.code, a.raw)
		}
		if a := s.call(t, "triager", "POST", "/api/v1/reports/"+anonID+"/messages", `{"body":"thanks","internal":false}`); a.code != 201 {
			t.Fatalf("reply: %d %s", a.code, a.raw)
		}
		if rw := s.call(t, "admin", "POST", "/api/v1/reports/"+acceptedID+"/rewards", `{"reason":"valid"}`); rw.code != 201 {
			t.Fatalf("reward: %d %s", rw.code, rw.raw)
		}

		// The whole log, for wog-admin, has it all.
		all := s.call(t, "admin", "GET", "/api/v1/audit?limit=1000", nil)
		for _, want := range []string{"r@example.com", pendingID, anonID, "9753186", `"target_type":"report"`, `"target_type":"reward"`} {
			if !strings.Contains(string(all.raw), want) {
				t.Fatalf("wog-admin's log lacks %s (the test would prove nothing)", want)
			}
		}

		// The agency admin's. (The reward amount has seven digits: a short
		// one such as 4321 turns up by chance in the hex hashes of a log this
		// size about one run in twenty.)
		mine := s.call(t, "a-admin", "GET", "/api/v1/audit?limit=1000", nil)
		if mine.code != 200 {
			t.Fatalf("agency admin's log: %d %s", mine.code, mine.raw)
		}
		raw := string(mine.raw)
		for _, secret := range []string{"r@example.com", "whistle@example.net", pendingID, anonID, "9753186",
			`"target_type":"report"`, `"target_type":"reward"`, `"target_type":"programme"`} {
			if i := strings.Index(raw, secret); i >= 0 {
				t.Errorf("the agency admin's audit log shows %s: …%s…", secret, raw[max(0, i-200):min(len(raw), i+100)])
			}
		}
		items := mine.body["items"].([]any)
		types := map[string]int{}
		for _, it := range items {
			e := it.(map[string]any)
			types[e["target_type"].(string)]++
			if e["agency_id"] != items[0].(map[string]any)["agency_id"] {
				t.Errorf("an entry of another agency: %v", e)
			}
		}
		if types["finding"] == 0 || types["system"] == 0 {
			t.Errorf("the agency admin should still read their agency's findings and systems entries: %v", types)
		}
		// Asking for the hidden types by name changes nothing.
		for _, typ := range []string{"report", "reward"} {
			if a := s.call(t, "a-admin", "GET", "/api/v1/audit?target_type="+typ, nil); a.code != 200 || len(a.body["items"].([]any)) != 0 {
				t.Errorf("target_type=%s: %d %s", typ, a.code, a.raw)
			}
		}
		// An agency member reads no log at all.
		if a := s.call(t, "a-member", "GET", "/api/v1/audit", nil); a.code != 403 {
			t.Errorf("agency member: %d", a.code)
		}
	})
}
