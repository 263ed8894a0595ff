package disclosure_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/disclosure"
	"github.com/kubu-gov/kubu/internal/mail"
	"github.com/kubu-gov/kubu/internal/mail/mailtest"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
	"github.com/kubu-gov/kubu/internal/validate"
)

// TestProgrammeAccess: invite-only programmes are invisible until the
// researcher is invited; editions take reports only while they run;
// anonymous reporters reach only public programmes.
func TestProgrammeAccess(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		slug, kind, name, access := "vrp", "vrp", "Vulnerability Rewards Programme", "invite"
		vrp, err := e.svc.CreateProgramme(e.ctx, e.admin, disclosure.ProgrammeInput{Slug: &slug, Kind: &kind, Name: &name, Access: &access,
			RewardTable: &disclosure.RewardTable{Currency: "USD", Amounts: map[string]int{"critical": 5000, "low": 250}, ExceptionalCap: 150000}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.CreateProgramme(e.ctx, e.triager, disclosure.ProgrammeInput{Slug: &slug}); !errors.Is(err, authz.ErrForbidden) {
			t.Fatalf("triager creating a programme: %v", err)
		}
		if _, err := e.svc.Programme(e.ctx, e.alice, vrp.ID); !errors.Is(err, authz.ErrNotFound) {
			t.Fatalf("uninvited researcher sees an invite-only programme: %v", err)
		}
		if _, err := e.svc.Submit(e.ctx, e.alice, disclosure.NewReport{Programme: "vrp", Title: "x", Description: "y"}); err == nil {
			t.Fatal("uninvited researcher submitted")
		}
		if _, err := e.svc.Submit(e.ctx, authz.Anonymous, disclosure.NewReport{Programme: "vrp", Title: "x", Description: "y"}); err == nil {
			t.Fatal("anonymous submission to the VRP")
		}
		if err := e.svc.Invite(e.ctx, e.triager, vrp.ID, "ALICE"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Programme(e.ctx, e.alice, vrp.ID); err != nil {
			t.Fatalf("invited researcher: %v", err)
		}
		if len(e.mail.To("alice@example.com")) < 2 {
			t.Fatal("no invitation email")
		}
		list, _ := e.svc.ListProgrammes(e.ctx, e.bob)
		for _, p := range list {
			if p.ID == vrp.ID {
				t.Fatal("bob lists the invite-only programme")
			}
		}
		if list, _ := e.svc.ListProgrammes(e.ctx, authz.Anonymous); len(list) != 1 || list[0].Slug != "vdp" {
			t.Fatalf("anonymous programme list: %+v", list)
		}
		// An edition that has ended takes no reports.
		ended, ek, en, start, end := "gbbp-1", "bounty", "GBBP 1", time.Now().Add(-60*24*time.Hour), time.Now().Add(-30*24*time.Hour)
		if _, err := e.svc.CreateProgramme(e.ctx, e.admin, disclosure.ProgrammeInput{Slug: &ended, Kind: &ek, Name: &en, StartsAt: &start, EndsAt: &end}); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Submit(e.ctx, e.alice, disclosure.NewReport{Programme: ended, Title: "late", Description: "late"})
		if v, ok := validate.As(err); !ok || !strings.Contains(v.Error(), "not taking reports") {
			t.Fatalf("submission to an ended edition: %v", err)
		}
		if _, err := e.svc.CreateProgramme(e.ctx, e.admin, disclosure.ProgrammeInput{Slug: &ended, Kind: &ek, Name: &en}); err == nil {
			t.Fatal("a bounty without dates (and a duplicate slug) was accepted")
		}
		// Leaderboard.
		rc := e.submit(t, e.alice, disclosure.NewReport{Programme: "vrp", SystemID: e.sysA.ID, Title: "RCE", Description: "Shell.", Severity: "critical"})
		e.move(t, rc.TrackingID, "accepted")
		spam := e.submit(t, e.alice, disclosure.NewReport{Programme: "vrp", Title: "spam", Description: "buy now"})
		e.move(t, spam.TrackingID, "spam")
		board, err := e.svc.Leaderboard(e.ctx, e.alice, vrp.ID)
		if err != nil || len(board) != 1 || board[0].Handle != "alice" || board[0].Reputation != 30 || board[0].Valid != 1 {
			t.Fatalf("leaderboard: %+v %v", board, err)
		}
		prof, _ := e.svc.Profile(e.ctx, e.alice)
		if prof.Reputation != 30 || !prof.Verified {
			t.Fatalf("profile: %+v", prof)
		}
		if _, err := e.svc.Profile(e.ctx, e.triager); !errors.Is(err, authz.ErrForbidden) {
			t.Fatalf("staff profile: %v", err)
		}
		bio := "Web and mobile."
		if p, err := e.svc.UpdateProfile(e.ctx, e.alice, disclosure.ProfileUpdate{Bio: &bio}); err != nil || p.Bio != bio {
			t.Fatalf("update profile: %+v %v", p, err)
		}
		taken := "bob"
		if _, err := e.svc.UpdateProfile(e.ctx, e.alice, disclosure.ProfileUpdate{Handle: &taken}); !errors.Is(err, validate.ErrConflict) {
			t.Fatalf("taking bob's handle: %v", err)
		}
	})
}

// TestRegistration: registering takes an address and a handle; the
// account has no password until the emailed link is opened, where the
// password is chosen; a registered address gets a notice (with a reset
// link), not a second account; links work once. (Expiry, timing and the
// same-work rule are tested in accounts.)
func TestRegistration(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		in := disclosure.Registration{Email: "Carol@Example.com", Handle: "carol"}
		if err := e.svc.Register(e.ctx, in); err != nil {
			t.Fatal(err)
		}
		for _, guess := range []string{"", researcherPassword, "a long enough passphrase!"} {
			if _, err := e.acc.Login(e.ctx, "carol@example.com", guess, "192.0.2.1"); err == nil {
				t.Fatalf("an unverified account signed in with %q", guess)
			}
		}
		if err := e.svc.Register(e.ctx, disclosure.Registration{Email: "alice@example.com", Handle: "alice2"}); err != nil {
			t.Fatalf("registering a known address must look the same: %v", err)
		}
		msgs := e.mail.To("alice@example.com")
		if last := msgs[len(msgs)-1]; !strings.Contains(last.Subject, "already have") || !strings.Contains(last.Body, "/password/reset?token=") {
			t.Fatalf("known address told %q: %q", last.Subject, last.Body)
		}
		if err := e.svc.Register(e.ctx, disclosure.Registration{Email: "dave@example.com", Handle: "Carol"}); !errors.Is(err, validate.ErrConflict) {
			t.Fatalf("taken handle: %v", err)
		}
		if _, err := e.svc.Verify(e.ctx, "not-a-token", researcherPassword); !errors.Is(err, disclosure.ErrBadVerification) {
			t.Fatalf("bad token: %v", err)
		}
		m := tokenRe.FindStringSubmatch(e.mail.To("carol@example.com")[0].Body)
		if _, err := e.svc.Verify(e.ctx, m[1], "short"); err == nil || errors.Is(err, disclosure.ErrBadVerification) {
			t.Fatalf("a too short password: %v", err)
		}
		rs, err := e.svc.Verify(e.ctx, m[1], researcherPassword)
		if err != nil {
			t.Fatal(err)
		}
		if !rs.Verified || rs.Handle != "carol" {
			t.Fatalf("profile after verification: %+v", rs)
		}
		if _, err := e.svc.Verify(e.ctx, m[1], "another long passphrase"); !errors.Is(err, disclosure.ErrBadVerification) {
			t.Fatalf("link used twice: %v", err)
		}
		if _, err := e.acc.Login(e.ctx, "carol@example.com", researcherPassword, "198.51.100.7"); err != nil { // not the guesser's address
			t.Fatalf("verified account cannot sign in: %v", err)
		}
	})
}

