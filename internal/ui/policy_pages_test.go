package ui_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/corpus"
	"github.com/kubu-gov/kubu/internal/policy"
)

// TestPolicyPages: a wog-admin uploads the IM8 catalogue from the page; staff
// browse it by family with statements, guidance and parameters; an agency
// admin records a manual control and asks for a deviation on the plan page,
// where automatic controls are read-only with their explanation; a central
// approver approves it on the deviations page; what the agency wrote is
// escaped; another agency gets 404.
func TestPolicyPages(t *testing.T) {
	e := newEnv(t, false)
	dir := corpus.Path(t, "im8")
	admin := e.signIn(t, "admin")

	raw, err := os.ReadFile(filepath.Join(dir, "im8-reform.json"))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("kind", "catalog")
	fw, _ := mw.CreateFormFile("document", "im8-reform.json")
	fw.Write(raw)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/policies", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", e.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	up := admin.do(req)
	if up.status != http.StatusSeeOther || !strings.HasPrefix(up.location, "/policies/catalog/") {
		t.Fatalf("upload: %d %s %s", up.status, up.location, excerpt(up.body))
	}
	ctx := context.Background()
	for _, name := range policy.DefaultProfiles {
		body, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.app.Policy.LoadProfile(ctx, root, name, body); err != nil {
			t.Fatal(err)
		}
	}
	member := e.signIn(t, "a-member")
	res := member.get("/policies")
	mustContain(t, "GET /policies", res.body, "Instruction Manual 8 Reform", "Low-Risk - Level 2", "Default mapping")
	mustNotContain(t, "GET /policies as a member", res.body, `action="/policies"`)
	res = member.get(up.location)
	mustContain(t, "GET "+up.location, res.body, `id="family-st"`, "Vulnerability Management", "[Assignment: time period (days)]", "st-5_prm_1", "Evidenced by kubu", "Guidance")

	sys := e.system["A"]
	aadmin := e.signIn(t, "a-admin")
	res = aadmin.get("/systems/" + sys.ID + "/plan")
	if res.status != 200 {
		t.Fatalf("plan page: %d", res.status)
	}
	mustContain(t, "plan page", res.body, "How kubu decides", `id="st-pm-3"`, "Level 1", "Not assessed")
	mustNotContain(t, "plan page", res.body, `id="st-st-1"`) // automatic: no status form
	res = aadmin.follow("/systems/"+sys.ID+"/plan", url.Values{"control_id": {"pm-3"}, "status": {"implemented"}, "evidence": {"IDSC charter v2\n<b>minutes</b>"}})
	mustContain(t, "after saving pm-3", res.body, "Saved pm-3", "IDSC charter v2", "&lt;b&gt;minutes&lt;/b&gt;")
	exp := time.Now().AddDate(0, 6, 0).Format("2006-01-02")
	res = aadmin.follow("/systems/"+sys.ID+"/deviations", url.Values{"control_id": {"ac-1"}, "reason": {`<script>alert("x")</script> legacy`}, "expires_at": {exp}})
	mustContain(t, "after asking", res.body, "Deviation asked for ac-1", "waiting for approval", "&lt;script&gt;")
	mustNotContain(t, "after asking", res.body, `<script>alert("x")`)
	res = aadmin.follow("/systems/"+sys.ID+"/plan", url.Values{"control_id": {"pm-3"}, "status": {"done"}})
	mustContain(t, "a bad status", res.body, "Not saved")

	res = admin.get("/deviations")
	mustContain(t, "GET /deviations", res.body, "ac-1", "Approve", "&lt;script&gt;")
	m := regexp.MustCompile(`action="/deviations/([^/"]+)/decision"`).FindStringSubmatch(res.body)
	if m == nil {
		t.Fatalf("no decision form: %s", excerpt(res.body))
	}
	res = admin.follow("/deviations/"+m[1]+"/decision", url.Values{"decision": {"approve"}, "note": {"IDSC 14"}})
	mustContain(t, "after approving", res.body, "approved")
	res = aadmin.get("/systems/" + sys.ID + "/plan")
	mustContain(t, "plan after approval", res.body, "deviation approved by admin@example.gov")
	if code := e.signIn(t, "b-member").get("/systems/" + sys.ID + "/plan").status; code != http.StatusNotFound {
		t.Errorf("another agency's plan page: %d", code)
	}
	if code := aadmin.post("/deviations/"+m[1]+"/decision", url.Values{"decision": {"approve"}}).status; code != http.StatusForbidden {
		t.Errorf("agency admin decides: %d", code)
	}
}
