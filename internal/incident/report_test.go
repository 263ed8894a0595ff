package incident_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/incident"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

// reportFixture is a two-agency incident walked to closed, with a review,
// a follow-up finding, tasks, observables and people's entries.
func reportFixture(t *testing.T, e *env) incident.Incident {
	t.Helper()
	ctx := context.Background()
	mohAl := e.alert(t, "MOH", "critical", "Ransom note dropped | fs01", "fs01", start.Add(-30*time.Minute), "attack.t1486", "attack.impact")
	moeAl := e.alert(t, "MOE", "high", "MOE-only beacon rule", "pc9", start.Add(-20*time.Minute))
	inc, err := e.svc.Create(ctx, e.analyst, incident.NewIncident{Title: "Ransomware at the MOH file server", Severity: "critical", Category: "malware",
		Description: "Files on **fs01** were encrypted.\n\n<script>alert(1)</script>", AlertIDs: []string{mohAl, moeAl}, SystemIDs: []string{e.system["MOH"].ID}})
	if err != nil {
		t.Fatal(err)
	}
	steps := []func() error{
		func() error {
			_, err := e.svc.AddEntry(ctx, e.mohMember, inc.ID, incident.NewEntry{At: ptr(start.Add(-25 * time.Minute)), Text: "Helpdesk got calls: files will not open"})
			return err
		},
		func() error {
			_, err := e.svc.AddObservable(ctx, e.analyst, inc.ID, incident.NewObservable{Type: "sha256", Value: strings.Repeat("ab", 32), TLP: "green"})
			return err
		},
		func() error { e.clock.Add(10 * time.Minute); return nil },
		func() error {
			_, err := e.svc.ChangeStatus(ctx, e.analyst, inc.ID, incident.StatusChange{Status: "analysing"})
			return err
		},
		func() error { e.clock.Add(3 * time.Hour); return nil },
		func() error {
			_, err := e.svc.ChangeStatus(ctx, e.analyst, inc.ID, incident.StatusChange{Status: "contained", Note: "fs01 isolated, SMB blocked at the core"})
			return err
		},
		func() error { e.clock.Add(30 * time.Hour); return nil },
		func() error {
			_, err := e.svc.ChangeStatus(ctx, e.analyst, inc.ID, incident.StatusChange{Status: "recovered"})
			return err
		},
		func() error {
			_, err := e.svc.SaveReview(ctx, e.analyst, inc.ID, incident.ReviewInput{WhatHappened: ptr("An RDP account without MFA was used."),
				Impact: ptr("Two days without shared drives."), RootCause: ptr("RDP exposed to the internet."), WentWell: ptr("Backups restored cleanly."),
				ToChange: ptr("Close RDP; enforce MFA."), Complete: ptr(true)})
			return err
		},
		func() error {
			_, err := e.svc.AddFollowUp(ctx, e.analyst, inc.ID, incident.NewFollowUp{SystemID: e.system["MOH"].ID, Title: "RDP open to the internet", Severity: "high"})
			return err
		},
		func() error {
			_, err := e.svc.ChangeStatus(ctx, e.analyst, inc.ID, incident.StatusChange{Status: "closed"})
			return err
		},
	}
	for i, f := range steps {
		if err := f(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	return inc
}

// oneLine collapses whitespace, as text extracted from a PDF wraps.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// TestReportMarkdown: the Markdown report has the facts, the clocks, every
// timeline entry and the review; an agency's report leaves the other
// agency's alert out; an agency not on the incident gets not found.
func TestReportMarkdown(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		inc := reportFixture(t, e)
		md, name, err := e.svc.ReportMarkdown(ctx, e.analyst, inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		text := string(md)
		if name != "incident-"+inc.ID || !strings.HasPrefix(text, "# Post-incident report: Ransomware at the MOH file server\n") {
			t.Fatalf("report %s starts %q", name, text[:80])
		}
		for _, want := range []string{"| Acknowledge | 15 min | 40 min |", "| Contain | 4 h | 3 h 40 min |", "| Recover | 24 h | 33 h 40 min |",
			"Breached: acknowledge, recover.", `Ransom note dropped \| fs01`, "MOE-only beacon rule", "T1486", "### Root cause\n\nRDP exposed to the internet.",
			"| RDP open to the internet | MOH Portal (MOH) | high | open |", "Completed "} {
			if !strings.Contains(text, want) {
				t.Errorf("the report lacks %q:\n%s", want, text)
			}
		}
		tl, _ := e.svc.Timeline(ctx, e.analyst, inc.ID)
		for _, x := range tl {
			if !strings.Contains(text, strings.ReplaceAll(oneLine(x.Text), "|", `\|`)) {
				t.Errorf("the report lacks the timeline entry %q", x.Text)
			}
		}
		mine, _, err := e.svc.ReportMarkdown(ctx, e.mohMember, inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(mine), "MOE-only beacon rule") || !strings.Contains(string(mine), "1 alert(s) of other agencies are linked and not shown") {
			t.Fatalf("MOH's report shows MOE's alert or hides the count:\n%s", mine)
		}
		if _, _, err := e.svc.ReportMarkdown(ctx, e.mofMember, inc.ID); err == nil {
			t.Fatal("MOF read the report")
		}
	})
}

// TestReportPDF prints the report with real headless Chromium and reads
// it back with pdftotext: the title, the clocks and every timeline entry
// are in it.
func TestReportPDF(t *testing.T) {
	need := func(tool, install string) string {
		p, err := exec.LookPath(tool)
		if err != nil {
			if os.Getenv("KUBU_TEST_REQUIRE_SERVICES") != "" {
				t.Fatalf("%s is missing but KUBU_TEST_REQUIRE_SERVICES is set: %s", tool, install)
			}
			t.Skipf("skipping: %s is not installed (%s)", tool, install)
		}
		return p
	}
	need("chromium", "apt-get install chromium")
	pdftotext := need("pdftotext", "apt-get install poppler-utils")
	e := newEnv(t, storetest.Open(t, store.SQLite))
	ctx := context.Background()
	inc := reportFixture(t, e)
	pdf, name, err := e.svc.ReportPDF(ctx, e.analyst, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if name != "incident-"+inc.ID || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %s %q", name, pdf[:min(len(pdf), 16)])
	}
	path := filepath.Join(t.TempDir(), "report.pdf")
	os.WriteFile(path, pdf, 0o600)
	if dump := os.Getenv("KUBU_TEST_DUMP_PDF"); dump != "" {
		os.WriteFile(dump, pdf, 0o644)
	}
	out, err := exec.Command(pdftotext, "-raw", "-enc", "UTF-8", path, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v: %s", err, out)
	}
	text := oneLine(string(out))
	for _, want := range []string{"Post-incident report: Ransomware at the MOH file server", "Clocks", "Acknowledge 15 min 40 min", "Contain 4 h 3 h 40 min",
		"Recover 24 h 33 h 40 min", "Files on fs01 were encrypted.", "RDP exposed to the internet."} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF's text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "alert(1)") && strings.Contains(string(pdf), "<script>") {
		t.Error("the description's script was carried into the PDF")
	}
	tl, _ := e.svc.Timeline(ctx, e.analyst, inc.ID)
	if len(tl) < 20 {
		t.Fatalf("only %d timeline entries in the fixture", len(tl))
	}
	for _, x := range tl {
		if !strings.Contains(text, oneLine(x.Text)) {
			t.Errorf("the PDF lacks the timeline entry %q", x.Text)
		}
	}
}
