package incident_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/incident"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
	"github.com/kubu-gov/kubu/internal/validate"
)

func fields(err error) []string {
	v, _ := validate.As(err)
	var out []string
	for _, f := range v {
		out = append(out, f.Field)
	}
	return out
}

// TestCreateFromAlerts makes an incident from two alerts of two agencies:
// both agencies join it, the clocks start at the earliest alert's first
// event, the playbook's tasks are there, and every link is on the timeline.
func TestCreateFromAlerts(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		a1 := e.alert(t, "MOH", "critical", "Mimikatz", "ws01", start.Add(-2*time.Hour), "attack.t1003.001", "attack.credential_access")
		a2 := e.alert(t, "MOE", "high", "Encoded PowerShell", "ws77", start.Add(-time.Hour), "attack.t1059.001", "attack.execution")
		inc, err := e.svc.Create(ctx, e.analyst, incident.NewIncident{Title: "Ransomware", Severity: "critical", Category: "malware",
			Agencies: []string{"moh"}, AlertIDs: []string{a1, a2}})
		if err != nil {
			t.Fatal(err)
		}
		if inc.Status != "new" || !slices.Equal(inc.Agencies, []string{"MOE", "MOH"}) || len(inc.AlertIDs) != 2 || inc.AlertsHidden != 0 {
			t.Fatalf("created %+v", inc)
		}
		if !inc.Clocks.StartedAt.Equal(start.Add(-2*time.Hour)) || !inc.Clocks.AcknowledgeDue.Equal(start.Add(-2*time.Hour+15*time.Minute)) {
			t.Fatalf("clocks %+v", inc.Clocks)
		}
		tasks, err := e.svc.Tasks(ctx, e.analyst, inc.ID)
		if err != nil || len(tasks) != 6 || tasks[0].Playbook != "malware" || tasks[0].DueAt == nil {
			t.Fatalf("playbook tasks %+v %v", tasks, err)
		}
		tl, err := e.svc.Timeline(ctx, e.analyst, inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]int{}
		for _, x := range tl {
			kinds[x.Kind]++
		}
		if kinds["created"] != 1 || kinds["alert"] != 2 || kinds["task"] != 6 || kinds["change"] != 1 { // MOE joined through its alert
			t.Fatalf("timeline kinds %v: %+v", kinds, tl)
		}
		tech, err := e.svc.Techniques(ctx, e.mohMember, inc.ID)
		if err != nil || !slices.Equal(tech, []string{"T1003.001", "T1059.001"}) {
			t.Fatalf("techniques %v %v", tech, err)
		}

		// Bad input names the fields; a hidden alert reads like a missing one.
		_, err = e.svc.Create(ctx, e.analyst, incident.NewIncident{Title: " ", Severity: "urgent", Category: "aliens"})
		if got := fields(err); !slices.Equal(got, []string{"title", "severity", "category"}) {
			t.Fatalf("validation fields %v (%v)", got, err)
		}
		moeOnly := e.alert(t, "MOE", "low", "Odd login", "ws78", start)
		_, errHidden := e.svc.Create(ctx, e.mohMember, incident.NewIncident{Title: "x", Severity: "low", Category: "other", Agencies: []string{"MOH"}, AlertIDs: []string{moeOnly}})
		_, errMissing := e.svc.Create(ctx, e.mohMember, incident.NewIncident{Title: "x", Severity: "low", Category: "other", Agencies: []string{"MOH"}, AlertIDs: []string{"nope"}})
		if errHidden == nil || strings.ReplaceAll(errHidden.Error(), moeOnly, "ID") != strings.ReplaceAll(errMissing.Error(), "nope", "ID") {
			t.Fatalf("hidden alert %v, missing alert %v", errHidden, errMissing)
		}
		if _, err := e.svc.Create(ctx, e.analyst, incident.NewIncident{Title: "x", Severity: "low", Category: "other"}); !slices.Equal(fields(err), []string{"agencies"}) {
			t.Fatalf("no agency: %v", err)
		}
		if _, err := e.svc.Create(ctx, e.triager, incident.NewIncident{Title: "x", Severity: "low", Category: "other", Agencies: []string{"MOH"}}); !errors.Is(err, authz.ErrForbidden) {
			t.Fatalf("triager creates: %v", err)
		}
	})
}