// TestAdminMadeResearcherHasProfile: a researcher account made by an
// administrator (or the demo, or `kubu user add`) has a verified address
// and a profile, so it can submit and see its dashboard.
func TestAdminMadeResearcherHasProfile(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		u, err := e.acc.CreateUser(e.ctx, root, accounts.NewUser{Email: "carol.o'neil+x@example.com", Role: authz.Researcher, Password: researcherPassword})
		if err != nil {
			t.Fatal(err)
		}
		rs, err := e.svc.Profile(e.ctx, u.Actor())
		if err != nil || !rs.Verified || rs.Handle != "caroloneilx" {
			t.Fatalf("profile of an admin-made researcher: %+v %v", rs, err)
		}
		if _, err := e.acc.CreateUser(e.ctx, root, accounts.NewUser{Email: "alice@elsewhere.example", Role: authz.Researcher, Password: researcherPassword}); err != nil {
			t.Fatal(err)
		}
		u3, _ := e.acc.UserByEmail(e.ctx, "alice@elsewhere.example")
		if rs, err := e.svc.Profile(e.ctx, u3.Actor()); err != nil || rs.Handle != "alice-2" {
			t.Fatalf("a taken handle is not reused: %+v %v", rs, err)
		}
		e.submit(t, u.Actor(), disclosure.NewReport{Programme: disclosure.VDPSlug, Title: "Open redirect", Description: "On /go."})
	})
}

