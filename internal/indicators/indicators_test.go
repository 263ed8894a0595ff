package indicators_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/detect"
	"github.com/kubu-gov/kubu/internal/indicators"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
	"github.com/kubu-gov/kubu/internal/validate"
)

const (
	idC2      = "indicator--b1000000-0000-4000-8000-000000000001"
	idPhish   = "indicator--b1000000-0000-4000-8000-000000000002"
	idDropper = "indicator--b1000000-0000-4000-8000-000000000003"
)

var testBundle = bundle(
	indicator(idC2, "2026-02-01T00:00:00.000Z", "[ipv4-addr:value = '198.51.100.7']", `"name":"C2 server","confidence":85`),
	indicator(idPhish, "2026-02-01T00:00:00.000Z", "[domain-name:value = 'login-secure.example'] OR [url:value = 'http://login-secure.example/owa/']",
		`"name":"Phishing kit","object_marking_refs":["marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"]`),
	indicator(idDropper, "2026-02-01T00:00:00.000Z", "[file:hashes.'SHA-256' = '908B64B1971A979C7E3E8CE4621945CBA84854CB98D76367B791A6E22B5F6D53']", ""),
	indicator("indicator--b1000000-0000-4000-8000-000000000004", "2026-02-01T00:00:00.000Z", "[ipv4-addr:value = '203.0.113.9'] FOLLOWEDBY [domain-name:value = 'x.example']", ""),
	`{"id":"indicator--b1000000-0000-4000-8000-000000000005"}`,
)

func TestImportSTIX(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, indicators.Options{})
		ctx := context.Background()
		v0, _ := e.s.Version(ctx)
		res, err := e.s.ImportSTIX(ctx, analyst, "cert", indicators.KindUpload, strings.NewReader(testBundle))
		if err != nil {
			t.Fatal(err)
		}
		if res.Imported != 3 || len(res.Skipped) != 1 || !strings.Contains(res.Skipped[0].Reason, "FOLLOWEDBY") || len(res.Errors) != 1 {
			t.Fatalf("result %+v", res)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM intel_indicators`); n != 4 {
			t.Fatalf("%d rows, want 4 (ip, domain, url, hash)", n)
		}
		if v, _ := e.s.Version(ctx); v <= v0 {
			t.Fatal("the import did not move the version")
		}
		// Importing the same bundle again stores nothing twice.
		if _, err := e.s.ImportSTIX(ctx, analyst, "cert", indicators.KindUpload, strings.NewReader(testBundle)); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM intel_indicators`); n != 4 {
			t.Fatalf("re-import: %d rows, want 4", n)
		}
		// A newer version replaces its values; an older one is skipped.
		newer := bundle(indicator(idPhish, "2026-03-01T00:00:00.000Z", "[domain-name:value = 'login-secure2.example']", `"name":"Phishing kit v2"`))
		if res, _ := e.s.ImportSTIX(ctx, analyst, "cert", indicators.KindUpload, strings.NewReader(newer)); res.Imported != 1 {
			t.Fatalf("newer: %+v", res)
		}
		page, _ := e.s.Indicators(ctx, analyst, indicators.Filter{STIXID: idPhish})
		if len(page.Items) != 1 || page.Items[0].Value != "login-secure2.example" || page.Items[0].Name != "Phishing kit v2" {
			t.Fatalf("after the newer version: %+v", page.Items)
		}
		older := bundle(indicator(idPhish, "2026-01-15T00:00:00.000Z", "[domain-name:value = 'old.example']", ""))
		res, _ = e.s.ImportSTIX(ctx, analyst, "cert", indicators.KindUpload, strings.NewReader(older))
		if res.Imported != 0 || len(res.Skipped) != 1 || res.Skipped[0].Reason != "a newer version of this indicator is stored" {
			t.Fatalf("older: %+v", res)
		}
		// Access: only those who manage intelligence import.
		if _, err := e.s.ImportSTIX(ctx, triager, "cert", indicators.KindUpload, strings.NewReader(testBundle)); !errors.Is(err, authz.ErrForbidden) {
			t.Fatalf("triager importing: %v", err)
		}
		if _, err := e.s.ImportSTIX(ctx, analyst, "", indicators.KindUpload, strings.NewReader(testBundle)); err == nil {
			t.Fatal("an empty source name was accepted")
		}
	})
}

