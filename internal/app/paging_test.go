package app_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/app"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/config"
	"github.com/kubu-gov/kubu/internal/detect"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/incident"
	"github.com/kubu-gov/kubu/internal/mail/mailtest"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
	"github.com/kubu-gov/kubu/internal/webhook"
)

// TestPagingTwoNodes: two kubu nodes (two App instances) on one database
// run the pager at the same moments. An unacknowledged critical alert
// pages the primary once, then escalates once to the secondary; mailpit
// receives exactly those two mails, and a webhook receiver gets exactly
// two deliveries whose signatures it checks. Acknowledging the alert stops
// the escalation.
func TestPagingTwoNodes(t *testing.T) {
	sink := mailtest.Start(t)
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		opts := storetest.Options(t, db.Engine)
		cfg := config.Config{DataDir: t.TempDir(), DatabaseURL: opts.URL, Addr: "127.0.0.1:0",
			Community: config.Community{SMTPAddr: sink.SMTPAddr, SMTPFrom: "kubu@example.gov"}}
		quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
		var nodes []*app.App
		for range 2 {
			c := cfg
			a, err := app.Open(ctx, &c, quiet)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { a.Close() })
			nodes = append(nodes, a)
		}
		one := nodes[0]
		if _, err := one.Registry.CreateAgency(ctx, root, registryAgency("MOH")); err != nil {
			t.Fatal(err)
		}
		// Unique addresses per engine: mailpit is shared by the subtests.
		tag := string(db.Engine)
		person := func(name string, role authz.Role) accounts.User {
			u, err := one.Accounts.CreateUser(ctx, root, accounts.NewUser{Email: name + "." + tag + "@ops.example.gov", Role: role, Password: "correct horse battery staple"})
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		ana, ben, lead := person("ana", authz.Analyst), person("ben", authz.Analyst), person("lead", authz.WogAdmin)

		// One fake clock for both nodes; each node's pager runs on its own
		// App's database connection, key ring and SMTP sender.
		var clockMu sync.Mutex
		now := time.Now().UTC().Truncate(time.Millisecond)
		clock := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }
		advance := func(d time.Duration) { clockMu.Lock(); now = now.Add(d); clockMu.Unlock() }
		var pagers []*incident.Service
		for i, n := range nodes {
			pagers = append(pagers, incident.New(n.DB, n.Audit, n.Registry, n.Findings, incident.Options{Now: clock, Mail: n.PageMail(),
				Sealer: n.Ring.Sealer(incident.WebhookSealPurpose), PublicURL: "https://kubu.example.gov", NodeID: fmt.Sprintf("node-%d", i+1), Log: quiet}))
		}
		admin := authz.Actor{UserID: lead.ID, Email: lead.Email, Role: authz.WogAdmin}
		rot, err := pagers[0].SaveRotation(ctx, admin, "", incident.RotationInput{Name: "24/7 desk", TimeZone: "UTC", Handover: "00:00", ShiftDays: 28,
			StartsOn: now.Format("2006-01-02"), Members: []string{ana.Email, ben.Email}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pagers[1].SetPolicy(ctx, admin, incident.Policy{PrimaryRotation: rot.ID, LeadID: lead.ID, AckMinutes: 10, MinSeverity: "high"}); err != nil {
			t.Fatal(err)
		}
		var hookMu sync.Mutex
		deliveries := map[string]int{}
		var secret []byte
		recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hookMu.Lock()
			defer hookMu.Unlock()
			body, _ := io.ReadAll(r.Body)
			if _, err := webhook.Verify(r.Header, body, clock(), webhook.DefaultWindow, secret); err != nil {
				t.Errorf("webhook delivery refused: %v", err)
				http.Error(w, err.Error(), http.StatusUnauthorized)
				return
			}
			if !strings.Contains(string(body), `"type":"page"`) {
				t.Errorf("webhook body %s", body)
			}
			deliveries[r.Header.Get(webhook.HeaderDelivery)]++
		}))
		defer recv.Close()
		h, err := pagers[0].AddWebhook(ctx, admin, "pager bridge", recv.URL)
		if err != nil {
			t.Fatal(err)
		}
		hookMu.Lock()
		secret = []byte(h.Secret)
		hookMu.Unlock()

		alertID := id.New()
		if err := one.DB.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.Exec(`INSERT INTO alerts (id, rule_id, rule_title, level, level_rank, tags, agency_id, agency, kind, hunt_id, group_key,
				group_fields, status, first_seen, last_seen, event_count, created_at, updated_at)
				VALUES ($1,'r1','Ransomware note written `+tag+`','critical',4,'[]','','unassigned','detection','','{}','{}','open',$2,$2,1,$2,$2)`, alertID, now.UnixMilli())
			return err
		}); err != nil {
			t.Fatal(err)
		}
		// Both nodes tick at the same moments, several times per step.
		tickBoth := func() {
			t.Helper()
			var wg sync.WaitGroup
			for _, p := range pagers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := p.Tick(ctx); err != nil {
						t.Errorf("tick: %v", err)
					}
				}()
			}
			wg.Wait()
		}
		for range 3 {
			tickBoth()
		}
		sink.WaitFor(t, ana.Email, "Page: critical alert unacknowledged: Ransomware note written "+tag)
		advance(10 * time.Minute)
		for range 3 {
			tickBoth()
		}
		sink.WaitFor(t, ben.Email, "Escalated to you (secondary)")
		// Acknowledged now: no lead page however long it waits.
		if _, err := one.Detect.UpdateAlert(ctx, admin, alertID, detectAck()); err != nil {
			t.Fatal(err)
		}
		advance(time.Hour)
		for range 3 {
			tickBoth()
		}
		var mine []string
		for _, m := range sink.Messages(t) {
			for _, to := range m.To {
				if strings.Contains(to, "."+tag+"@") {
					mine = append(mine, to+" "+m.Subject)
				}
			}
		}
		slices.Sort(mine)
		if len(mine) != 2 || !strings.HasPrefix(mine[0], ana.Email) || !strings.HasPrefix(mine[1], ben.Email) {
			t.Fatalf("mailpit received %q, want one page to %s and one escalation to %s", mine, ana.Email, ben.Email)
		}
		hookMu.Lock()
		defer hookMu.Unlock()
		if len(deliveries) != 2 {
			t.Fatalf("webhook deliveries %v", deliveries)
		}
		for k, n := range deliveries {
			if n != 1 || !strings.HasPrefix(k, "alert:"+alertID+":") {
				t.Fatalf("delivery %s arrived %d times", k, n)
			}
		}
		pages, err := pagers[1].Pages(ctx, admin)
		if err != nil || len(pages) != 4 {
			t.Fatalf("pages recorded %+v %v", pages, err)
		}
		nodesUsed := map[string]bool{}
		for _, p := range pages {
			if p.SentAt == nil || p.Attempts != 1 {
				t.Fatalf("page %+v", p)
			}
			nodesUsed[p.Node] = true
		}
		t.Logf("%s: pages claimed by %v", tag, nodesUsed)
	})
}

func detectAck() detect.AlertChange { return detect.AlertChange{Status: detect.StatusAcknowledged} }
