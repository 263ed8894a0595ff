package api_test

import (
	"slices"
	"testing"

	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

// TestAnonymousReportNamingASystemAnswersAlike: an anonymous VDP report
// naming a system_id answers the same — status and body shape — for a real
// id and a made-up one, so the public form cannot be used to learn which
// system ids exist. The real one files the report against the system; the
// made-up one is left for triage (or placed by its URL).
func TestAnonymousReportNamingASystemAnswersAlike(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := newServer(t, db, nil)
		submit := func(systemID, url string) answer {
			return s.call(t, "", "POST", "/api/v1/public/vdp/reports", map[string]any{
				"title": "Open redirect", "description": "The next parameter is not checked.", "affected_url": url, "system_id": systemID})
		}
		real := submit(s.sysA.ID, "https://elsewhere.example/x")
		madeUp := submit("01jzzzzzzzzzzzzzzzzzzzzzzz", "https://elsewhere.example/x")
		keys := func(a answer) []string {
			var k []string
			for key := range a.body {
				k = append(k, key)
			}
			slices.Sort(k)
			return k
		}
		if real.code != 201 || madeUp.code != real.code || !slices.Equal(keys(real), keys(madeUp)) || !slices.Equal(keys(real), []string{"token", "tracking_id"}) {
			t.Fatalf("a real system id answered %d %s, a made-up one %d %s", real.code, real.raw, madeUp.code, madeUp.raw)
		}
		if real.header.Get("Content-Type") != madeUp.header.Get("Content-Type") {
			t.Errorf("content types differ: %q %q", real.header.Get("Content-Type"), madeUp.header.Get("Content-Type"))
		}
		// The real one is filed against the system, the made-up one is not.
		if r := s.call(t, "triager", "GET", "/api/v1/reports/"+real.body["tracking_id"].(string), nil); r.body["system_id"] != s.sysA.ID {
			t.Errorf("the report naming a real system: %s", r.raw)
		}
		if r := s.call(t, "triager", "GET", "/api/v1/reports/"+madeUp.body["tracking_id"].(string), nil); r.code != 200 || r.body["system_id"] != nil && r.body["system_id"] != "" {
			t.Errorf("the report naming a made-up system: %s", r.raw)
		}
		// A made-up id does not stop the URL from placing the report.
		placed := submit("01jzzzzzzzzzzzzzzzzzzzzzzz", "https://healthhub.example.sg/login?next=//evil")
		if r := s.call(t, "triager", "GET", "/api/v1/reports/"+placed.body["tracking_id"].(string), nil); placed.code != 201 || r.body["system_id"] != s.sysA.ID {
			t.Errorf("placing by URL after a made-up id: %d %s", placed.code, r.raw)
		}
		// Both reporters follow their reports with their tokens.
		for _, a := range []answer{real, madeUp} {
			if f := s.call(t, "bearer:"+a.body["token"].(string), "GET", "/api/v1/public/vdp/reports/"+a.body["tracking_id"].(string), nil); f.code != 200 {
				t.Errorf("following: %d", f.code)
			}
		}
	})
}