func TestImportMalformed(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, indicators.Options{})
		ctx := context.Background()
		for _, in := range []string{"", "not json", "[1,2,3]", `{"type":"report"}`, "\x00\xff"} {
			_, err := e.s.ImportSTIX(ctx, analyst, "x", indicators.KindUpload, strings.NewReader(in))
			var me *indicators.MalformedError
			if !errors.As(err, &me) || me.Msg == "" {
				t.Errorf("%q: %v, want a MalformedError", in, err)
			}
		}
		// A bundle that breaks off keeps what came before.
		broken := strings.TrimSuffix(bundle(indicator(idC2, "2026-02-01T00:00:00.000Z", "[ipv4-addr:value = '198.51.100.7']", "")), "]}") + `, {"type": "indic`
		res, err := e.s.ImportSTIX(ctx, analyst, "x", indicators.KindUpload, strings.NewReader(broken))
		if err != nil || res.Imported != 1 || len(res.Errors) != 1 {
			t.Fatalf("broken bundle: %+v %v", res, err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM intel_indicators`); n != 1 {
			t.Fatalf("%d rows", n)
		}
	})
}

func TestImportMISPAndLists(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, indicators.Options{})
		ctx := context.Background()
		f, err := os.Open("../intel/misp/testdata/feed/5e3b8f1a-1c2d-4e5f-9a0b-1c2d3e4f5a6b.json")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		res, err := e.s.ImportFile(ctx, analyst, "cert-ex", indicators.FormatMISP, f)
		if err != nil || res.Imported == 0 {
			t.Fatalf("misp: %+v %v", res, err)
		}
		page, _ := e.s.Indicators(ctx, root, indicators.Filter{Source: "cert-ex", Type: "domain"})
		if len(page.Items) != 1 || page.Items[0].Value != "login-secure.example" || page.Items[0].TLP != "amber" ||
			!strings.HasPrefix(page.Items[0].STIXID, "indicator--") {
			t.Fatalf("misp domain: %+v", page.Items)
		}
		res, err = e.s.ImportFile(ctx, analyst, "blocklist", indicators.FormatFreetext, strings.NewReader("# bad hosts\n203.0.113.50\nhxxp://evil[.]example/a\nnot a thing\n"))
		if err != nil || res.Imported != 2 {
			t.Fatalf("freetext: %+v %v", res, err)
		}
		if got := indicators.SniffFormat([]byte(testBundle)); got != indicators.FormatSTIX {
			t.Errorf("sniff bundle: %s", got)
		}
		if got := indicators.SniffFormat([]byte("# x\n1.2.3.4,evil\n")); got != indicators.FormatCSV {
			t.Errorf("sniff csv: %s", got)
		}
		if got := indicators.SniffFormat([]byte(`{"Event":{}}`)); got != indicators.FormatMISP {
			t.Errorf("sniff misp: %s", got)
		}
	})
}

func TestAddRetireAndTLP(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, indicators.Options{})
		ctx := context.Background()
		conf := 90
		red, err := e.s.Add(ctx, analyst, indicators.NewIndicator{Type: "domain", Value: "Secret-C2.example.", Name: "shared in confidence", Confidence: &conf, TLP: "TLP:RED"})
		if err != nil {
			t.Fatal(err)
		}
		if red.Value != "secret-c2.example" || red.Source != "manual" || red.TLP != "red" || !red.Active {
			t.Fatalf("added %+v", red)
		}
		member := authz.Actor{UserID: "u-m", Role: authz.AgencyMember, AgencyID: e.agencies["MOH"]}
		if _, err := e.s.Indicator(ctx, member, red.ID); !errors.Is(err, authz.ErrNotFound) {
			t.Fatalf("an agency member reading a TLP:RED indicator: %v", err)
		}
		if page, _ := e.s.Indicators(ctx, member, indicators.Filter{}); len(page.Items) != 0 {
			t.Fatalf("an agency member lists %+v", page.Items)
		}
		if _, err := e.s.Add(ctx, analyst, indicators.NewIndicator{Type: "ip", Value: "999.1.1.1"}); err == nil {
			t.Fatal("a bad address was added")
		} else if _, ok := validate.As(err); !ok {
			t.Fatalf("bad address: %v", err)
		}
		retired, err := e.s.Retire(ctx, analyst, red.ID)
		if err != nil || retired.Active {
			t.Fatalf("retire: %+v %v", retired, err)
		}
		active := true
		if page, _ := e.s.Indicators(ctx, analyst, indicators.Filter{Active: &active}); len(page.Items) != 0 {
			t.Fatalf("active after retiring: %+v", page.Items)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM audit_log WHERE code IN ($1, $2)`, indicators.Added.ID, indicators.Retired.ID); n != 2 {
			t.Fatalf("%d audit entries", n)
		}
	})
}

