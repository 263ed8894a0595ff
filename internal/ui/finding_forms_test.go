package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/findings"
)

func TestFindingCreateForm(t *testing.T) {
	e := newEnv(t, false)
	c := e.signIn(t, "a-member")
	sysA := e.system["A"]
	form := url.Values{"system_id": {sysA.ID}, "title": {"Open redirect on /login"}, "severity": {"critical"}, "source": {"scan"},
		"source_ref": {"ZAP-1234"}, "description": {"Steps:\n\n1. Visit `/login?next=//evil.example`\n\n<script>alert(1)</script> [x](javascript:alert(1))"},
		"cvss_vector": {"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N"}, "cvss_score": {"5.4"}, "cwe": {"CWE-601"}}
	res := c.post("/findings", form)
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.location, "/findings/") {
		t.Fatalf("create answered %d to %q:\n%s", res.status, res.location, excerpt(res.body))
	}
	page := c.get(res.location)
	mustContain(t, "new finding", page.body, "Finding recorded.", "Open redirect on /login", "sev-critical", "ZAP-1234", "CWE-601",
		"5.4", "<ol>", "<code>/login?next=//evil.example</code>", "Recorded the finding")
	// The description is Markdown from a person: rendered, never raw HTML.
	mustNotContain(t, "new finding", page.body, "<script>alert(1)</script>")
	f, err := e.app.Findings.Get(context.Background(), root, strings.TrimPrefix(res.location, "/findings/"))
	if err != nil {
		t.Fatal(err)
	}
	if f.DueAt == nil || f.DueAt.Sub(f.CreatedAt) != 14*24*time.Hour || *f.CWE != 601 || *f.CVSSScore != 5.4 {
		t.Errorf("stored finding: due %v created %v cwe %v score %v", f.DueAt, f.CreatedAt, *f.CWE, *f.CVSSScore)
	}

	tests := []struct {
		name   string
		change url.Values
		want   []string
	}{
		{"no title", url.Values{"title": {""}}, []string{`<a href="#title">Title is required</a>`}},
		{"no source", url.Values{"source": {""}}, []string{`href="#source"`, "must be one of vdp"}},
		{"score not a number", url.Values{"cvss_score": {"high"}}, []string{`<a href="#cvss_score">CVSS score must be a number such as 7.5</a>`, `value="high"`}},
		{"score NaN", url.Values{"cvss_score": {"NaN"}}, []string{`href="#cvss_score"`}},
		{"score out of range", url.Values{"cvss_score": {"11"}}, []string{"CVSS score must be between 0.0 and 10.0"}},
		{"bad vector", url.Values{"cvss_vector": {"AV:N"}}, []string{`href="#cvss_vector"`}},
		{"bad cwe", url.Values{"cwe": {"XSS"}}, []string{`href="#cwe"`}},
		{"another agency's system", url.Values{"system_id": {e.system["B"].ID}}, []string{`<a href="#system_id">System: no such system</a>`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t
			f := url.Values{}
			for k, v := range form {
				f[k] = v
			}
			for k, v := range tt.change {
				f[k] = v
			}
			res := c.post("/findings", f)
			if res.status != http.StatusBadRequest {
				t.Fatalf("answered %d, want 400:\n%s", res.status, excerpt(res.body))
			}
			mustContain(t, tt.name, res.body, append(tt.want, "There is a problem", "Steps:")...)
		})
	}
}