// TestTenancy: an incident of MOH and MOE shows each agency's member only
// its own linked alerts (the other as a count), and an agency not listed
// gets not-found for the incident, its timeline and its parts.
func TestTenancy(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		mohAl := e.alert(t, "MOH", "high", "MOH only rule", "moh-ws1", start.Add(-time.Hour))
		moeAl := e.alert(t, "MOE", "high", "MOE secret rule", "moe-ws9", start.Add(-time.Hour))
		inc, err := e.svc.Create(ctx, e.analyst, incident.NewIncident{Title: "Shared phishing", Severity: "high", Category: "phishing",
			Agencies: []string{"MOH", "MOE"}, AlertIDs: []string{mohAl, moeAl}, SystemIDs: []string{e.system["MOH"].ID, e.system["MOE"].ID}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AddObservable(ctx, e.moeMember, inc.ID, incident.NewObservable{Type: "domain", Value: "Evil.Example.", TLP: "red"}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			who       authz.Actor
			mine      string
			otherRule string
		}{{e.mohMember, mohAl, "MOE secret rule"}, {e.moeMember, moeAl, "MOH only rule"}} {
			got, err := e.svc.Get(ctx, c.who, inc.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.AlertIDs, []string{c.mine}) || got.AlertsHidden != 1 || len(got.Systems) != 1 || got.SystemsHidden != 1 {
				t.Fatalf("%s sees alerts %v hidden %d systems %v hidden %d", c.who.Email, got.AlertIDs, got.AlertsHidden, got.Systems, got.SystemsHidden)
			}
			al, err := e.svc.Alerts(ctx, c.who, inc.ID)
			if err != nil || len(al.Items) != 1 || al.Items[0].ID != c.mine || al.Hidden != 1 {
				t.Fatalf("%s alerts %+v %v", c.who.Email, al, err)
			}
			tl, err := e.svc.Timeline(ctx, c.who, inc.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range tl {
				if strings.Contains(x.Text, c.otherRule) {
					t.Fatalf("%s sees the other agency's alert on the timeline: %q", c.who.Email, x.Text)
				}
			}
			page, err := e.svc.List(ctx, c.who, incident.Filter{})
			if err != nil || len(page.Items) != 1 || page.Items[0].Alerts != 1 || page.Items[0].AlertsHidden != 1 {
				t.Fatalf("%s queue %+v %v", c.who.Email, page, err)
			}
		}
		// The TLP:RED observable an MOE member added is MOE's and central's only.
		for who, want := range map[*authz.Actor]int{&e.moeMember: 1, &e.mohMember: 0, &e.analyst: 1} {
			obs, err := e.svc.Observables(ctx, *who, inc.ID)
			if err != nil || len(obs) != want {
				t.Fatalf("%s observables %+v %v", who.Email, obs, err)
			}
		}
		an, _ := e.svc.Get(ctx, e.analyst, inc.ID)
		if len(an.AlertIDs) != 2 || an.AlertsHidden != 0 {
			t.Fatalf("analyst sees %+v", an)
		}
		// MOF is not on it: not found, the same as a made-up id.
		for name, f := range map[string]func(string) error{
			"get":      func(id string) error { _, err := e.svc.Get(ctx, e.mofMember, id); return err },
			"timeline": func(id string) error { _, err := e.svc.Timeline(ctx, e.mofMember, id); return err },
			"tasks":    func(id string) error { _, err := e.svc.Tasks(ctx, e.mofMember, id); return err },
			"alerts":   func(id string) error { _, err := e.svc.Alerts(ctx, e.mofMember, id); return err },
			"review":   func(id string) error { _, err := e.svc.Review(ctx, e.mofMember, id); return err },
			"status": func(id string) error {
				_, err := e.svc.ChangeStatus(ctx, e.mofMember, id, incident.StatusChange{Status: "analysing"})
				return err
			},
			"note": func(id string) error {
				_, err := e.svc.AddEntry(ctx, e.mofMember, id, incident.NewEntry{Text: "hi"})
				return err
			},
		} {
			if err := f(inc.ID); !errors.Is(err, authz.ErrNotFound) {
				t.Errorf("%s as MOF: %v, want not found", name, err)
			}
			if err := f("no-such-incident"); !errors.Is(err, authz.ErrNotFound) {
				t.Errorf("%s of a missing incident: %v", name, err)
			}
		}
		if page, err := e.svc.List(ctx, e.mofMember, incident.Filter{}); err != nil || len(page.Items) != 0 {
			t.Fatalf("MOF queue %+v %v", page, err)
		}
		if page, err := e.svc.List(ctx, e.mohMember, incident.Filter{AgencyID: e.agency["MOF"].ID}); err != nil || len(page.Items) != 0 {
			t.Fatalf("MOH asking for MOF's queue %+v %v", page, err)
		}
		if _, err := e.svc.Get(ctx, e.triager, inc.ID); !errors.Is(err, authz.ErrForbidden) {
			t.Fatalf("triager: %v", err)
		}
		if _, err := e.svc.Get(ctx, e.researcher, "no-such-incident"); !errors.Is(err, authz.ErrForbidden) {
			t.Fatalf("researcher: %v", err)
		}
	})
}

// TestCheckTransition is the lifecycle's rule table.
func TestCheckTransition(t *testing.T) {
	for _, c := range []struct {
		from, to, sev, note string
		reviewed            bool
		ok                  bool
	}{
		{"new", "analysing", "low", "", false, true},
		{"new", "contained", "low", "", false, true}, // skipping ahead
		{"new", "closed", "medium", "", false, true},
		{"new", "closed", "high", "", false, false}, // no review
		{"recovered", "closed", "critical", "", false, false},
		{"recovered", "closed", "critical", "", true, true},
		{"contained", "analysing", "low", "", false, false}, // back without a note
		{"contained", "analysing", "low", "  ", false, false},
		{"contained", "analysing", "low", "malware came back", false, true},
		{"closed", "analysing", "high", "reopened: new evidence", false, true},
		{"analysing", "analysing", "low", "again", false, false},
		{"analysing", "done", "low", "", false, false},
	} {
		err := incident.CheckTransition(c.from, c.to, c.sev, c.note, c.reviewed)
		if (err == nil) != c.ok || err != nil && !errors.Is(err, validate.ErrConflict) {
			t.Errorf("%s → %s (%s, note %q, reviewed %v): %v, want ok=%v", c.from, c.to, c.sev, c.note, c.reviewed, err, c.ok)
		}
	}
}

// TestAlertInOneIncident: an alert joins at most one incident, also when
// two requests race for it.
func TestAlertInOneIncident(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		al := e.alert(t, "MOH", "high", "Rule", "h1", start)
		one, err := e.svc.Create(ctx, e.analyst, incident.NewIncident{Title: "One", Severity: "low", Category: "other", AlertIDs: []string{al}})
		if err != nil {
			t.Fatal(err)
		}
		two, err := e.svc.Create(ctx, e.analyst, incident.NewIncident{Title: "Two", Severity: "low", Category: "other", Agencies: []string{"MOH"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.LinkAlerts(ctx, e.analyst, two.ID, []string{al}); !errors.Is(err, validate.ErrConflict) {
			t.Fatalf("second incident took the alert: %v", err)
		}
		if _, err := e.svc.Create(ctx, e.analyst, incident.NewIncident{Title: "Three", Severity: "low", Category: "other", AlertIDs: []string{al}}); !errors.Is(err, validate.ErrConflict) {
			t.Fatalf("a new incident took the alert: %v", err)
		}
		if _, err := e.svc.UnlinkAlert(ctx, e.analyst, one.ID, al); err != nil {
			t.Fatal(err)
		}
		// Now two incidents race for it: exactly one wins.
		free := e.alert(t, "MOH", "high", "Rule 2", "h2", start)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, target := range []string{one.ID, two.ID} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = e.svc.LinkAlerts(ctx, e.analyst, target, []string{free})
			}()
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("racing links: %v / %v, want exactly one to win", errs[0], errs[1])
		}
		for _, err := range errs {
			if err != nil && !errors.Is(err, validate.ErrConflict) {
				t.Fatalf("the loser failed with %v, want a conflict", err)
			}
		}
	})
}

