package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/disclosure"
	"github.com/kubu-gov/kubu/internal/registry"
)

// researchers are the demo's outside reporters besides the demo account:
// they have second factors on, so their rewards can be approved.
var researchers = []string{"mei.tan@researcher.example", "arjun.nair@researcher.example", "sofia.lim@researcher.example"}

// reportSpec is one demo report and the statuses it goes through.
type reportSpec struct {
	programme, system, title, desc, severity, asset string
	cwe                                             int
	path                                            []string
	reward                                          bool
}

// seedCommunity opens a bug bounty and a vulnerability reward programme
// with reward tables, adds researchers, and files reports over the last
// four months that end in every status, with rewards proposed and paid.
// Each step is dated after the one before, so the history, the clocks and
// the "found"/"closed" dates agree.
func seedCommunity(ctx context.Context, d Deps, systems []registry.System) error {
	svc0 := d.Disclosure
	now := time.Now().UTC().Truncate(time.Minute)
	clock := now
	svc := svc0.WithClock(func() time.Time { return clock })
	actor := func(email string) (authz.Actor, error) {
		u, err := d.Accounts.UserByEmail(ctx, email)
		return u.Actor(), err
	}
	admin, err := actor("admin@kubu.gov.example")
	if err != nil {
		return err
	}
	triager, err := actor("triager@kubu.gov.example")
	if err != nil {
		return err
	}
	// A second approver: rewards need two people (the triager proposes,
	// the administrator approves).
	var reporters []authz.Actor
	for _, email := range researchers {
		u, err := d.Accounts.CreateUser(ctx, operator, accounts.NewUser{Email: email, Role: authz.Researcher, Password: accounts.RandomPassword()})
		if err != nil {
			return fmt.Errorf("demo researcher %s: %w", email, err)
		}
		en, err := d.Accounts.BeginTOTP(ctx, u.Actor())
		if err != nil {
			return err
		}
		if err := d.Accounts.ConfirmTOTP(ctx, u.Actor(), accounts.TOTPCode(en.Secret, time.Now())); err != nil {
			return fmt.Errorf("demo researcher %s second factor: %w", email, err)
		}
		reporters = append(reporters, u.Actor())
	}
	demoResearcher, err := actor("researcher@researcher.example")
	if err != nil {
		return err
	}
	reporters = append(reporters, demoResearcher)

	byName := map[string]registry.System{}
	for _, s := range systems {
		byName[s.Name] = s
	}
	ids := func(names ...string) *[]string {
		var out []string
		for _, n := range names {
			out = append(out, byName[n].ID)
		}
		return &out
	}
	start, end := now.Add(-150*24*time.Hour), now.Add(200*24*time.Hour)
	targets := &disclosure.Targets{FirstResponseDays: 2, TriageDays: 5, RewardDays: 14, ResolutionDays: 90}
	programme := func(slug, kind, name, rules string, systems *[]string, table disclosure.RewardTable) error {
		access := "open"
		clock = start
		_, err := svc.CreateProgramme(ctx, admin, disclosure.ProgrammeInput{Slug: &slug, Kind: &kind, Name: &name, Rules: &rules, Access: &access,
			StartsAt: &start, EndsAt: &end, SystemIDs: systems, RewardTable: &table, Targets: targets})
		if err != nil {
			return fmt.Errorf("demo programme %s: %w", slug, err)
		}
		return nil
	}
	if err := programme("gov-bug-bounty", "bounty", "Government Bug Bounty 2026",
		"Find vulnerabilities in the citizen-facing services listed here.\n\n**Rewards** follow the table by severity; mobile apps earn a bonus.\n\nNo denial of service, no social engineering, no access to other citizens' data beyond what proves the issue.",
		ids("HealthHub", "HealthHub API", "Clinic Booking App", "Student Learning Space", "Work Pass Portal", "myTax Portal", "Traveller App"),
		disclosure.RewardTable{Currency: "SGD", Amounts: map[string]int{"critical": 15000, "high": 5000, "medium": 1500, "low": 250},
			Bonuses: []disclosure.Bonus{{AssetType: "mobile", Amount: 500}}, ExceptionalCap: 150000}); err != nil {
		return err
	}
	if err := programme("gov-vrp", "vrp", "Vulnerability Reward Programme",
		"Invited researchers test systems behind the portal. Report through this programme only.",
		ids("Payments Gateway", "e-Filing API", "Road Tax Renewal", "e-Passport Application"),
		disclosure.RewardTable{Currency: "SGD", Amounts: map[string]int{"critical": 10000, "high": 3000, "medium": 1000, "low": 150}}); err != nil {
		return err
	}

	specs := []reportSpec{
		{"gov-bug-bounty", "HealthHub", "Stored XSS in appointment notes", "The note field is rendered unescaped to clinic staff.\n\nProof: `<img src=x onerror=alert(document.domain)>`", "high", "web", 79, []string{"triaged", "accepted", "resolved", "closed"}, true},
		{"gov-bug-bounty", "HealthHub API", "IDOR on /api/prescriptions/{id}", "Any signed-in citizen reads any prescription by changing the id.", "critical", "api", 639, []string{"triaged", "accepted", "resolved"}, true},
		{"gov-bug-bounty", "Clinic Booking App", "Session token in Android shared preferences", "The token is readable on rooted phones.", "medium", "mobile", 312, []string{"triaged", "accepted"}, true},
		{"gov-bug-bounty", "Work Pass Portal", "Password reset token does not expire", "A reset link from March still works.", "high", "web", 640, []string{"triaged", "accepted", "resolved", "retest"}, false},
		{"gov-bug-bounty", "Student Learning Space", "Open redirect on /logout", "`/logout?next=https://evil.example` leaves the site.", "low", "web", 601, []string{"triaged"}, false},
		{"gov-bug-bounty", "myTax Portal", "Missing rate limit on NRIC lookup", "The lookup answers thousands of requests a minute.", "medium", "web", 307, []string{"needs-more-info"}, false},
		{"gov-bug-bounty", "HealthHub", "XSS in appointment notes (again)", "Same field as an earlier report.", "high", "web", 79, []string{"duplicate"}, false},
		{"gov-bug-bounty", "Traveller App", "App shows the server's version in a header", "`X-Powered-By: Express 4.17`.", "low", "mobile", 200, []string{"informative"}, false},
		{"gov-bug-bounty", "Student Learning Space", "Clickjacking on the public home page", "The marketing page can be framed.", "low", "web", 1021, []string{"not-applicable"}, false},
		{"gov-bug-bounty", "myTax Portal", "FREE BITCOIN click here", "Buy now.", "low", "web", 0, []string{"spam"}, false},
		{"gov-vrp", "Payments Gateway", "Amount tampering in card payment callback", "The callback trusts the amount from the browser.", "critical", "web", 345, []string{"triaged", "accepted", "resolved", "closed"}, true},
		{"gov-vrp", "e-Filing API", "Verbose errors expose stack traces", "Malformed XML returns the full stack trace.", "low", "api", 209, []string{"triaged", "accepted"}, true},
		{"gov-vrp", "Road Tax Renewal", "Vehicle owner's name disclosed by plate lookup", "", "medium", "web", 200, nil, false},
		{"gov-vrp", "e-Passport Application", "CSRF on collection appointment change", "The change form has no CSRF token.", "medium", "web", 352, []string{"triaged", "accepted", "resolved"}, false},
	}
	first := map[string]string{} // system → its first report, for duplicates
	for i, sp := range specs {
		sys := byName[sp.system]
		clock = now.Add(-time.Duration(120-i*8) * 24 * time.Hour)
		desc := sp.desc
		if desc == "" {
			desc = "Entering a plate number shows the registered owner's full name."
		}
		in := disclosure.NewReport{Programme: sp.programme, SystemID: sys.ID, Title: sp.title, Description: desc, Severity: sp.severity,
			AssetType: sp.asset, AffectedURL: "https://" + sys.Hostnames[0] + "/"}
		if sp.cwe > 0 {
			in.CWE = &sp.cwe
		}
		rc, err := svc.Submit(ctx, reporters[i%len(reporters)], in)
		if err != nil {
			return fmt.Errorf("demo report %q: %w", sp.title, err)
		}
		if first[sp.system] == "" {
			first[sp.system] = rc.TrackingID
		}
		for _, st := range sp.path {
			clock = clock.Add(time.Duration(2+i%5) * 24 * time.Hour)
			t := disclosure.Transition{Status: st, Reason: reasonForReport(st)}
			if st == "duplicate" {
				t.DuplicateOf = first[sp.system]
			}
			if _, err := svc.Transition(ctx, triager, rc.TrackingID, t); err != nil {
				return fmt.Errorf("demo report %q to %s: %w", sp.title, st, err)
			}
			if st == "accepted" && sp.reward {
				clock = clock.Add(24 * time.Hour)
				rw, err := svc.ProposeReward(ctx, triager, rc.TrackingID, disclosure.RewardProposal{Reason: "Valid " + sp.severity + " under the table."})
				if err != nil {
					return fmt.Errorf("demo reward for %q: %w", sp.title, err)
				}
				if len(sp.path) > 2 { // older ones are paid; the newest waits for approval
					clock = clock.Add(2 * 24 * time.Hour)
					if _, err := svc.DecideReward(ctx, admin, rw.ID, true, "Approved."); err != nil {
						return fmt.Errorf("demo reward approval for %q: %w", sp.title, err)
					}
				}
			}
		}
	}
	return nil
}

func reasonForReport(status string) string {
	return map[string]string{
		"needs-more-info": "Please send the exact request and the account you used.",
		"triaged":         "Reproduced; passing to the system owner.",
		"accepted":        "Valid and in scope. A finding has been opened for the agency.",
		"resolved":        "The agency deployed a fix.",
		"retest":          "Please confirm the fix.",
		"closed":          "Fix confirmed. Thank you.",
		"duplicate":       "Reported earlier by another researcher.",
		"informative":     "Known and accepted; no security impact.",
		"not-applicable":  "Out of scope: the page holds no session.",
		"spam":            "Not a report.",
	}[status]
}
