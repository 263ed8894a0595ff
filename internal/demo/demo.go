// Package demo seeds a believable government on a fresh kubu (`kubu serve
// --demo`): six agencies, their systems, one user per role, findings of
// every source, severity and status spread over six months, incidents in
// every stage, Sigma rules (the demo's own and, when the SigmaHQ corpus is
// present, some of its rules), a bug bounty and a VRP with reward tables,
// researchers, reports in every status with rewards; once the server
// listens, SendEvents ships events through the real intake so detection
// raises alerts.
package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/detect"
	"github.com/kubu-gov/kubu/internal/disclosure"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/incident"
	"github.com/kubu-gov/kubu/internal/registry"
)

// Deps are the services the demo fills.
type Deps struct {
	Registry *registry.Registry
	Findings *findings.Service
	Accounts *accounts.Service

	Incidents  *incident.Service   // incidents in every stage (nil: none)
	Disclosure *disclosure.Service // programmes, researchers, reports, rewards (nil: none)
	Detect     *detect.Service     // Sigma rules (nil: none); SendEvents raises their alerts
}

var operator = authz.Actor{UserID: "demo", Email: "kubu demo seeder", Role: authz.WogAdmin}

// Credential is a demo account and its one-time password.
type Credential struct {
	Email, Role, Agency, Password string
}

// Seed fills an empty kubu and prints the demo accounts' credentials to out,
// once. It does nothing (seeded=false) when any agency already exists.
func Seed(ctx context.Context, d Deps, out io.Writer, seed uint64) (seeded bool, err error) {
	existing, err := d.Registry.ListAgencies(ctx, operator)
	if err != nil {
		return false, err
	}
	if len(existing) > 0 {
		return false, nil
	}
	rnd := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var systems []registry.System
	for _, as := range agencies {
		if _, err := d.Registry.CreateAgency(ctx, operator, registry.NewAgency{Code: as.code, Name: as.name}); err != nil {
			return false, fmt.Errorf("demo agency %s: %w", as.code, err)
		}
		for _, ss := range as.systems {
			name, desc, asset, crit, class, internet := ss.name, ss.desc, ss.asset, ss.crit, ss.class, ss.internet
			hosts := []string{ss.host + "." + as.domain}
			contacts := []registry.Contact{{Name: "System owner", Email: "owner." + ss.host + "@" + as.domain, Role: "owner"}}
			s, err := d.Registry.CreateSystem(ctx, operator, registry.SystemInput{Agency: as.code, Name: &name, Description: &desc,
				Hostnames: &hosts, AssetType: &asset, Criticality: &crit, InternetFacing: &internet, OwnerContacts: &contacts, DataClassification: &class})
			if err != nil {
				return false, fmt.Errorf("demo system %s: %w", name, err)
			}
			systems = append(systems, s)
		}
	}
	creds, err := seedUsers(ctx, d)
	if err != nil {
		return false, err
	}
	if err := seedFindings(ctx, d, systems, rnd); err != nil {
		return false, err
	}
	if d.Incidents != nil {
		lead, err := d.Accounts.UserByEmail(ctx, "analyst@kubu.gov.example")
		if err != nil {
			return false, err
		}
		if err := seedIncidents(ctx, d.Incidents, systems, lead.ID); err != nil {
			return false, err
		}
	}
	if d.Disclosure != nil {
		if err := seedCommunity(ctx, d, systems); err != nil {
			return false, err
		}
	}
	rules := 0
	if d.Detect != nil {
		if rules, err = seedRules(ctx, d.Detect); err != nil {
			return false, err
		}
	}
	fmt.Fprintf(out, "kubu demo: %d Sigma rules; events follow through intake once the server listens.\n", rules)
	fmt.Fprintln(out, "kubu demo: seeded 6 agencies, "+fmt.Sprint(len(systems))+" systems and their findings.")
	fmt.Fprintln(out, "Demo accounts (passwords are shown this once; staff set up two-factor sign-in at first sign-in):")
	PrintCredentials(out, creds)
	fmt.Fprintln(out, "Lost them? `kubu demo credentials --data DIR` gives the demo accounts new passwords and prints them.")
	return true, nil
}

// Accounts are the demo's accounts, one per role (without passwords).
func Accounts() []Credential {
	return []Credential{
		{Email: "admin@kubu.gov.example", Role: "wog-admin"},
		{Email: "analyst@kubu.gov.example", Role: "analyst"},
		{Email: "triager@kubu.gov.example", Role: "triager"},
		{Email: "admin@health.gov.example", Role: "agency-admin", Agency: "MOH"},
		{Email: "member@health.gov.example", Role: "agency-member", Agency: "MOH"},
		{Email: "researcher@researcher.example", Role: "researcher"},
	}
}

// PrintCredentials writes the table of demo accounts and passwords.
func PrintCredentials(out io.Writer, creds []Credential) {
	for _, c := range creds {
		ag := c.Agency
		if ag == "" {
			ag = "-"
		}
		fmt.Fprintf(out, "  %-15s %-4s %-34s %s\n", c.Role, ag, c.Email, c.Password)
	}
}