// TestObservables: values are normalised and stored once per incident;
// each shows where else it was seen.
func TestObservables(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		seen := e.alert(t, "MOH", "medium", "Beacon", "10.1.2.3", start)
		a, _ := e.svc.Create(ctx, e.analyst, incident.NewIncident{Title: "A", Severity: "low", Category: "other", Agencies: []string{"MOH"}})
		b, _ := e.svc.Create(ctx, e.analyst, incident.NewIncident{Title: "B", Severity: "low", Category: "other", Agencies: []string{"MOE"}})
		first, err := e.svc.AddObservable(ctx, e.analyst, a.ID, incident.NewObservable{Type: "ipv4", Value: " 10.1.2.3 ", TLP: "GREEN"})
		if err != nil || first.Value != "10.1.2.3" || first.TLP != "green" || first.Duplicate {
			t.Fatalf("add %+v %v", first, err)
		}
		again, err := e.svc.AddObservable(ctx, e.analyst, a.ID, incident.NewObservable{Type: "ipv4", Value: "10.1.2.3", TLP: "amber"})
		if err != nil || !again.Duplicate || again.ID != first.ID {
			t.Fatalf("again %+v %v", again, err)
		}
		if _, err := e.svc.AddObservable(ctx, e.analyst, b.ID, incident.NewObservable{Type: "ipv4", Value: "10.1.2.3"}); err != nil {
			t.Fatal(err)
		}
		obs, err := e.svc.Observables(ctx, e.analyst, a.ID)
		if err != nil || len(obs) != 1 {
			t.Fatalf("observables %+v %v", obs, err)
		}
		s := obs[0].Seen
		if len(s.Incidents) != 1 || s.Incidents[0].ID != b.ID || len(s.Alerts) != 1 || s.Alerts[0].ID != seen {
			t.Fatalf("seen %+v", s)
		}
		// MOH's member sees the alert (MOH's) but not incident B (MOE's).
		obs, _ = e.svc.Observables(ctx, e.mohMember, a.ID)
		if len(obs[0].Seen.Incidents) != 0 || len(obs[0].Seen.Alerts) != 1 {
			t.Fatalf("MOH member sees %+v", obs[0].Seen)
		}
		if _, err := e.svc.AddObservable(ctx, e.analyst, a.ID, incident.NewObservable{Type: "sha256", Value: "abc", TLP: "purple"}); !slices.Equal(fields(err), []string{"tlp", "value"}) {
			t.Fatalf("bad observable: %v", err)
		}
		tl, _ := e.svc.Timeline(ctx, e.analyst, a.ID)
		n := 0
		for _, x := range tl {
			if x.Kind == "observable" {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d observable entries on the timeline, want 1 (the duplicate adds none)", n)
		}
	})
}

