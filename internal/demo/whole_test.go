package demo_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/app"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/config"
	"github.com/kubu-gov/kubu/internal/demo"
	"github.com/kubu-gov/kubu/internal/detect"
	"github.com/kubu-gov/kubu/internal/disclosure"
)

// TestDemoShowsTheWholeProduct is issue 9 item 6: on a fresh demo, with
// the server running as `kubu serve --demo` runs it, there are Sigma rules,
// alerts raised from events that came in through intake, a bounty and a
// VRP with reward tables, reports in every status, rewards paid and
// waiting, and the dates agree (nothing closed before it was submitted).
func TestDemoShowsTheWholeProduct(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := app.Open(ctx, &config.Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var out bytes.Buffer
	if _, err := demo.Seed(ctx, demo.Deps{Registry: a.Registry, Findings: a.Findings, Accounts: a.Accounts, Incidents: a.Incidents,
		Disclosure: a.Disclosure, Detect: a.Detect}, &out, 1); err != nil {
		t.Fatalf("seed: %v", err)
	}
	sent := make(chan error, 1)
	served := make(chan error, 1)
	go func() {
		served <- a.Serve(ctx, func(addr string) {
			go func() {
				n, err := demo.SendEvents(ctx, a.Intake, "http://"+addr)
				if err == nil && n < 100 {
					t.Errorf("only %d demo events", n)
				}
				sent <- err
			}()
		})
	}()
	select {
	case err := <-sent:
		if err != nil {
			t.Fatalf("sending the demo events: %v", err)
		}
	case err := <-served:
		t.Fatalf("serve ended: %v", err)
	case <-time.After(2 * time.Minute):
		t.Fatal("the demo events were not sent within 2 minutes")
	}
	admin := authz.Actor{UserID: "x", Role: authz.WogAdmin}

	rules, err := a.Detect.ListRules(ctx, admin, detect.RuleFilter{Limit: 1000})
	if err != nil || len(rules.Items) < 5 {
		t.Fatalf("demo rules: %d %v", len(rules.Items), err)
	}
	// Alerts: detection works through the events in the background.
	levels := map[string]int{}
	for deadline := time.Now().Add(2 * time.Minute); ; {
		al, err := a.Detect.ListAlerts(ctx, admin, detect.AlertFilter{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		clear(levels)
		agencies := map[string]bool{}
		for _, x := range al.Items {
			levels[x.Level]++
			agencies[x.Agency] = true
		}
		if levels["critical"] > 0 && levels["high"] > 0 && levels["medium"] > 0 && len(agencies) >= 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("alerts after 2 minutes: by level %v, agencies %v", levels, agencies)
		}
		time.Sleep(200 * time.Millisecond)
	}

	progs, err := a.Disclosure.ListProgrammes(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, p := range progs {
		kinds[p.Kind] = true
		if (p.Kind == "bounty" || p.Kind == "vrp") && (p.RewardTable == nil || len(p.RewardTable.Amounts) == 0) {
			t.Errorf("programme %s has no reward table", p.Slug)
		}
	}
	if !kinds["bounty"] || !kinds["vrp"] || !kinds["vdp"] {
		t.Errorf("programme kinds %v, want vdp, bounty and vrp", kinds)
	}
	reports, err := a.Disclosure.ListReports(ctx, admin, disclosure.ReportFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	statuses := map[string]int{}
	for _, r := range reports.Items {
		statuses[r.Status]++
		if r.ClosedAt != nil && r.ClosedAt.Before(r.SubmittedAt) || r.SubmittedAt.After(time.Now()) {
			t.Errorf("report %q: submitted %v, closed %v", r.Title, r.SubmittedAt, r.ClosedAt)
		}
	}
	for _, st := range disclosure.Statuses {
		if statuses[st] == 0 {
			t.Errorf("no demo report in status %s (have %v)", st, statuses)
		}
	}
	rewards, err := a.Disclosure.Ledger(ctx, admin, disclosure.RewardFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	rs := map[string]int{}
	for _, r := range rewards.Items {
		rs[r.Status]++
	}
	if rs["approved"] == 0 || rs["proposed"] == 0 {
		t.Errorf("rewards by status %v, want some approved and some waiting", rs)
	}
	if _, err := a.Audit.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case <-served:
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	t.Logf("demo: %d rules, alerts by level %v, reports by status %v, rewards %v", len(rules.Items), levels, statuses, rs)
}