// TestMatchingAtIntake: events in the log that mention an active
// indicator raise ioc alerts for the event's agency, grouped like other
// alerts; an indicator imported later is matched within seconds.
func TestMatchingAtIntake(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, indicators.Options{})
		ctx := context.Background()
		if _, err := e.s.ImportSTIX(ctx, analyst, "cert", indicators.KindUpload, strings.NewReader(testBundle)); err != nil {
			t.Fatal(err)
		}
		l := e.run(t)
		publish(t, l, "MOH",
			event("MOH", "ws1", `{"EventID":3,"DestinationIp":"198.51.100.7"}`),
			event("MOH", "ws1", `{"EventID":3,"DestinationIp":"198.51.100.7","n":2}`),
			event("MOH", "ws2", `{"EventID":22,"QueryName":"mail.login-secure.example"}`),
			event("MOH", "ws3", `{"EventID":1,"Hashes":"SHA256=908B64B1971A979C7E3E8CE4621945CBA84854CB98D76367B791A6E22B5F6D53,IMPHASH=00"}`),
			event("MOH", "ws4", `{"EventID":22,"QueryName":"notlogin-secure.example"}`))
		publish(t, l, "MOE", event("MOE", "pc9", `{"message":"connect to 198.51.100.7:443"}`))
		type row struct {
			rule, agency, host string
			events             int
		}
		alerts := func() map[row]bool {
			page, err := e.det.ListAlerts(ctx, root, detect.AlertFilter{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			out := map[row]bool{}
			for _, a := range page.Items {
				if a.Kind != "ioc" {
					t.Fatalf("alert of kind %q", a.Kind)
				}
				out[row{a.RuleID, a.Agency, a.Group["host"], int(a.EventCount)}] = true
			}
			return out
		}
		want := []row{{idC2, "MOH", "ws1", 2}, {idPhish, "MOH", "ws2", 1}, {idDropper, "MOH", "ws3", 1}, {idC2, "MOE", "pc9", 1}}
		waitUntil(t, "the ioc alerts", func() bool { return len(alerts()) == len(want) })
		got := alerts()
		if page, _ := e.det.ListAlerts(ctx, root, detect.AlertFilter{RuleID: idC2, Limit: 1}); len(page.Items) != 1 ||
			page.Items[0].RuleTitle != "Indicator match: C2 server" || page.Items[0].Level != "high" {
			t.Fatalf("the C2 alert: %+v", page.Items)
		}
		for _, w := range want {
			if !got[w] {
				t.Errorf("no alert %+v; have %+v", w, got)
			}
		}
		page, _ := e.s.Indicators(ctx, root, indicators.Filter{STIXID: idC2})
		if page.Items[0].Hits != 3 || page.Items[0].LastHitAt == nil {
			t.Fatalf("hits of the C2 indicator: %+v", page.Items[0])
		}
		moeMember := authz.Actor{UserID: "u-moe", Role: authz.AgencyMember, AgencyID: e.agencies["MOE"]}
		mine, _ := e.det.ListAlerts(ctx, moeMember, detect.AlertFilter{})
		if len(mine.Items) != 1 || mine.Items[0].Agency != "MOE" {
			t.Fatalf("MOE sees %+v", mine.Items)
		}

		// A new indicator is matched once its import is seen.
		if _, err := e.s.ImportSTIX(ctx, analyst, "cert", indicators.KindUpload, strings.NewReader(bundle(
			indicator("indicator--b1000000-0000-4000-8000-0000000000ff", "2026-02-01T00:00:00.000Z", "[email-addr:value = 'boss@ev1l.example']", "")))); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "the reload", func() bool { st, _ := e.s.Loaded(); return st.Indicators == 5 })
		publish(t, l, "MOH", event("MOH", "mx1", `{"from":"Boss <BOSS@ev1l.example>"}`))
		waitUntil(t, "the email alert", func() bool { return len(alerts()) == 5 })
	})
}

