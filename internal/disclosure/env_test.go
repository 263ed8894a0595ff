package disclosure_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/disclosure"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/keys"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/testkit"
)

type env struct {
	db               *store.DB
	log              *audit.Log
	reg              *registry.Registry
	fs               *findings.Service
	acc              *accounts.Service
	svc              *disclosure.Service
	mail             *testkit.Outbox
	admin, admin2    authz.Actor
	triager          authz.Actor
	aMember, bMember authz.Actor
	alice, bob       authz.Actor // verified researchers
	agA, agB         registry.Agency
	sysA, sysB       registry.System
	ctx              context.Context
}

var root = testkit.Root

func setup(t *testing.T, db *store.DB) *env {
	t.Helper()
	ctx := context.Background()
	w := testkit.New(t, db)
	ring := w.Ring
	e := &env{db: db, ctx: ctx, log: w.Audit, reg: w.Registry, agA: w.MOH, agB: w.MOE, mail: &testkit.Outbox{}}
	e.fs = findings.New(db, e.log, e.reg)
	e.acc = accounts.New(db, e.log, e.reg, ring, accounts.Options{RequireTOTP: true, Mail: e.mail, PublicURL: "https://kubu.example.gov"})
	e.svc = disclosure.New(db, e.log, e.reg, e.fs, ring, disclosure.Options{PublicURL: "https://kubu.example.gov", Mail: e.mail, Accounts: e.acc})
	e.acc.OnCreate(e.svc.ProfileForNewAccount)
	e.sysA = w.System(t, "MOH", "HealthHub", "healthhub.example.sg", "*.api.healthhub.example.sg")
	nameB, hostsB, mobile := "SLS", []string{"sls.example.sg"}, "mobile"
	var err error
	if e.sysB, err = e.reg.CreateSystem(ctx, root, registry.SystemInput{Agency: "MOE", Name: &nameB, Hostnames: &hostsB, AssetType: &mobile}); err != nil {
		t.Fatal(err)
	}
	user := func(email string, role authz.Role, agency string) authz.Actor {
		u, err := e.acc.CreateUser(ctx, root, accounts.NewUser{Email: email, Role: role, Agency: agency, Password: "correct horse battery staple"})
		if err != nil {
			t.Fatal(err)
		}
		return u.Actor()
	}
	e.admin = user("admin@example.gov", authz.WogAdmin, "")
	e.admin2 = user("admin2@example.gov", authz.WogAdmin, "")
	e.triager = user("triager@example.gov", authz.Triager, "")
	e.aMember = user("member@moh.example.gov", authz.AgencyMember, "MOH")
	e.bMember = user("member@moe.example.gov", authz.AgencyMember, "MOE")
	e.alice = e.researcher(t, "alice@example.com", "alice")
	e.bob = e.researcher(t, "bob@example.com", "bob")
	if _, err := e.svc.EnsureVDP(ctx); err != nil {
		t.Fatal(err)
	}
	return e
}

var tokenRe = regexp.MustCompile(`token=([a-z0-9]+)`)

// researcherPassword is the password researchers choose when they verify.
const researcherPassword = "a long enough passphrase"

// researcher registers and verifies a researcher through the real flow,
// reading the verification link from the mail and choosing the password.
func (e *env) researcher(t *testing.T, email, handle string) authz.Actor {
	t.Helper()
	if err := e.svc.Register(e.ctx, disclosure.Registration{Email: email, Handle: handle}); err != nil {
		t.Fatal(err)
	}
	msgs := e.mail.To(email)
	if len(msgs) == 0 {
		t.Fatalf("no verification mail to %s", email)
	}
	m := tokenRe.FindStringSubmatch(msgs[len(msgs)-1].Body)
	if m == nil {
		t.Fatalf("no token in %q", msgs[len(msgs)-1].Body)
	}
	rs, err := e.svc.Verify(e.ctx, m[1], researcherPassword)
	if err != nil {
		t.Fatal(err)
	}
	u, err := e.acc.ActiveUser(e.ctx, rs.UserID)
	if err != nil {
		t.Fatal(err)
	}
	return u.Actor()
}

// bounty creates an open bounty edition running now, with a reward table.
func (e *env) bounty(t *testing.T, table disclosure.RewardTable) disclosure.Programme {
	t.Helper()
	start, end := time.Now().Add(-time.Hour), time.Now().Add(30*24*time.Hour)
	slug, kind, name, access := "gbbp-3", "bounty", "Government Bug Bounty 3", "open"
	p, err := e.svc.CreateProgramme(e.ctx, e.admin, disclosure.ProgrammeInput{Slug: &slug, Kind: &kind, Name: &name, Access: &access,
		StartsAt: &start, EndsAt: &end, SystemIDs: &[]string{e.sysA.ID, e.sysB.ID}, RewardTable: &table,
		Targets: &disclosure.Targets{FirstResponseDays: 2, TriageDays: 5, RewardDays: 14, ResolutionDays: 90}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (e *env) submit(t *testing.T, a authz.Actor, in disclosure.NewReport) disclosure.Receipt {
	t.Helper()
	rc, err := e.svc.Submit(e.ctx, a, in)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	return rc
}

func (e *env) move(t *testing.T, reportID, status string) disclosure.Report {
	t.Helper()
	r, err := e.svc.Transition(e.ctx, e.triager, reportID, disclosure.Transition{Status: status, Reason: "moving to " + status})
	if err != nil {
		t.Fatalf("transition to %s: %v", status, err)
	}
	return r
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func auditFilter(target string) audit.Filter {
	return audit.Filter{AllAgencies: true, TargetType: "report", TargetID: target, Limit: 100}
}

func ringFor() *keys.Ring {
	r, _ := keys.New(bytes.Repeat([]byte{7}, 32))
	return r
}