// TestRegistrationOverSMTP sends the verification email through a real
// SMTP server (mailpit) and follows the link it carries.
func TestRegistrationOverSMTP(t *testing.T) {
	sink := mailtest.Start(t)
	db := storetest.Open(t, store.SQLite)
	e := setup(t, db)
	q := mail.NewQueue(&mail.SMTP{Addr: sink.SMTPAddr, From: "kubu@example.gov"}, nil, 10)
	defer q.Close()
	acc := accounts.New(db, e.log, e.reg, ringFor(), accounts.Options{Mail: q, PublicURL: "https://kubu.example.gov"})
	svc := disclosure.New(db, e.log, e.reg, e.fs, ringFor(), disclosure.Options{PublicURL: "https://kubu.example.gov", Mail: q, Accounts: acc})
	if err := svc.Register(e.ctx, disclosure.Registration{Email: "erin@example.com", Handle: "erin"}); err != nil {
		t.Fatal(err)
	}
	m := sink.WaitFor(t, "erin@example.com", "Verify your email")
	tok := tokenRe.FindStringSubmatch(m.Text)
	if tok == nil || !strings.Contains(m.Text, "https://kubu.example.gov/researchers/verify?token=") {
		t.Fatalf("verification mail: %q", m.Text)
	}
	if _, err := svc.Verify(e.ctx, tok[1], researcherPassword); err != nil {
		t.Fatal(err)
	}
}

