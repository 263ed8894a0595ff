package incident_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/incident"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
	"github.com/kubu-gov/kubu/internal/testkit"
	"github.com/kubu-gov/kubu/internal/webhook"
)

// onCall sets up a rotation of two central operators, a lead and the
// escalation policy (15 minutes), and returns the pager service.
func onCall(t *testing.T, e *env, box *testkit.Outbox) (svc *incident.Service, ana, ben, lead authz.Actor) {
	t.Helper()
	ctx := context.Background()
	ana = e.user(t, "ana@ops.example", authz.Analyst, "")
	ben = e.user(t, "ben@ops.example", authz.Analyst, "")
	lead = e.user(t, "lead@ops.example", authz.WogAdmin, "")
	svc = incident.New(e.db, e.log, e.reg, e.findings, incident.Options{Now: e.clock.Now, Mail: box, Sealer: e.ring.Sealer(incident.WebhookSealPurpose),
		PublicURL: "https://kubu.example", NodeID: "test", Log: quiet})
	if _, err := svc.SaveRotation(ctx, e.analyst, "", incident.RotationInput{Name: "x"}); !errors.Is(err, authz.ErrForbidden) {
		t.Fatalf("an analyst made a rotation: %v", err)
	}
	if _, err := svc.SaveRotation(ctx, e.admin, "", incident.RotationInput{Name: "Ops", TimeZone: "Asia/Singapore", Handover: "09:00", ShiftDays: 7,
		StartsOn: "2026-01-05", Members: []string{e.mohMember.UserID}}); err == nil {
		t.Fatal("an agency member was put on the central rotation")
	}
	// ana is on call from a week before now: the rotation starts on a date
	// whose shift holds now.
	startsOn := e.clock.Now().In(time.FixedZone("SGT", 8*3600)).AddDate(0, 0, -1).Format("2006-01-02")
	rot, err := svc.SaveRotation(ctx, e.admin, "", incident.RotationInput{Name: "Ops", TimeZone: "Asia/Singapore", Handover: "09:00", ShiftDays: 14,
		StartsOn: startsOn, Members: []string{"ana@ops.example", ben.UserID}})
	if err != nil {
		t.Fatal(err)
	}
	if rot.OnCall != ana.UserID {
		t.Fatalf("on call %+v", rot)
	}
	if _, err := svc.SetPolicy(ctx, e.admin, incident.Policy{PrimaryRotation: rot.ID, LeadID: lead.UserID, AckMinutes: 15, MinSeverity: "high"}); err != nil {
		t.Fatal(err)
	}
	return svc, ana, ben, lead
}

// TestPagerEscalates: an unacknowledged incident pages the primary, then
// the secondary, then the incident's lead, each once; acknowledging stops
// it; a webhook gets every page signed; a refused page is retried.
func TestPagerEscalates(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		box := &testkit.Outbox{}
		svc, ana, ben, _ := onCall(t, e, box)
		var mu sync.Mutex
		var hooked []string
		var secret []byte
		recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			body, _ := io.ReadAll(r.Body)
			if _, err := webhook.Verify(r.Header, body, e.clock.Now(), webhook.DefaultWindow, secret); err != nil {
				http.Error(w, err.Error(), 401)
				return
			}
			hooked = append(hooked, r.Header.Get(webhook.HeaderDelivery))
		}))
		defer recv.Close()
		h, err := svc.AddWebhook(ctx, e.admin, "chat bridge", recv.URL)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		secret = []byte(h.Secret)
		mu.Unlock()
		if hs, _ := svc.Webhooks(ctx, e.analyst); len(hs) != 1 || hs[0].Secret != "" {
			t.Fatalf("listed webhooks %+v", hs)
		}

		inc, err := svc.Create(ctx, e.analyst, incident.NewIncident{Title: "DDoS on the portal", Severity: "critical", Category: "denial-of-service",
			Agencies: []string{"MOH"}, LeadID: e.analyst.UserID})
		if err != nil {
			t.Fatal(err)
		}
		low, _ := svc.Create(ctx, e.analyst, incident.NewIncident{Title: "Odd scan", Severity: "low", Category: "other", Agencies: []string{"MOH"}})
		tick := func() {
			t.Helper()
			if _, err := svc.Tick(ctx); err != nil {
				t.Fatal(err)
			}
		}
		tick()
		tick()
		if got := box.Recipients(); !slices.Equal(got, []string{ana.Email}) {
			t.Fatalf("after the first ticks mail went to %v", got)
		}
		e.clock.Add(15 * time.Minute)
		box.Refuse(true) // the mail server refuses the secondary's page for a while
		tick()
		if got := box.Recipients(); len(got) != 1 {
			t.Fatalf("mail while the server refuses: %v", got)
		}
		box.Refuse(false)
		tick() // within a minute: not retried yet
		e.clock.Add(time.Minute)
		tick() // retried
		if got := box.Recipients(); !slices.Equal(got, []string{ana.Email, ben.Email}) {
			t.Fatalf("after escalating mail went to %v", got)
		}
		e.clock.Add(15 * time.Minute)
		tick()
		tick()
		if got := box.Recipients(); !slices.Equal(got, []string{ana.Email, ben.Email, e.analyst.Email}) { // the incident's lead
			t.Fatalf("after the lead step mail went to %v", got)
		}
		mu.Lock()
		if len(hooked) != 3 {
			t.Fatalf("webhook deliveries %v", hooked)
		}
		mu.Unlock()
		pages, err := svc.Pages(ctx, e.analyst)
		if err != nil || len(pages) != 6 {
			t.Fatalf("pages %+v %v", pages, err)
		}
		for _, p := range pages {
			if p.TargetID != inc.ID || p.SentAt == nil {
				t.Fatalf("page %+v (the low incident %s pages nobody)", p, low.ID)
			}
		}
		// A new critical incident acknowledged at once pages only the primary.
		quick, _ := svc.Create(ctx, e.analyst, incident.NewIncident{Title: "Quick", Severity: "high", Category: "other", Agencies: []string{"MOH"}})
		tick()
		if _, err := svc.ChangeStatus(ctx, e.analyst, quick.ID, incident.StatusChange{Status: "analysing"}); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(time.Hour)
		tick()
		if got := box.Recipients(); len(got) != 4 || got[3] != ana.Email {
			t.Fatalf("acknowledged incident: mail went to %v", got)
		}
		now, err := svc.WhoIsOnCall(ctx, e.analyst)
		if err != nil || now.PrimaryEmail != ana.Email || now.SecondaryEmail != ben.Email || now.LeadEmail != "lead@ops.example" {
			t.Fatalf("who is on call %+v %v", now, err)
		}
		if _, err := svc.Pages(ctx, e.mohMember); !errors.Is(err, authz.ErrForbidden) {
			t.Fatalf("an agency member read the pages: %v", err)
		}
	})
}