// TestRetroHunt hunts an indicator, and an observable, over events stored
// before either was known.
func TestRetroHunt(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, indicators.Options{NodeID: "n1"})
		ctx := context.Background()
		l := e.run(t)
		before := time.Now().Add(-time.Minute)
		publish(t, l, "MOH", event("MOH", "old1", `{"DestinationIp":"198.51.100.7"}`), event("MOH", "old2", `{"q":"a.b.login-secure.example"}`))
		publish(t, l, "MOE", event("MOE", "old3", `{"DestinationIp":"198.51.100.7"}`))
		waitUntil(t, "the events to be read", func() bool { return e.s.Matched() == 3 })
		if _, err := e.s.ImportSTIX(ctx, analyst, "cert", indicators.KindUpload, strings.NewReader(testBundle)); err != nil {
			t.Fatal(err)
		}
		page, _ := e.s.Indicators(ctx, root, indicators.Filter{STIXID: idC2})
		h, err := e.s.CreateHunt(ctx, analyst, indicators.NewHunt{IndicatorID: page.Items[0].ID, From: before})
		if err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "the hunt", func() bool { h, _ = e.s.Hunt(ctx, analyst, h.ID); return h.Status == indicators.HuntDone })
		if h.EventsScanned != 3 || h.Matches != 2 || h.RuleID != idC2 {
			t.Fatalf("hunt %+v", h)
		}
		retro, _ := e.det.ListAlerts(ctx, root, detect.AlertFilter{HuntID: h.ID})
		if len(retro.Items) != 2 || retro.Items[0].Kind != "ioc" || !retro.Items[0].Retro {
			t.Fatalf("retro alerts %+v", retro.Items)
		}
		// An agency member hunts an observable in their own agency's events.
		member := authz.Actor{UserID: "u-m", Role: authz.AgencyMember, AgencyID: e.agencies["MOH"]}
		h2, err := e.s.CreateHunt(ctx, member, indicators.NewHunt{Type: "domain", Value: "LOGIN-secure.example", From: before})
		if err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "the observable hunt", func() bool { h2, _ = e.s.Hunt(ctx, member, h2.ID); return h2.Status == indicators.HuntDone })
		if h2.EventsScanned != 2 || h2.Matches != 1 || h2.RuleID != "observable:domain:login-secure.example" || h2.AgencyID != e.agencies["MOH"] {
			t.Fatalf("observable hunt %+v", h2)
		}
		if _, err := e.s.Hunt(ctx, member, h.ID); !errors.Is(err, authz.ErrNotFound) {
			t.Fatalf("member reading an all-agency hunt: %v", err)
		}
		if _, err := e.s.CreateHunt(ctx, analyst, indicators.NewHunt{Type: "ip", Value: "nope", From: before}); err == nil {
			t.Fatal("a bad observable was hunted")
		}
	})
}