// TestAttachments: allowed types by content, refused HTML/SVG, encrypted
// at rest, limits.
func TestAttachments(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte("secret-pixels "), 50)...)
		rc := e.submit(t, authz.Anonymous, disclosure.NewReport{Title: "Leak", Description: "See screenshot.",
			Uploads: []disclosure.Upload{{Filename: "../../shot <1>.png", Data: png}, {Filename: "poc.txt", Data: []byte("curl -v https://x\n")}}})
		r, err := e.svc.PublicReport(e.ctx, rc.TrackingID, rc.Token)
		if err != nil || len(r.Attachments) != 2 {
			t.Fatalf("attachments: %+v %v", r.Attachments, err)
		}
		at := r.Attachments[0]
		if at.Filename == "poc.txt" {
			at = r.Attachments[1]
		}
		if at.ContentType != "image/png" || at.Filename != "shot__1_.png" || at.Size != int64(len(png)) {
			t.Fatalf("attachment: %+v", at)
		}
		var sealed []byte
		db.R().QueryRowContext(e.ctx, `SELECT sealed FROM report_attachments WHERE id = $1`, at.ID).Scan(&sealed)
		if len(sealed) == 0 || bytes.Contains(sealed, []byte("secret-pixels")) {
			t.Fatal("attachment stored in clear")
		}
		_, data, err := e.svc.PublicAttachment(e.ctx, rc.TrackingID, rc.Token, at.ID)
		if err != nil || !bytes.Equal(data, png) {
			t.Fatalf("download: %v", err)
		}
		if _, _, err := e.svc.PublicAttachment(e.ctx, rc.TrackingID, "vdp_wrong", at.ID); !errors.Is(err, authz.ErrNotFound) {
			t.Fatalf("download with a wrong token: %v", err)
		}
		if _, _, err := e.svc.Attachment(e.ctx, e.alice, rc.TrackingID, at.ID); !errors.Is(err, authz.ErrNotFound) {
			t.Fatalf("researcher downloading another's attachment: %v", err)
		}
		if _, _, err := e.svc.Attachment(e.ctx, e.triager, rc.TrackingID, at.ID); err != nil {
			t.Fatal(err)
		}
		for name, data := range map[string][]byte{
			"html":  []byte("<!DOCTYPE html><script>alert(1)</script>"),
			"svg":   []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`),
			"exe":   append([]byte("MZ\x90\x00"), make([]byte, 64)...),
			"empty": {},
		} {
			_, err := e.svc.Submit(e.ctx, authz.Anonymous, disclosure.NewReport{Title: "x", Description: "y", Uploads: []disclosure.Upload{{Filename: name + ".png", Data: data}}})
			if _, ok := validate.As(err); !ok {
				t.Errorf("%s upload: %v, want refused", name, err)
			}
		}
		big := disclosure.Upload{Filename: "big.txt", Data: bytes.Repeat([]byte("a"), disclosure.MaxAttachment+1)}
		if _, err := e.svc.Submit(e.ctx, authz.Anonymous, disclosure.NewReport{Title: "x", Description: "y", Uploads: []disclosure.Upload{big}}); err == nil {
			t.Error("oversized upload accepted")
		}
		many := make([]disclosure.Upload, disclosure.MaxUploads+1)
		for i := range many {
			many[i] = disclosure.Upload{Filename: "a.txt", Data: []byte("a")}
		}
		if _, err := e.svc.Submit(e.ctx, authz.Anonymous, disclosure.NewReport{Title: "x", Description: "y", Uploads: many}); err == nil {
			t.Error("too many uploads accepted")
		}
	})
}

// TestMetrics counts by status, medians and the 90-day backlog, for staff,
// an agency (its own reports only) and the public.
func TestMetrics(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		a := e.submit(t, authz.Anonymous, disclosure.NewReport{Title: "a", Description: "a", AffectedURL: "https://healthhub.example.sg/a"})
		e.submit(t, authz.Anonymous, disclosure.NewReport{Title: "b", Description: "b", AffectedURL: "https://sls.example.sg/b"})
		e.move(t, a.TrackingID, "triaged")
		m, err := e.svc.Metrics(e.ctx, e.triager, disclosure.MetricsFilter{})
		if err != nil || m.Total != 2 || m.ByStatus["new"] != 1 || m.ByStatus["triaged"] != 1 || m.MedianHours.Triage == nil {
			t.Fatalf("metrics: %+v %v", m, err)
		}
		ma, err := e.svc.Metrics(e.ctx, e.aMember, disclosure.MetricsFilter{})
		if err != nil || ma.Total != 1 {
			t.Fatalf("agency metrics: %+v %v", ma, err)
		}
		if _, err := e.svc.Metrics(e.ctx, e.aMember, disclosure.MetricsFilter{AgencyID: e.agB.ID}); !errors.Is(err, authz.ErrNotFound) {
			t.Fatalf("agency asking for another agency: %v", err)
		}
		if _, err := e.svc.Metrics(e.ctx, e.alice, disclosure.MetricsFilter{}); !errors.Is(err, authz.ErrForbidden) {
			t.Fatalf("researcher metrics: %v", err)
		}
		later := e.svc.WithClock(func() time.Time { return time.Now().Add(100 * 24 * time.Hour) })
		pm, err := later.PublicStats(e.ctx)
		if err != nil || pm.Total != 2 || pm.OpenOver90Days != 2 {
			t.Fatalf("public stats: %+v %v", pm, err)
		}
	})
}
