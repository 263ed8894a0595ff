package scanning_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/scan"
	"github.com/kubu-gov/kubu/internal/scan/farm"
	"github.com/kubu-gov/kubu/internal/scanning"
	"github.com/kubu-gov/kubu/internal/severity"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
	"github.com/kubu-gov/kubu/internal/testkit"
)

// The farm every test of this package scans (127.82.x.y).
var (
	farmOnce sync.Once
	theFarm  *farm.Farm
	farmErr  error
)

func sharedFarm(t *testing.T) *farm.Farm {
	t.Helper()
	farmOnce.Do(func() { theFarm, farmErr = farm.New(82) })
	if farmErr != nil {
		t.Fatal(farmErr)
	}
	return theFarm
}

func engineOptions(f *farm.Farm) scan.Options {
	return scan.Options{
		Resolver: f.DNS.Addr, Roots: f.Roots(), Intermediates: []*x509.Certificate{f.CA.Intermediate},
		TrustAnchors: f.Anchors(), Ports: scan.Ports{HTTP: f.Ports.HTTP, HTTPS: f.Ports.HTTPS, SMTP: f.Ports.SMTP},
		Timeouts: scan.Timeouts{DNS: 5 * time.Second, Handshake: 15 * time.Second, HTTP: 15 * time.Second, Check: time.Minute}, // loopback, but CI runs many packages at once on 2 cores
	}
}

type env struct {
	db       *store.DB
	log      *audit.Log
	reg      *registry.Registry
	find     *findings.Service
	farm     *farm.Farm
	admin    authz.Actor
	aAdmin   authz.Actor
	aMember  authz.Actor
	bMember  authz.Actor
	analyst  authz.Actor
	agA, agB registry.Agency
}

func setup(t *testing.T, db *store.DB) *env {
	t.Helper()
	w := testkit.New(t, db)
	e := &env{db: db, log: w.Audit, reg: w.Registry, farm: sharedFarm(t), agA: w.MOH, agB: w.MOE}
	e.find = findings.New(db, e.log, e.reg)
	e.admin = authz.Actor{UserID: "u-admin", Email: "admin@example.gov", Role: authz.WogAdmin}
	e.analyst = authz.Actor{UserID: "u-analyst", Email: "analyst@example.gov", Role: authz.Analyst}
	e.aAdmin = authz.Actor{UserID: "u-aadmin", Email: "admin@moh.example.gov", Role: authz.AgencyAdmin, AgencyID: e.agA.ID}
	e.aMember = authz.Actor{UserID: "u-amem", Email: "member@moh.example.gov", Role: authz.AgencyMember, AgencyID: e.agA.ID}
	e.bMember = authz.Actor{UserID: "u-bmem", Email: "member@moe.example.gov", Role: authz.AgencyMember, AgencyID: e.agB.ID}
	return e
}

func (e *env) service(t *testing.T, node string, mod func(*scanning.Options)) *scanning.Service {
	t.Helper()
	o := scanning.Options{Engine: engineOptions(e.farm), Concurrency: 4, NodeID: node, Tick: 50 * time.Millisecond,
		SyncEvery: 100 * time.Millisecond, LeaseTTL: 3 * time.Second}
	if mod != nil {
		mod(&o)
	}
	s := scanning.New(e.db, e.log, e.reg, e.find, o)
	t.Cleanup(s.Close)
	return s
}

// run runs a service's loop until the test ends.
func run(t *testing.T, s *scanning.Service) {
	t.Helper()
	t.Cleanup(start(t, s))
}

// start runs a service's loop until the returned stop is called.
func start(t *testing.T, s *scanning.Service) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
}

func (e *env) system(t *testing.T, a authz.Actor, agency, name string, hosts ...string) registry.System {
	t.Helper()
	sys, err := e.reg.CreateSystem(context.Background(), a, registry.SystemInput{Agency: agency, Name: &name, Hostnames: &hosts})
	if err != nil {
		t.Fatal(err)
	}
	return sys
}