// NewPasswords gives every demo account that exists a new random password
// (audited, sessions ended) and returns them: the way to see the demo
// credentials again (`kubu demo credentials`), since only hashes are kept.
func NewPasswords(ctx context.Context, acc *accounts.Service) ([]Credential, error) {
	var out []Credential
	for _, c := range Accounts() {
		u, err := acc.UserByEmail(ctx, c.Email)
		if errors.Is(err, sql.ErrNoRows) || errors.Is(err, authz.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("demo user %s: %w", c.Email, err)
		}
		c.Password = accounts.RandomPassword()
		if err := acc.SetPassword(ctx, operator, u.ID, c.Password); err != nil {
			return nil, fmt.Errorf("demo user %s: %w", c.Email, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("no demo accounts here: start kubu with `kubu serve --demo` on an empty data dir first")
	}
	return out, nil
}

func seedUsers(ctx context.Context, d Deps) ([]Credential, error) {
	specs := Accounts()
	for i := range specs {
		specs[i].Password = accounts.RandomPassword()
		_, err := d.Accounts.CreateUser(ctx, operator, accounts.NewUser{Email: specs[i].Email, Role: authz.Role(specs[i].Role),
			Agency: specs[i].Agency, Password: specs[i].Password})
		if err != nil {
			return nil, fmt.Errorf("demo user %s: %w", specs[i].Email, err)
		}
	}
	return specs, nil
}

// seedFindings records findings over the last 180 days: first one of every
// severity in every status, then a random spread whose status follows its
// age (older findings are mostly fixed, some are overdue).
func seedFindings(ctx context.Context, d Deps, systems []registry.System, rnd *rand.Rand) error {
	now := time.Now().UTC()
	clock := now
	svc := d.Findings.WithClock(func() time.Time { return clock })
	firstOf := map[string]string{} // agency → a finding to mark duplicates of
	add := func(sys registry.System, spec findingSpec, severity, status string, found time.Time) error {
		clock = found
		f, err := svc.Create(ctx, operator, findings.NewFinding{SystemID: sys.ID, Source: spec.source, Title: spec.title,
			Description: spec.desc, Severity: severity, CWE: &spec.cwe, FoundAt: found})
		if err != nil {
			return err
		}
		if firstOf[sys.AgencyID] == "" {
			firstOf[sys.AgencyID] = f.ID
		}
		after := found.Add(time.Duration(2+rnd.IntN(40)) * 24 * time.Hour)
		if after.After(now) {
			after = now.Add(-time.Hour)
		}
		clock = after
		switch status {
		case "open":
			return nil
		case "risk-accepted":
			if _, err := svc.RequestRiskAcceptance(ctx, authz.Actor{UserID: "demo-analyst", Email: "analyst", Role: authz.Analyst}, f.ID,
				"Compensating control in place (WAF rule and monitoring); vendor fix scheduled.", after.Add(120*24*time.Hour)); err != nil {
				return err
			}
			_, err = svc.DecideRiskAcceptance(ctx, operator, f.ID, true, "Accepted until the vendor release.")
			return err
		case "duplicate":
			orig := firstOf[sys.AgencyID]
			if orig == f.ID {
				status = "false-positive"
			} else {
				_, err := svc.Update(ctx, operator, f.ID, findings.Patch{Status: &status, DuplicateOf: &orig, Reason: "Same root cause as an earlier report."})
				return err
			}
		}
		_, err = svc.Update(ctx, operator, f.ID, findings.Patch{Status: &status, Reason: reasonFor(status)})
		return err
	}
	i := 0
	for _, sev := range findings.Severities {
		for _, st := range findings.Statuses {
			sys := systems[i%len(systems)]
			spec := findingsBySource[i%len(findingsBySource)]
			found := now.Add(-time.Duration(20+rnd.IntN(150)) * 24 * time.Hour)
			if err := add(sys, spec, sev, st, found); err != nil {
				return fmt.Errorf("demo finding: %w", err)
			}
			i++
		}
	}
	for _, sys := range systems {
		for range 4 + rnd.IntN(9) {
			spec := findingsBySource[rnd.IntN(len(findingsBySource))]
			age := time.Duration(rnd.IntN(180*24)) * time.Hour
			found := now.Add(-age)
			status := statusForAge(age, rnd)
			if err := add(sys, spec, spec.severity, status, found); err != nil {
				return fmt.Errorf("demo finding: %w", err)
			}
		}
	}
	return nil
}

func statusForAge(age time.Duration, rnd *rand.Rand) string {
	p := rnd.Float64()
	days := age.Hours() / 24
	switch {
	case days < 14:
		return pick(p, []string{"open", "open", "in-progress", "false-positive"})
	case days < 60:
		return pick(p, []string{"open", "in-progress", "fixed", "fixed", "duplicate"})
	default:
		return pick(p, []string{"fixed", "fixed", "fixed", "open", "risk-accepted", "in-progress"})
	}
}

func pick(p float64, opts []string) string { return opts[int(p*float64(len(opts)))%len(opts)] }

func reasonFor(status string) string {
	return map[string]string{
		"in-progress":    "Fix under development.",
		"fixed":          "Fix deployed and verified.",
		"false-positive": "Not exploitable: the input is never rendered.",
	}[status]
}
