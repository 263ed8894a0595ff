package incident_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/incident"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

// TestSuggestions: alerts in no incident that share a host, a user or an
// observable with the incident are suggested, with the reasons; others,
// those already in an incident and those the caller may not see are not.
func TestSuggestions(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		linked := e.alert(t, "MOH", "high", "Mimikatz", "ws01", start.Add(-time.Hour))
		e.event(t, linked, `{"@kubu":{"agency":"MOH","host":"ws01"},"EventID":4624,"TargetUserName":"Alice"}`)
		sameHost := e.alert(t, "MOH", "medium", "Odd service", "WS01", start)
		sameUser := e.alert(t, "MOH", "low", "Logon at night", "ws99", start)
		e.event(t, sameUser, `{"@kubu":{"agency":"MOH","host":"ws99"},"winlog":{"event_data":{"SubjectUserName":"alice"}}}`)
		sameObs := e.alert(t, "MOH", "low", "DNS lookup", "dns1", start)
		e.event(t, sameObs, `{"@kubu":{"agency":"MOH","host":"dns1"},"query":"Evil.example"}`)
		unrelated := e.alert(t, "MOH", "low", "Noise", "ws50", start)
		e.event(t, unrelated, `{"User":"bob"}`)
		otherAgency := e.alert(t, "MOE", "low", "MOE on ws01", "ws01", start)
		taken := e.alert(t, "MOH", "low", "Already handled", "ws01", start)
		if _, err := e.svc.Create(ctx, e.analyst, incident.NewIncident{Title: "Other", Severity: "low", Category: "other", AlertIDs: []string{taken}}); err != nil {
			t.Fatal(err)
		}
		inc, err := e.svc.Create(ctx, e.analyst, incident.NewIncident{Title: "Creds", Severity: "high", Category: "unauthorised-access", AlertIDs: []string{linked}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AddObservable(ctx, e.analyst, inc.ID, incident.NewObservable{Type: "domain", Value: "evil.example", TLP: "green"}); err != nil {
			t.Fatal(err)
		}
		got := func(sugs []incident.Suggestion) map[string][]string {
			m := map[string][]string{}
			for _, s := range sugs {
				m[s.Alert.ID] = s.Reasons
			}
			return m
		}
		sugs, err := e.svc.Suggestions(ctx, e.analyst, inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		m := got(sugs)
		if !slices.Equal(m[sameHost], []string{"same host WS01"}) || !slices.Equal(m[sameUser], []string{"same user alice"}) ||
			!slices.Equal(m[sameObs], []string{"same observable Evil.example"}) || len(m[otherAgency]) != 1 || len(m) != 4 {
			t.Fatalf("analyst's suggestions %v", m)
		}
		if _, ok := m[unrelated]; ok {
			t.Fatal("an unrelated alert was suggested")
		}
		sugs, _ = e.svc.Suggestions(ctx, e.mohMember, inc.ID)
		if m := got(sugs); len(m) != 3 || m[otherAgency] != nil {
			t.Fatalf("MOH member's suggestions %v", m)
		}
	})
}