// waitScan waits for a scan to end (the sentinel is its status).
func waitScan(t *testing.T, s *scanning.Service, a authz.Actor, id string) scanning.ScanDetail {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		d, err := s.Get(context.Background(), a, id)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status == "done" || d.Status == "failed" {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("scan %s still %s after 90 s", id, d.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func scanFindings(t *testing.T, e *env, a authz.Actor, systemID string) map[string]findings.Finding {
	t.Helper()
	page, err := e.find.List(context.Background(), a, findings.Filter{SystemID: systemID, Sources: []string{"scan"}, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]findings.Finding{}
	for _, f := range page.Items {
		out[f.SourceRef] = f
	}
	return out
}

// TestScanOpensAndClosesFindings is issue 13's acceptance on both engines:
// a registered system whose site accepts TLS 1.0 gets a scan finding with
// its agency's deadline; the owner fixes the site and a rescan closes it
// (fixed, with the reason) and records the change; another agency never
// sees the scan, its results or the finding.
func TestScanOpensAndClosesFindings(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		if err := e.find.SetPolicy(ctx, e.admin, e.agA.ID, findings.Policy{Critical: 2, High: 5, Medium: 21, Low: 45}); err != nil {
			t.Fatal(err)
		}
		label := "tls10-" + string(db.Engine)
		weak := farm.Good(label)
		weak.HTTPS = &farm.TLSSpec{MinVersion: tls.VersionTLS10, CipherSuites: append([]uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}, farm.AEAD...)}
		st, err := e.farm.Add(weak)
		if err != nil {
			t.Fatal(err)
		}
		sys := e.system(t, e.aAdmin, "MOH", "HealthHub "+string(db.Engine), st.Name, "*.wildcard.example", "10.0.0.1")
		svc := e.service(t, "node-1", nil)

		// Agency members cannot run scans; the other agency cannot see the system.
		if _, _, err := svc.Request(ctx, e.aMember, sys.ID); !errors.Is(err, authz.ErrForbidden) {
			t.Fatalf("member requests a scan: %v, want forbidden", err)
		}
		if _, _, err := svc.Request(ctx, e.bMember, sys.ID); !errors.Is(err, authz.ErrForbidden) {
			t.Fatalf("other agency's member requests a scan: %v, want forbidden (no grant at all)", err)
		}
		bAdmin := authz.Actor{UserID: "u-badmin", Email: "admin@moe.example.gov", Role: authz.AgencyAdmin, AgencyID: e.agB.ID}
		if _, _, err := svc.Request(ctx, bAdmin, sys.ID); !errors.Is(err, authz.ErrNotFound) {
			t.Fatalf("other agency's admin requests a scan: %v, want not found", err)
		}

		first, created, err := svc.Request(ctx, e.aAdmin, sys.ID)
		if err != nil || !created {
			t.Fatalf("request: %v created=%v", err, created)
		}
		if !slices.Equal(first.Hostnames, []string{st.Name}) || first.Kind != "on-demand" {
			t.Fatalf("scan %+v: only the scannable hostname, on demand", first)
		}
		if again, created, err := svc.Request(ctx, e.analyst, sys.ID); err != nil || created || again.ID != first.ID {
			t.Fatalf("a second request while one is queued: %v created=%v id %s, want the first %s", err, created, again.ID, first.ID)
		}
		run(t, svc) // the scheduler does not scan the name again: it waits for this scan
		d := waitScan(t, svc, e.aMember, first.ID)
		if d.Status != "done" || len(d.Results) != 1 || d.Results[0].Name != st.Name {
			t.Fatalf("scan ended %s with %d results", d.Status, len(d.Results))
		}
		r := d.Results[0]
		if r.TLS == nil || !slices.Contains(r.TLS.Weak, "tls1.0") || r.Verdicts == nil || r.Verdicts.InternetNL == nil {
			t.Fatalf("result lacks the facts: %+v", r.TLS)
		}

		fs := scanFindings(t, e, e.aMember, sys.ID)
		f, ok := fs["tls.tls1.0"]
		if !ok {
			t.Fatalf("no tls.tls1.0 finding; scan findings: %v", keysOf(fs))
		}
		if f.Severity != "medium" || f.Status != "open" || f.Source != "scan" || !strings.Contains(f.Title, st.Name) {
			t.Fatalf("finding %+v", f)
		}
		if f.DueAt == nil || !f.DueAt.Equal(f.CreatedAt.AddDate(0, 0, 21)) {
			t.Fatalf("due %v, want created %v + 21 days (MOH's medium deadline)", f.DueAt, f.CreatedAt)
		}
		if _, ok := fs["tls.cbc"]; !ok {
			t.Errorf("no tls.cbc finding: %v", keysOf(fs))
		}

		// The other agency sees none of it.
		if _, err := svc.Get(ctx, e.bMember, first.ID); !errors.Is(err, authz.ErrNotFound) {
			t.Fatalf("other agency reads the scan: %v", err)
		}
		if _, err := e.find.Get(ctx, e.bMember, f.ID); !errors.Is(err, authz.ErrNotFound) {
			t.Fatalf("other agency reads the finding: %v", err)
		}
		if p, err := svc.Results(ctx, e.bMember, scanning.ResultFilter{}); err != nil || len(p.Items) != 0 {
			t.Fatalf("other agency lists results: %d %v", len(p.Items), err)
		}
		if p, err := svc.List(ctx, e.bMember, scanning.ScanFilter{}); err != nil || len(p.Items) != 0 {
			t.Fatalf("other agency lists scans: %d %v", len(p.Items), err)
		}
		if _, err := svc.Names(ctx, e.bMember, sys.ID); !errors.Is(err, authz.ErrNotFound) {
			t.Fatalf("other agency reads the names: %v", err)
		}

		// The name's cadence follows its worst open finding.
		names, err := svc.Names(ctx, e.aMember, sys.ID)
		if err != nil || len(names) != 1 || names[0].Latest == nil {
			t.Fatalf("names %+v %v", names, err)
		}
		if im8 := names[0].Latest.Grades.IM8; im8["st-1"] != "met" || im8["ns-6"] == "" {
			t.Fatalf("IM8 controls of the latest result (for readiness): %v", im8)
		}
		if risk := names[0].Risk; risk != worstOpen(fs) {
			t.Fatalf("risk %q, want the worst open finding %q", risk, worstOpen(fs))
		}

		// The owner fixes the site; a rescan closes the finding.
		if _, err := e.farm.Replace(st, farm.Good(label)); err != nil {
			t.Fatal(err)
		}
		second, created, err := svc.Request(ctx, e.aAdmin, sys.ID)
		if err != nil || !created || second.ID == first.ID {
			t.Fatalf("second request: %v created=%v", err, created)
		}
		d = waitScan(t, svc, e.analyst, second.ID)
		if d.Status != "done" || len(d.Results) != 1 {
			t.Fatalf("rescan %s", d.Status)
		}
		fs = scanFindings(t, e, e.aMember, sys.ID)
		if got := fs["tls.tls1.0"]; got.Status != "fixed" || got.ClosedAt == nil {
			t.Fatalf("after the fix the finding is %+v", got)
		}
		for check, f := range fs {
			if f.Status != "fixed" {
				t.Errorf("finding %s still %s after the site was fixed", check, f.Status)
			}
		}
		hist, err := e.find.History(ctx, e.aMember, f.ID)
		if err != nil || len(hist) == 0 || !strings.Contains(string(hist[0].After), "no longer sees it") || hist[0].ActorLabel != "kubu scanner" {
			t.Fatalf("history %v %v", hist, err)
		}
		if !hasChange(d.Changes[st.Name], "tls1.0 turned off") {
			t.Fatalf("changes %+v", d.Changes[st.Name])
		}
		hist2, err := svc.Results(ctx, e.aMember, scanning.ResultFilter{SystemID: sys.ID, Hostname: st.Name})
		if err != nil || len(hist2.Items) != 2 || hist2.Items[0].ScanID != second.ID || hist2.Items[0].Worst != "clean" {
			t.Fatalf("history of the name: %+v %v", hist2.Items, err)
		}
		// Pages of one walk the same history, newest first, and end.
		p1, err := svc.Results(ctx, e.aMember, scanning.ResultFilter{SystemID: sys.ID, Hostname: st.Name, Limit: 1})
		if err != nil || len(p1.Items) != 1 || p1.Items[0].ID != hist2.Items[0].ID || p1.NextCursor == "" {
			t.Fatalf("first page of one: %+v %v", p1, err)
		}
		p2, err := svc.Results(ctx, e.aMember, scanning.ResultFilter{SystemID: sys.ID, Hostname: st.Name, Limit: 1, Cursor: p1.NextCursor})
		if err != nil || len(p2.Items) != 1 || p2.Items[0].ID != hist2.Items[1].ID || p2.NextCursor != "" {
			t.Fatalf("second page of one: %+v %v", p2, err)
		}
		s1, err := svc.List(ctx, e.aMember, scanning.ScanFilter{SystemID: sys.ID, Limit: 1})
		if err != nil || len(s1.Items) != 1 || s1.Items[0].ID != second.ID || s1.NextCursor == "" {
			t.Fatalf("first page of scans: %+v %v", s1, err)
		}
		s2, err := svc.List(ctx, e.aMember, scanning.ScanFilter{SystemID: sys.ID, Limit: 1, Cursor: s1.NextCursor})
		if err != nil || len(s2.Items) != 1 || s2.Items[0].ID != first.ID {
			t.Fatalf("second page of scans: %+v %v", s2, err)
		}
		if _, err := svc.List(ctx, e.aMember, scanning.ScanFilter{Cursor: "not-a-cursor"}); err == nil {
			t.Fatal("a bad cursor was accepted")
		}
		det, err := svc.Result(ctx, e.aMember, hist2.Items[1].ID)
		if err != nil || det.Result == nil || det.Result.Name != st.Name || det.Disagreements == nil {
			t.Fatalf("result detail %+v %v", det, err)
		}
		if _, err := svc.Result(ctx, e.bMember, hist2.Items[1].ID); !errors.Is(err, authz.ErrNotFound) {
			t.Fatalf("other agency reads a result: %v", err)
		}
		names, _ = svc.Names(ctx, e.aMember, sys.ID)
		if names[0].Risk != "clean" || names[0].NextDueAt == nil {
			t.Fatalf("after the fix: %+v", names[0])
		}
		if due := names[0].NextDueAt.Sub(names[0].Latest.ScannedAt); due < scanning.Clean-time.Minute || due > scanning.Clean+time.Minute {
			t.Fatalf("a clean name is due again after %s, want 7 days", due)
		}

		// The site breaks again: the same finding reopens with a new deadline.
		if _, err := e.farm.Replace(st, weak); err != nil {
			t.Fatal(err)
		}
		third, _, err := svc.Request(ctx, e.analyst, sys.ID)
		if err != nil {
			t.Fatal(err)
		}
		waitScan(t, svc, e.analyst, third.ID)
		re := scanFindings(t, e, e.aMember, sys.ID)["tls.tls1.0"]
		if re.ID != f.ID || re.Status != "open" || re.DueAt == nil || !re.DueAt.After(*f.DueAt) {
			t.Fatalf("reopened %+v (first %+v)", re, f)
		}

		// Grades for posture: MOH has one scanned name; MOE none visible to MOH.
		rep, err := svc.Grades(ctx, e.aMember, "")
		if err != nil || rep.WholeOfGovernment != nil || len(rep.Agencies) != 1 || rep.Agencies[0].Agency != "MOH" ||
			rep.Agencies[0].Scanned != 1 || rep.Agencies[0].Score == nil || rep.Agencies[0].OpenFindings["medium"] == 0 {
			t.Fatalf("grades for MOH: %+v %v", rep, err)
		}
		rep, err = svc.Grades(ctx, e.analyst, "")
		if err != nil || rep.WholeOfGovernment == nil || rep.WholeOfGovernment.Scanned != 1 {
			t.Fatalf("grades for an analyst: %+v %v", rep, err)
		}
		if _, err := svc.Grades(ctx, e.bMember, e.agA.ID); !errors.Is(err, authz.ErrNotFound) {
			t.Fatalf("other agency's grades: %v", err)
		}

		// Every step is in the audit log.
		for _, code := range []audit.Code{scanning.ScanRequested, scanning.ScanResultRecorded, scanning.ScanFinished, audit.FindingCreated, audit.FindingStatusChanged} {
			recs, err := e.log.List(ctx, audit.Filter{AllAgencies: true, Code: code.ID, Limit: 10})
			if err != nil || len(recs) == 0 {
				t.Errorf("no %s (%s) audit entry: %v", code.ID, code.Name, err)
			}
		}
	})
}

func keysOf(m map[string]findings.Finding) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func worstOpen(fs map[string]findings.Finding) string {
	best := 0
	for _, f := range fs {
		if f.Status == "open" && f.Severity != "info" && severity.Rank(f.Severity) > best {
			best = severity.Rank(f.Severity)
		}
	}
	if best == 0 {
		return "clean"
	}
	return findings.Severities[len(findings.Severities)-best]
}

func hasChange(cs []scanning.Change, text string) bool {
	for _, c := range cs {
		if c.Text == text {
			return true
		}
	}
	return false
}
