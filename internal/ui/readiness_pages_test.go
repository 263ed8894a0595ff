package ui_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"testing"
)

// upload posts the import form as a browser would.
func upload(c *client, path, format, name string, content []byte) response {
	c.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("format", format)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(content)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.e.srv.URL+path, &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", c.e.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.do(req)
}

// TestImportAndPosturePages: an agency member uploads a SARIF file on
// the system's import page and sees the counts and the run in the history;
// a broken file shows the parse error beside the file input and the
// tool's text escaped; another agency gets 404; the posture page draws
// its SVG chart; the league and its CSV are for central roles only.
func TestImportAndPosturePages(t *testing.T) {
	e := newEnv(t, false)
	sys := e.system["A"]
	member := e.signIn(t, "a-member")
	mustContain(t, "system page", member.get("/systems/"+sys.ID).body, "/systems/"+sys.ID+"/imports")
	page := member.get("/systems/" + sys.ID + "/imports")
	mustContain(t, "import page", page.body, `enctype="multipart/form-data"`, "Nothing imported yet.")
	sarif, err := os.ReadFile("../imports/testdata/sarif/v1.sarif")
	if err != nil {
		t.Fatal(err)
	}
	res := upload(member, "/systems/"+sys.ID+"/imports", "sarif", "codeql.sarif", sarif)
	if res.status != http.StatusSeeOther {
		t.Fatalf("upload answered %d: %s", res.status, excerpt(res.body))
	}
	page = member.get(res.location)
	mustContain(t, "after the import", page.body, "Imported: 7 created, 0 updated, 0 unchanged, 0 reopened, 0 closed.", "This import", "<code>sarif</code>")
	res = upload(member, "/systems/"+sys.ID+"/imports", "nuclei", "bad.jsonl", []byte(`{"template-id":"<script>x</script>"`+"\n{oops\n"))
	if res.status != http.StatusBadRequest {
		t.Fatalf("broken file answered %d", res.status)
	}
	mustContain(t, "broken file", res.body, `id="im-file-error"`, "nuclei")
	mustNotContain(t, "broken file", res.body, "<script>x</script>")
	res = upload(member, "/systems/"+sys.ID+"/imports", "", "x.sarif", sarif)
	mustContain(t, "no format", res.body, `id="im-format-error"`)
	if r := e.signIn(t, "b-member").get("/systems/" + sys.ID + "/imports"); r.status != http.StatusNotFound {
		t.Errorf("MOE member on MOH's import page: %d, want 404", r.status)
	}

	p := member.get("/posture")
	mustContain(t, "member's posture", p.body, "Ministry of Health", "<svg", "Posture score by day", "How the score is computed")
	mustNotContain(t, "member's posture", p.body, `href="/posture/agencies"`)
	if r := member.get("/posture/agencies"); r.status != http.StatusForbidden {
		t.Errorf("member on the league page: %d, want 403", r.status)
	}
	an := e.signIn(t, "analyst")
	mustContain(t, "central posture", an.get("/posture").body, "Whole of government", `href="/posture/agencies"`)
	league := an.get("/posture/agencies")
	mustContain(t, "league", league.body, "Posture score by agency", "MOH", "MOE", "/posture/agencies.csv")
	csv := an.get("/posture/agencies.csv")
	if csv.status != http.StatusOK || !strings.HasPrefix(csv.body, "agency,name,score") || strings.Count(csv.body, "\n") != 3 {
		t.Errorf("CSV: %d %q", csv.status, csv.body)
	}
}
