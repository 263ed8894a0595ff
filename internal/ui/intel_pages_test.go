package ui_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/contain"
	"github.com/kubu-gov/kubu/internal/indicators"
)

// TestContainmentQueue requests, previews, approves (by another person)
// and revokes from the queue page; an agency's people see their agency's
// actions only and cannot request.
func TestContainmentQueue(t *testing.T) {
	e := newEnv(t, false)
	analyst, admin := e.signIn(t, "analyst"), e.signIn(t, "admin")
	mustContain(t, "empty queue", analyst.get("/containment").body, "Nothing waits for approval", "No block is active", "Request a containment action")

	res := analyst.post("/containment", url.Values{"type": {"domain"}, "value": {"Evil.Example"}, "ttl": {"24h"}, "reason": {"phishing"}, "dry_run": {"1"}})
	if res.status != http.StatusOK {
		t.Fatalf("dry run: %d %s", res.status, excerpt(res.body))
	}
	mustContain(t, "dry run", res.body, "Dry run: nothing was changed", "edl/domain.txt", "rpz", "evil.example")
	if page, _ := e.app.Contain.List(context.Background(), root, contain.Filter{}); len(page.Items) != 0 {
		t.Fatal("the dry run stored an action")
	}
	res = analyst.post("/containment", url.Values{"type": {"ip"}, "value": {"127.0.0.1"}, "ttl": {"1h"}, "reason": {"x"}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("loopback: %d", res.status)
	}
	mustContain(t, "refusal", res.body, "There is a problem", "refused", "loopback")
	res = analyst.post("/containment", url.Values{"type": {"ip"}, "value": {"203.0.113.7"}, "ttl": {"1h"}, "reason": {""}})
	if res.status != http.StatusBadRequest {
		t.Fatalf("no reason: %d", res.status)
	}
	mustContain(t, "bad input", res.body, "Reason is required")

	body := analyst.follow("/containment", url.Values{"type": {"ip"}, "value": {"203.0.113.7"}, "ttl": {"24h"}, "reason": {"<script>C2</script>"}}).body
	mustContain(t, "requested", body, "waits for a second person", "203.0.113.7", "&lt;script&gt;C2&lt;/script&gt;", "Withdraw")
	mustNotContain(t, "requested", body, "<script>C2", "Approve ip 203.0.113.7")
	page, _ := e.app.Contain.List(context.Background(), root, contain.Filter{})
	id := page.Items[0].ID
	body = analyst.follow("/containment/"+id+"/approve", nil).body
	mustContain(t, "self-approval", body, "A second person must approve")
	body = admin.get("/containment").body
	mustContain(t, "admin's queue", body, "Approve ip 203.0.113.7")
	body = admin.follow("/containment/"+id+"/approve", nil).body
	mustContain(t, "approved", body, "Approved: ip 203.0.113.7 is active", "Expiring soon", "Revoke ip 203.0.113.7")

	mohAdmin := e.signIn(t, "a-admin")
	mohAdmin.follow("/containment", url.Values{"type": {"url"}, "value": {"https://phish.example/login"}, "ttl": {"2h"}, "reason": {"kit"}})
	mustContain(t, "MOH member", e.signIn(t, "a-member").get("/containment").body, "https://phish.example/login")
	mustNotContain(t, "MOH member", e.signIn(t, "a-member").get("/containment").body, "203.0.113.7", "Request a containment action")
	mustNotContain(t, "MOE member", e.signIn(t, "b-member").get("/containment").body, "phish.example")
	if res := e.signIn(t, "triager").get("/containment"); res.status != http.StatusForbidden {
		t.Fatalf("triager: %d", res.status)
	}
	body = analyst.follow("/containment/"+id+"/revoke", nil).body
	mustContain(t, "revoked", body, "Revoked: ip 203.0.113.7", "Recently ended")
}

// TestIntelPages imports a bundle from the page, lists indicators with
// their hits, retires one and starts a hunt with one click.
func TestIntelPages(t *testing.T) {
	e := newEnv(t, false)
	analyst := e.signIn(t, "analyst")
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("source", "national-cert")
	fw, _ := mw.CreateFormFile("bundle", "bundle.json")
	fw.Write([]byte(`{"type":"bundle","id":"bundle--1","objects":[` +
		`{"type":"indicator","spec_version":"2.1","id":"indicator--c1000000-0000-4000-8000-000000000001","created":"2026-01-01T00:00:00Z","modified":"2026-01-01T00:00:00Z","name":"C2 <b>server</b>","pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","confidence":80},` +
		`{"type":"indicator","spec_version":"2.1","id":"indicator--c1000000-0000-4000-8000-000000000002","created":"2026-01-01T00:00:00Z","modified":"2026-01-01T00:00:00Z","pattern":"[process:name = 'x.exe']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}]}`))
	mw.Close()
	req, _ := http.NewRequest("POST", e.srv.URL+"/intel/import", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", e.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res := analyst.do(req)
	if res.status != http.StatusOK {
		t.Fatalf("import: %d %s", res.status, excerpt(res.body))
	}
	mustContain(t, "import", res.body, "Imported 1 indicators; 1 skipped", "process:name", "198.51.100.7", "C2 &lt;b&gt;server&lt;/b&gt;", "national-cert")

	member := e.signIn(t, "a-member")
	body := member.get("/intel").body
	mustContain(t, "member's intel", body, "198.51.100.7", "Hunt 198.51.100.7")
	mustNotContain(t, "member's intel", body, "Import a STIX", "Retire")
	if res := e.signIn(t, "researcher").get("/intel"); res.status != http.StatusForbidden {
		t.Fatalf("researcher: %d", res.status)
	}
	page, _ := e.app.Intel.Indicators(context.Background(), root, indicatorsFilter())
	id := page.Items[0].ID
	res = member.post("/intel/hunts", url.Values{"indicator_id": {id}})
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.location, "/intel/hunts/") {
		t.Fatalf("one-click hunt: %d %s", res.status, excerpt(res.body))
	}
	mustContain(t, "hunt page", member.get(res.location).body, "Retro-hunt: C2 &lt;b&gt;server&lt;/b&gt;", "198.51.100.7")
	res = member.post("/intel/hunts", url.Values{"type": {"ip"}, "value": {"not-an-ip"}})
	if res.status != http.StatusBadRequest {
		t.Fatalf("bad observable: %d", res.status)
	}
	body = analyst.follow("/intel/indicators/"+id+"/retire", nil).body
	mustContain(t, "retired", body, "Retired: ip 198.51.100.7", "Inactive")
}

func indicatorsFilter() indicators.Filter { return indicators.Filter{} }
