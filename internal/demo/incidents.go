package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/kubu-gov/kubu/internal/incident"
	"github.com/kubu-gov/kubu/internal/registry"
)

// seedIncidents opens a handful of incidents over the last two weeks, in
// every stage of the lifecycle: a closed ransomware case with its review
// and a follow-up finding, a contained phishing wave shared by two
// agencies, a recovered defacement, an account takeover being analysed
// (late to be acknowledged) and a new denial of service whose clocks run.
func seedIncidents(ctx context.Context, svc *incident.Service, systems []registry.System, leadID string) error {
	now := time.Now().UTC().Truncate(time.Minute)
	clock := now
	s := svc.WithClock(func() time.Time { return clock })
	sys := func(name string) registry.System {
		for _, x := range systems {
			if x.Name == name {
				return x
			}
		}
		panic("demo: no system " + name)
	}
	type step struct {
		after  time.Duration // after the opening
		status string
		note   string
		entry  string
	}
	type spec struct {
		ago                       time.Duration
		title, severity, category string
		systems                   []string
		description               string
		observables               []incident.NewObservable
		steps                     []step
		review                    *incident.ReviewInput
		followUp                  *incident.NewFollowUp
	}
	str := func(s string) *string { return &s }
	specs := []spec{
		{ago: 13 * 24 * time.Hour, title: "Ransomware on the HealthHub file server", severity: "critical", category: "malware",
			systems: []string{"HealthHub"}, description: "Shared drives on the HealthHub file server were encrypted overnight; a ransom note was left in every folder.",
			observables: []incident.NewObservable{{Type: "sha256", Value: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", TLP: "amber"},
				{Type: "ipv4", Value: "203.0.113.77", TLP: "green"}},
			steps: []step{{10 * time.Minute, "analysing", "", "Helpdesk: staff cannot open files on the S: drive"},
				{3 * time.Hour, "contained", "File server isolated; SMB blocked between subnets", ""},
				{20 * time.Hour, "eradicated", "Malware removed; RDP closed at the firewall", ""},
				{30 * time.Hour, "recovered", "Restored from the 02:00 backup; integrity checked", ""}},
			review: &incident.ReviewInput{WhatHappened: str("An attacker guessed the password of a remote-desktop account without MFA and ran ransomware."),
				Impact: str("Appointments booked offline for a day; no data was taken (egress logs checked)."), RootCause: str("Remote desktop exposed to the internet without multi-factor sign-in."),
				WentWell: str("Backups restored cleanly within the recovery target."), ToChange: str("Close remote desktop to the internet; enforce MFA on every remote access."),
				Complete: func() *bool { b := true; return &b }()},
			followUp: &incident.NewFollowUp{SystemID: "HealthHub", Title: "Remote desktop exposed to the internet without MFA", Severity: "high"}},
		{ago: 2 * 24 * time.Hour, title: "Phishing wave impersonating the payroll office", severity: "high", category: "phishing",
			systems: []string{"HealthHub", "Student Learning Space"}, description: "Staff of two ministries got mail asking them to *confirm their bank details*.",
			observables: []incident.NewObservable{{Type: "domain", Value: "payroll-update.example", TLP: "green"},
				{Type: "email", Value: "hr-payroll@payroll-update.example", TLP: "green"}, {Type: "url", Value: "https://payroll-update.example/login", TLP: "amber"}},
			steps: []step{{25 * time.Minute, "analysing", "", "42 recipients found; 3 entered their password"},
				{5 * time.Hour, "contained", "Sender and links blocked; passwords of the three reset", ""}}},
		{ago: 6 * 24 * time.Hour, title: "Defacement of the Parents Gateway notice board", severity: "medium", category: "web-defacement",
			systems: []string{"Parents Gateway"}, steps: []step{{2 * time.Hour, "analysing", "", ""}, {5 * time.Hour, "contained", "", ""},
				{30 * time.Hour, "recovered", "Site restored; the vulnerable plugin removed", ""}}},
		{ago: 3 * time.Hour, title: "Administrator sign-ins from abroad on the Work Pass Portal", severity: "high", category: "unauthorised-access",
			systems: []string{"Work Pass Portal"}, observables: []incident.NewObservable{{Type: "account", Value: "wp-admin02", TLP: "amber+strict"}},
			steps: []step{{90 * time.Minute, "analysing", "", "Sign-ins from two countries within an hour"}}},
		{ago: 20 * time.Minute, title: "Traffic flood against the e-Passport Application", severity: "critical", category: "denial-of-service",
			systems: []string{"e-Passport Application"}},
	}
	for _, sp := range specs {
		opened := now.Add(-sp.ago)
		clock = opened
		var ids []string
		for _, n := range sp.systems {
			ids = append(ids, sys(n).ID)
		}
		inc, err := s.Create(ctx, operator, incident.NewIncident{Title: sp.title, Severity: sp.severity, Category: sp.category,
			Description: sp.description, SystemIDs: ids, LeadID: leadID})
		if err != nil {
			return fmt.Errorf("demo incident %q: %w", sp.title, err)
		}
		for _, o := range sp.observables {
			if _, err := s.AddObservable(ctx, operator, inc.ID, o); err != nil {
				return err
			}
		}
		for _, st := range sp.steps {
			clock = opened.Add(st.after)
			if st.entry != "" {
				if _, err := s.AddEntry(ctx, operator, inc.ID, incident.NewEntry{Text: st.entry}); err != nil {
					return err
				}
			}
			if _, err := s.ChangeStatus(ctx, operator, inc.ID, incident.StatusChange{Status: st.status, Note: st.note}); err != nil {
				return err
			}
		}
		if sp.review != nil {
			clock = clock.Add(24 * time.Hour)
			if _, err := s.SaveReview(ctx, operator, inc.ID, *sp.review); err != nil {
				return err
			}
		}
		if sp.followUp != nil {
			fu := *sp.followUp
			fu.SystemID = sys(fu.SystemID).ID
			if _, err := s.AddFollowUp(ctx, operator, inc.ID, fu); err != nil {
				return err
			}
			if _, err := s.ChangeStatus(ctx, operator, inc.ID, incident.StatusChange{Status: "closed"}); err != nil {
				return err
			}
		}
	}
	return nil
}
