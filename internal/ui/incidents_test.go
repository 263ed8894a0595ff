package ui_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/id"
)

// alert stores an alert of agency key ("A" or "B") as detection makes one.
func (e *env) alert(t testing.TB, key, level, title, host string) string {
	t.Helper()
	aid := id.New()
	now := time.Now().Add(-time.Hour).UnixMilli()
	rank := map[string]int{"low": 1, "medium": 2, "high": 3, "critical": 4}[level]
	err := e.app.DB.Tx(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO alerts (id, rule_id, rule_title, level, level_rank, tags, agency_id, agency, kind, hunt_id, group_key,
			group_fields, status, first_seen, last_seen, event_count, created_at, updated_at)
			VALUES ($1,$2,$3,$4,$5,'["attack.t1078"]',$6,$7,'detection','',$8,$8,'open',$9,$9,2,$9,$9)`,
			aid, "rule-"+title, title, level, rank, e.agency[key].ID, e.agency[key].Code, fmt.Sprintf(`{"host":%q}`, host), now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return aid
}

var incidentURL = regexp.MustCompile(`^/incidents/([0-9a-z]{26})$`)

// TestIncidentPages works an incident through the pages: from two alerts
// picked in the alert queue, moved, with a note, task, observable,
// evidence, review and follow-up; an agency's member sees its part; a
// member of another agency gets not found.
func TestIncidentPages(t *testing.T) {
	e := newEnv(t, false)
	a1 := e.alert(t, "A", "high", "Suspicious logon", "ws01")
	a2 := e.alert(t, "B", "critical", "Credential dumping", "pc77")
	an := e.signIn(t, "analyst")

	lone := e.alert(t, "A", "medium", "Lone alert", "ws09")
	mustContain(t, "alert page", an.get("/alerts/"+lone).body, `id="create-incident"`, `name="alert" value="`+lone+`"`)
	list := an.get("/alerts")
	mustContain(t, "alert queue", list.body, `action="/incidents/new"`, `name="alert" value="`+a1+`"`, "Open an incident from the selected alerts")
	form := an.get("/incidents/new?alert=" + a1 + "&alert=" + a2)
	mustContain(t, "new incident form", form.body, "From 2 alerts", "Suspicious logon", "Credential dumping", `value="critical" selected`,
		`id="ag-MOH" name="agencies" value="MOH" checked`)
	bad := an.post("/incidents", url.Values{"title": {""}, "severity": {"high"}, "category": {"phishing"}, "alert_ids": {a1}})
	if bad.status != http.StatusBadRequest {
		t.Fatalf("empty title answered %d", bad.status)
	}
	mustContain(t, "refused form", bad.body, `href="#title"`, "Title is required", "Suspicious logon")
	res := an.post("/incidents", url.Values{"title": {"Credential theft"}, "severity": {"critical"}, "category": {"unauthorised-access"},
		"agencies": {"MOH"}, "alert_ids": {a1, a2}, "description": {"Two hosts, **one** account."}})
	m := incidentURL.FindStringSubmatch(res.location)
	if res.status != http.StatusSeeOther || m == nil {
		t.Fatalf("create answered %d → %q", res.status, res.location)
	}
	iid := m[1]
	pg := an.get(res.location)
	mustContain(t, "incident page", pg.body, "<h1>Credential theft</h1>", "Incident opened.", "Suspicious logon", "Credential dumping",
		"<strong>one</strong>", `id="clock-table"`, "running for", "Acknowledge breached", "T1078", "Disable or lock the accounts involved", `aria-current="page">Overview`)

	// Move it; a move back without a note is refused with the reason.
	pg = an.follow("/incidents/"+iid+"/status", url.Values{"status": {"contained"}})
	mustContain(t, "after containing", pg.body, "Status: Contained.", `class="tag status-contained"`)
	back := an.post("/incidents/"+iid+"/status", url.Values{"status": {"analysing"}})
	if back.status != http.StatusConflict {
		t.Fatalf("going back without a note answered %d", back.status)
	}
	mustContain(t, "refused move", back.body, `href="#move-status"`, "needs a note")
	an.follow("/incidents/"+iid+"/status", url.Values{"status": {"analysing"}, "note": {"another host found"}})

	// A note with its own time, a task, an observable (twice), a done task.
	an.follow("/incidents/"+iid+"/timeline", url.Values{"at": {time.Now().Add(-3 * time.Hour).UTC().Format("2006-01-02T15:04")}, "text": {"User reported odd MFA prompts"}})
	if r := an.post("/incidents/"+iid+"/timeline", url.Values{"at": {"yesterday"}, "text": {"x"}}); r.status != 400 || !strings.Contains(r.body, `href="#entry-at"`) {
		t.Fatalf("bad entry time: %d", r.status)
	}
	an.follow("/incidents/"+iid+"/tasks", url.Values{"title": {"Reset the account"}, "assignee": {"analyst@example.gov"}})
	an.follow("/incidents/"+iid+"/observables", url.Values{"type": {"account"}, "value": {`CORP\j.tan`}, "tlp": {"amber"}})
	pg = an.follow("/incidents/"+iid+"/observables", url.Values{"type": {"account"}, "value": {`CORP\j.tan`}, "tlp": {"amber"}})
	mustContain(t, "duplicate observable", pg.body, "already on this incident")
	tasks := regexp.MustCompile(`action="/incidents/`+iid+`/tasks/([0-9a-z]{26})"`).FindAllStringSubmatch(pg.body, -1)
	if len(tasks) < 2 {
		t.Fatalf("task forms: %v", tasks)
	}
	pg = an.follow("/incidents/"+iid+"/tasks/"+tasks[0][1], url.Values{"action": {"done"}})
	mustContain(t, "after a task", pg.body, "Task done.", "task-done", "User reported odd MFA prompts", "CORP\\j.tan", "Reset the account")

	// The agencies' members: A sees its alert and a count; B likewise; the
	// alert page links the incident.
	am := e.signIn(t, "a-member")
	pg = am.get("/incidents/" + iid)
	mustContain(t, "MOH member's page", pg.body, "Suspicious logon", "1 alert of other agencies is linked too")
	mustNotContain(t, "MOH member's page", pg.body, "Credential dumping")
	alertPage := am.get("/alerts/" + a1)
	mustContain(t, "alert page", alertPage.body, `href="/incidents/`+iid+`"`)
	other := an.post("/incidents", url.Values{"title": {"MOE only"}, "severity": {"low"}, "category": {"other"}, "agencies": {"MOE"}})
	if am.get(other.location).status != http.StatusNotFound {
		t.Fatal("MOH's member opened MOE's incident")
	}
	queue := am.get("/incidents?status=")
	mustContain(t, "MOH queue", queue.body, "Credential theft")
	mustNotContain(t, "MOH queue", queue.body, "MOE only")

	// Evidence: upload through the form, custody, download with a reason, bundle.
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("description", "sign-in log export")
	mw.WriteField("collected_at", "")
	mw.WriteField("collected_by", "analyst@example.gov")
	fw, _ := mw.CreateFormFile("file", "signins.csv")
	fw.Write([]byte("time,user\n2026-03-01T08:00:00Z,j.tan\n"))
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/incidents/"+iid+"/evidence", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", e.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	up := an.do(req)
	if up.status != http.StatusSeeOther {
		t.Fatalf("upload answered %d: %s", up.status, excerpt(up.body))
	}
	ev := an.get(up.location)
	mustContain(t, "evidence tab", ev.body, "signins.csv", "SHA-256", "Download the case bundle")
	evID := regexp.MustCompile(`action="/evidence/([0-9a-z]{26})/custody"`).FindStringSubmatch(ev.body)
	if evID == nil {
		t.Fatal("no custody form")
	}
	ev = an.follow("/evidence/"+evID[1]+"/custody", url.Values{"action": {"sealed"}, "note": {"bag 3"}})
	mustContain(t, "after custody", ev.body, "Custody entry recorded.", "bag 3")
	if r := an.get("/evidence/" + evID[1] + "/download"); r.status != http.StatusBadRequest {
		t.Fatalf("download without a reason: %d", r.status)
	}
	if r := an.get("/evidence/" + evID[1] + "/download?reason=review"); r.status != 200 || !strings.Contains(r.body, "j.tan") {
		t.Fatalf("download: %d", r.status)
	}
	if r := an.get("/incidents/" + iid + "/bundle.zip"); r.status != 200 || !strings.HasPrefix(r.body, "PK") {
		t.Fatalf("bundle: %d", r.status)
	}

	// Review: completing it needs the first three answers; then close.
	rv := an.post("/incidents/"+iid+"/review", url.Values{"what_happened": {"Phished credentials."}, "action": {"complete"}})
	if rv.status != http.StatusBadRequest || !strings.Contains(rv.body, `href="#impact"`) {
		t.Fatalf("incomplete review: %d", rv.status)
	}
	rvp := an.follow("/incidents/"+iid+"/review", url.Values{"what_happened": {"Phished credentials."}, "impact": {"One mailbox read."},
		"root_cause": {"No phishing-resistant MFA."}, "action": {"complete"}})
	mustContain(t, "review", rvp.body, "Review complete", "Open a follow-up finding")
	rvp = an.follow("/incidents/"+iid+"/review/follow-ups", url.Values{"system_id": {e.system["A"].ID}, "title": {"Enforce FIDO2 for staff"}, "severity": {"high"}})
	mustContain(t, "follow-up", rvp.body, "Follow-up finding opened.", "Enforce FIDO2 for staff")
	pg = an.follow("/incidents/"+iid+"/status", url.Values{"status": {"closed"}})
	mustContain(t, "closed", pg.body, "Status: Closed.")
	if r := an.get("/incidents/" + iid + "/report.md"); r.status != 200 || !strings.Contains(r.body, "# Post-incident report: Credential theft") {
		t.Fatalf("report: %d", r.status)
	}

	// From a finding that shows a compromise.
	fid := e.finding["A"].ID
	mustContain(t, "finding page", an.get("/findings/"+fid).body, `href="/incidents/new?finding=`+fid+`"`)
	fromF := an.get("/incidents/new?finding=" + fid)
	mustContain(t, "form from a finding", fromF.body, "From 1 finding", `name="finding_ids" value="`+fid+`"`, "Compromise: Stored XSS in MOH search", `value="high" selected`)
	made := an.post("/incidents", url.Values{"title": {"Compromise via stored XSS"}, "severity": {"high"}, "category": {"vulnerability-exploitation"}, "finding_ids": {fid}})
	if made.status != http.StatusSeeOther {
		t.Fatalf("incident from a finding: %d %s", made.status, excerpt(made.body))
	}
	mustContain(t, "incident from a finding", an.get(made.location).body, "Finding linked: Stored XSS in MOH search")

	// Metrics, on call, playbooks.
	mustContain(t, "metrics", an.get("/incidents/metrics").body, "Time to contain by severity", "<svg", "Critical (1)")
	mustContain(t, "on call", an.get("/oncall").body, "Escalation policy", "Nobody: set a rotation")
	admin := e.signIn(t, "admin")
	oc := admin.follow("/oncall/rotations", url.Values{"name": {"Desk"}, "members": {"analyst@example.gov admin@example.gov"}, "time_zone": {"Asia/Singapore"},
		"handover": {"09:00"}, "shift_days": {"7"}, "starts_on": {time.Now().Format("2006-01-02")}})
	mustContain(t, "rotation", oc.body, "Rotation saved.", "analyst@example.gov, admin@example.gov")
	if r := admin.post("/oncall/rotations", url.Values{"name": {"Bad"}, "members": {"member@moh.example.gov"}, "time_zone": {"Mars"}, "handover": {"9"},
		"shift_days": {"0"}, "starts_on": {"soon"}}); r.status != 400 || !strings.Contains(r.body, `href="#rot-time_zone"`) {
		t.Fatalf("bad rotation: %d", r.status)
	}
	pb := admin.follow("/playbooks/phishing/tasks", url.Values{"tasks": {"Pull the mail | 2\nWarn staff"}})
	mustContain(t, "playbook", pb.body, "Playbook saved.", "Pull the mail | 2")
	if r := an.post("/playbooks/phishing/tasks", url.Values{"tasks": {"x"}}); r.status != http.StatusForbidden {
		t.Fatalf("an analyst saved a playbook: %d", r.status)
	}
	if r := am.get("/oncall"); r.status != http.StatusForbidden {
		t.Fatalf("an agency member opened on call: %d", r.status)
	}
}