func TestFindingPageForms(t *testing.T) {
	e := newEnv(t, false)
	ctx := context.Background()
	fA := e.finding["A"]
	path := "/findings/" + fA.ID
	member := e.signIn(t, "a-member")

	t.Run("comment", func(t *testing.T) {
		member.t = t
		page := member.follow(path+"/comments", url.Values{"body": {"Fixed in **release 4.2**, <b>please</b> verify."}})
		mustContain(t, "after comment", page.body, "Comment added.", "<strong>release 4.2</strong>", "member@moh.example.gov", "Added a comment")
		mustNotContain(t, "after comment", page.body, "<b>please</b>")
		res := member.post(path+"/comments", url.Values{"body": {"   "}})
		if res.status != http.StatusBadRequest {
			t.Fatalf("empty comment answered %d", res.status)
		}
		mustContain(t, "empty comment", res.body, `<a href="#comment-body">Comment is required</a>`, `id="comment-body-error"`)
	})

	t.Run("status", func(t *testing.T) {
		member.t = t
		page := member.get(path)
		mustContain(t, "status form", page.body, `<option value="in-progress"`, `<option value="duplicate"`)
		mustNotContain(t, "status form", page.body, `<option value="risk-accepted"`)
		page = member.follow(path+"/status", url.Values{"status": {"in-progress"}, "reason": {"Vendor engaged"}})
		mustContain(t, "after status", page.body, "Status changed to In progress.", "Changed the status",
			"<del>Open</del>", "<ins>In progress</ins>", "Reason: Vendor engaged", "status-in-progress")
		// A transition the finding cannot make, and a duplicate of nothing.
		res := member.post(path+"/status", url.Values{"status": {"risk-accepted"}})
		mustContain(t, "bad transition", res.body, `href="#status-status"`, "cannot go from in-progress to risk-accepted")
		res = member.post(path+"/status", url.Values{"status": {"duplicate"}, "duplicate_of": {"nothing-like-it"}})
		if res.status != http.StatusBadRequest {
			t.Fatalf("duplicate of nothing answered %d", res.status)
		}
		mustContain(t, "bad duplicate", res.body, `href="#status-duplicate_of"`, "no such finding in this agency", `value="nothing-like-it"`)
		// Duplicate of another finding of the agency works.
		other, err := e.app.Findings.Create(ctx, root, findings.NewFinding{SystemID: e.system["A"].ID, Source: "scan", Title: "Same XSS", Severity: "high"})
		if err != nil {
			t.Fatal(err)
		}
		page = member.follow("/findings/"+other.ID+"/status", url.Values{"status": {"duplicate"}, "duplicate_of": {fA.ID}})
		mustContain(t, "duplicate", page.body, "Status changed to Duplicate.", `href="/findings/`+fA.ID+`"`)
	})

	t.Run("severity", func(t *testing.T) {
		member.t = t
		res := member.post(path+"/severity", url.Values{"severity": {"critical"}})
		if res.status != http.StatusBadRequest {
			t.Fatalf("severity without reason answered %d", res.status)
		}
		mustContain(t, "no reason", res.body, `href="#severity-reason"`, `<option value="critical" selected>`)
		page := member.follow(path+"/severity", url.Values{"severity": {"critical"}, "reason": {"Exploited in the wild"}})
		mustContain(t, "after severity", page.body, "Severity changed to Critical", "Changed the severity", "<del>High</del>", "<ins>Critical</ins>",
			"Reason: Exploited in the wild")
		f, _ := e.app.Findings.Get(ctx, root, fA.ID)
		// Found 40 days ago with a 14-day deadline: overdue, shown in words.
		if !f.Overdue {
			t.Fatalf("finding not overdue after becoming critical: due %v", f.DueAt)
		}
		mustContain(t, "overdue finding", page.body, "tag-overdue", "<strong>overdue</strong>")
		list := member.get("/findings?overdue=yes")
		mustContain(t, "overdue list", list.body, "Stored XSS in MOH search", `class="is-overdue"`, ">Overdue<")
	})

	t.Run("risk acceptance", func(t *testing.T) {
		member.t = t
		res := member.post(path+"/risk", url.Values{"reason": {"Compensating WAF rule"}, "expires_at": {"next month"}})
		mustContain(t, "bad date", res.body, `href="#risk-expires_at"`, `value="next month"`, "Compensating WAF rule")
		tooLate := time.Now().AddDate(2, 0, 0).Format(time.DateOnly)
		res = member.post(path+"/risk", url.Values{"reason": {"Compensating WAF rule"}, "expires_at": {tooLate}})
		mustContain(t, "too late", res.body, `href="#risk-expires_at"`, "at most a year ahead")
		until := time.Now().AddDate(0, 3, 0).Format(time.DateOnly)
		page := member.follow(path+"/risk", url.Values{"reason": {"Compensating WAF rule"}, "expires_at": {until}})
		mustContain(t, "after request", page.body, "Risk acceptance requested", "Requested by member@moh.example.gov, awaiting approval",
			"Asked for the risk to be accepted")
		mustNotContain(t, "after request", page.body, "Decide on the risk acceptance", "Ask to accept the risk")

		// The requester's admin colleague decides; a member cannot.
		if res := member.post(path+"/risk/decision", url.Values{"decision": {"approve"}}); res.status != http.StatusForbidden {
			t.Errorf("member approving answered %d, want 403", res.status)
		}
		admin := e.signIn(t, "a-admin")
		page = admin.get(path)
		mustContain(t, "approver view", page.body, "Decide on the risk acceptance", "member@moh.example.gov asks")
		page = admin.follow(path+"/risk/decision", url.Values{"decision": {"approve"}, "note": {"Until the vendor patch"}})
		mustContain(t, "after approval", page.body, "Risk acceptance approved", "status-risk-accepted", "Approved by admin@moh.example.gov",
			"Approved the risk acceptance", "Reason: Until the vendor patch")
	})

	t.Run("the requester cannot approve their own request", func(t *testing.T) {
		admin := e.signIn(t, "a-admin")
		f, err := e.app.Findings.Create(ctx, root, findings.NewFinding{SystemID: e.system["A"].ID, Source: "vdp", Title: "Weak TLS", Severity: "low"})
		if err != nil {
			t.Fatal(err)
		}
		p := "/findings/" + f.ID
		admin.follow(p+"/risk", url.Values{"reason": {"Legacy clients"}, "expires_at": {time.Now().AddDate(0, 1, 0).Format(time.DateOnly)}})
		page := admin.get(p)
		mustNotContain(t, "own request", page.body, "Decide on the risk acceptance")
		res := admin.post(p+"/risk/decision", url.Values{"decision": {"approve"}})
		if res.status != http.StatusConflict {
			t.Fatalf("self-approval answered %d, want 409", res.status)
		}
		mustContain(t, "self-approval", res.body, "There is a problem", "must be approved by someone other than who requested it")
		page = e.signIn(t, "a-admin2").follow(p+"/risk/decision", url.Values{"decision": {"reject"}})
		mustContain(t, "rejected", page.body, "Risk acceptance rejected.", "Rejected the risk acceptance", "Ask to accept the risk")
	})
}