func TestNormaliseObservable(t *testing.T) {
	for _, c := range []struct{ typ, in, want string }{
		{"ipv4", "192.0.2.1", "192.0.2.1"},
		{"ipv4", "::ffff:192.0.2.1", "192.0.2.1"},
		{"ipv6", "2001:DB8::0001", "2001:db8::1"},
		{"ipv6", "192.0.2.1", ""},
		{"cidr", "192.0.2.77/24", "192.0.2.0/24"},
		{"cidr", "192.0.2.7/32", "192.0.2.7/32"},
		{"ipv4", "192.0.2.0/24", ""},
		{"domain", "Evil.Example.", "evil.example"},
		{"domain", "*.evil.example", "evil.example"},
		{"domain", "bad domain.example", ""},
		{"url", "HTTPS://Evil.Example/Path?q=1", "https://evil.example/Path?q=1"},
		{"url", "/relative", ""},
		{"email", "Bad.Guy@Evil.Example", "bad.guy@evil.example"},
		{"email", "Bad Guy <b@evil.example>", ""},
		{"md5", "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e"},
		{"sha1", "xyz", ""},
		{"account", `CORP\svc-backup`, `CORP\svc-backup`},
		{"account", "a\x00b", ""},
	} {
		got, err := incident.NormaliseObservable(c.typ, c.in)
		if c.want == "" && err == nil || c.want != "" && got != c.want {
			t.Errorf("NormaliseObservable(%s, %q) = %q, %v; want %q", c.typ, c.in, got, err, c.want)
		}
	}
}

// TestPeople: the lead and assignees must be active users who may work on
// the incident; each change is on the timeline.
func TestPeople(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		inc, err := e.svc.Create(ctx, e.analyst, incident.NewIncident{Title: "x", Severity: "medium", Category: "other", Agencies: []string{"MOH"}, LeadID: e.analyst.UserID})
		if err != nil || inc.Lead != e.analyst.Email {
			t.Fatalf("create with a lead: %+v %v", inc, err)
		}
		up, err := e.svc.Update(ctx, e.analyst, inc.ID, incident.Patch{AssigneeIDs: &[]string{e.mohMember.UserID, e.admin.UserID}, Title: ptr("Renamed")})
		if err != nil || len(up.AssigneeIDs) != 2 || up.Title != "Renamed" {
			t.Fatalf("assign: %+v %v", up, err)
		}
		if _, err := e.svc.Update(ctx, e.analyst, inc.ID, incident.Patch{LeadID: ptr(e.moeMember.UserID)}); !slices.Equal(fields(err), []string{"lead_id"}) {
			t.Fatalf("a MOE member leading MOH's incident: %v", err)
		}
		if _, err := e.svc.Update(ctx, e.analyst, inc.ID, incident.Patch{AssigneeIDs: &[]string{e.triager.UserID}}); !slices.Equal(fields(err), []string{"assignee_ids"}) {
			t.Fatalf("a triager assigned: %v", err)
		}
		task, err := e.svc.AddTask(ctx, e.mohMember, inc.ID, incident.TaskInput{Title: ptr("Call the vendor"), Assignee: ptr("member@moh.example")})
		if err != nil || task.AssigneeID != e.mohMember.UserID {
			t.Fatalf("task by email: %+v %v", task, err)
		}
		up, err = e.svc.Update(ctx, e.analyst, inc.ID, incident.Patch{AssigneeIDs: &[]string{}})
		if err != nil || len(up.AssigneeIDs) != 0 {
			t.Fatalf("unassign all: %+v %v", up, err)
		}
		tl, _ := e.svc.Timeline(ctx, e.analyst, inc.ID)
		var texts []string
		for _, x := range tl {
			if x.Kind == "change" {
				texts = append(texts, x.Text)
			}
		}
		if len(texts) != 5 { // title, 2 assigned, 2 unassigned
			t.Fatalf("change entries %q", texts)
		}
	})
}
