package app_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
)

// TestImportsAndPostureAPI drives contract §10's import and posture routes
// on each engine: an agency member imports a Nuclei file into their
// system (200 with the counts), again (nothing created); a system of
// another agency answers 404 before the body is read; a bad format or a
// broken file answers 400 naming the problem; the posture and league
// table show the agency its own row only, and central roles every agency
// and the whole of government; the league exports as CSV.
func TestImportsAndPostureAPI(t *testing.T) {
	for _, engine := range []store.Engine{store.SQLite, store.Postgres} {
		t.Run(string(engine), func(t *testing.T) {
			ta := newTestApp(t, engine)
			ctx := context.Background()
			name := "portal"
			sys, err := ta.Registry.CreateSystem(ctx, root, registry.SystemInput{Agency: "MOH", Name: &name})
			if err != nil {
				t.Fatal(err)
			}
			body, err := os.ReadFile("../imports/testdata/nuclei/v1.jsonl")
			if err != nil {
				t.Fatal(err)
			}
			path := "/api/v1/imports?format=nuclei&system=" + sys.ID
			code, out := ta.do(t, "a-member", "POST", path, body)
			if code != 200 || out["created"] != 4.0 || out["updated"] != 0.0 || out["closed"] != 0.0 {
				t.Fatalf("first import: %d %v", code, out)
			}
			code, out = ta.do(t, "a-member", "POST", path, body)
			if code != 200 || out["created"] != 0.0 || out["unchanged"] != 4.0 {
				t.Fatalf("second import: %d %v", code, out)
			}
			if code, out = ta.do(t, "b-member", "POST", path, body); code != 404 {
				t.Errorf("MOE member importing into MOH's system: %d %v, want 404", code, out)
			}
			if code, _ = ta.do(t, "researcher", "POST", path, body); code != 403 {
				t.Errorf("researcher importing: %d, want 403", code)
			}
			if code, out = ta.do(t, "a-member", "POST", "/api/v1/imports?format=pdf&system="+sys.ID, body); code != 400 || !strings.Contains(errMessage(out), "unknown import format") {
				t.Errorf("unknown format: %d %v", code, out)
			}
			if code, out = ta.do(t, "a-member", "POST", path, "{broken"); code != 400 || !strings.Contains(errMessage(out), "nuclei") {
				t.Errorf("broken file: %d %v", code, out)
			}
			code, out = ta.do(t, "a-member", "GET", "/api/v1/systems/"+sys.ID+"/imports", nil)
			if items, _ := out["items"].([]any); code != 200 || len(items) != 2 {
				t.Errorf("runs: %d %v, want the two good runs", code, out)
			}

			code, out = ta.do(t, "a-member", "GET", "/api/v1/posture", nil)
			if code != 200 || out["agency"] != "MOH" {
				t.Errorf("member's posture: %d %v, want MOH's", code, out)
			}
			if f, _ := out["findings"].(map[string]any); f["open"] != 4.0 {
				t.Errorf("MOH's open findings: %v, want 4", out["findings"])
			}
			if code, _ = ta.do(t, "a-member", "GET", "/api/v1/posture?agency=MOE", nil); code != 404 {
				t.Errorf("MOH member asking for MOE's posture: %d, want 404", code)
			}
			code, out = ta.do(t, "a-member", "GET", "/api/v1/posture/agencies", nil)
			if items, _ := out["items"].([]any); code != 200 || len(items) != 1 {
				t.Errorf("member's league: %d %v, want one row", code, out)
			}
			code, out = ta.do(t, "analyst", "GET", "/api/v1/posture", nil)
			if code != 200 || out["agency"] != "" || out["name"] != "Whole of government" {
				t.Errorf("analyst's posture: %d %v, want the whole of government", code, out)
			}
			code, out = ta.do(t, "triager", "GET", "/api/v1/posture/agencies", nil)
			if items, _ := out["items"].([]any); code != 200 || len(items) != 2 {
				t.Errorf("central league: %d %v, want two rows", code, out)
			}
			req, _ := http.NewRequest("GET", ta.srv.URL+"/api/v1/posture/agencies?format=csv", nil)
			req.Header.Set("Authorization", "Bearer "+ta.tokens["analyst"])
			resp, err := ta.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			csv, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if lines := strings.Split(strings.TrimSpace(string(csv)), "\n"); resp.StatusCode != 200 || len(lines) != 3 || !strings.HasPrefix(lines[0], "agency,name,score") {
				t.Errorf("CSV: %d %q", resp.StatusCode, csv)
			}
		})
	}
}
