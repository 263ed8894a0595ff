package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/web"
)

// TestOpenAPIMatchesRoutes checks the served OpenAPI document against the
// real routes: every JSON API route is documented, nothing documented is
// missing, and public routes are marked as needing no token.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	ta := newTestApp(t, store.SQLite)
	resp, err := http.Get(ta.srv.URL + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var doc struct {
		OpenAPI string `json:"openapi"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	var rawPaths map[string]map[string]map[string]json.RawMessage
	json.Unmarshal(raw, &struct {
		Paths *map[string]map[string]map[string]json.RawMessage `json:"paths"`
	}{&rawPaths})
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for p, ops := range rawPaths {
		for m := range ops {
			documented[strings.ToUpper(m)+" "+p] = true
		}
	}
	routes := map[string]web.Route{}
	for _, rt := range ta.Router().Routes() {
		if rt.Surface != web.API && rt.Surface != web.Public {
			continue
		}
		// A ServeMux "{$}" (this path exactly) is the path itself in OpenAPI.
		path := strings.ReplaceAll(rt.Pattern, "{$}", "")
		key := rt.Method + " " + path
		routes[key] = rt
		if !documented[key] {
			t.Errorf("route %s is not in openapi.json", key)
			continue
		}
		op := rawPaths[path][strings.ToLower(rt.Method)]
		sec, hasSec := op["security"]
		public := hasSec && strings.TrimSpace(string(sec)) == "[]"
		if public != (rt.Action == authz.Public) {
			t.Errorf("%s: documented public=%v, route public=%v", key, public, rt.Action == authz.Public)
		}
	}
	for key := range documented {
		if _, ok := routes[key]; !ok {
			t.Errorf("openapi.json documents %s, which is not a route", key)
		}
	}
}
