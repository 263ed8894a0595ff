package scim

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// idp is a small SCIM 2.0 service provider: users by id, PATCH of active
// with a PatchOp, GET /Users with a userName filter, bearer tokens, SCIM
// error bodies.
type idp struct {
	mu       sync.Mutex
	token    string
	users    map[string]*User
	requests []string // "METHOD path body"
	answer   int      // 0: 200 with the user; 204: no content
	lie      bool     // answer 200 with the old value
	delay    chan struct{}
}

func newIDP(t *testing.T) (*idp, *httptest.Server) {
	yes := true
	p := &idp{token: "connector-token", users: map[string]*User{
		"2819c223": {ID: "2819c223", UserName: "bjensen@agency.example", Active: &yes},
		"9a1f":     {ID: "9a1f", UserName: `we"ird\name`, Active: &yes},
	}}
	srv := httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(srv.Close)
	return p, srv
}

func scimError(w http.ResponseWriter, status int, scimType, detail string) {
	w.Header().Set("Content-Type", MediaType)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"schemas": []string{ErrorSchema}, "status": http.StatusText(status), "scimType": scimType, "detail": detail})
}

func (p *idp) serve(w http.ResponseWriter, r *http.Request) {
	if p.delay != nil {
		select {
		case <-p.delay:
		case <-r.Context().Done():
			return
		}
	}
	body, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests = append(p.requests, r.Method+" "+r.URL.RequestURI()+" "+string(body))
	if r.Header.Get("Authorization") != "Bearer "+p.token {
		scimError(w, http.StatusUnauthorized, "", "bad token")
		return
	}
	switch {
	case r.Method == http.MethodPatch && strings.HasPrefix(r.URL.Path, "/scim/v2/Users/"):
		if r.Header.Get("Content-Type") != MediaType {
			scimError(w, http.StatusUnsupportedMediaType, "", "want "+MediaType)
			return
		}
		u, ok := p.users[strings.TrimPrefix(r.URL.Path, "/scim/v2/Users/")]
		if !ok {
			scimError(w, http.StatusNotFound, "", "Resource not found")
			return
		}
		var op struct {
			Schemas    []string `json:"schemas"`
			Operations []struct {
				Op    string          `json:"op"`
				Path  string          `json:"path"`
				Value json.RawMessage `json:"value"`
			} `json:"Operations"`
		}
		if json.Unmarshal(body, &op) != nil || len(op.Schemas) != 1 || op.Schemas[0] != PatchOpSchema || len(op.Operations) != 1 {
			scimError(w, http.StatusBadRequest, "invalidSyntax", "not a PatchOp")
			return
		}
		var v struct {
			Active *bool `json:"active"`
		}
		if op.Operations[0].Op != "replace" || json.Unmarshal(op.Operations[0].Value, &v) != nil || v.Active == nil {
			scimError(w, http.StatusBadRequest, "invalidValue", "only replace of active")
			return
		}
		old := *u.Active
		*u.Active = *v.Active
		if p.answer == http.StatusNoContent {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		out := *u
		if p.lie {
			out.Active = &old
		}
		w.Header().Set("Content-Type", MediaType)
		json.NewEncoder(w).Encode(out)
	case r.Method == http.MethodGet && r.URL.Path == "/scim/v2/Users":
		var found []User
		for _, u := range p.users {
			if r.URL.Query().Get("filter") == `userName eq "`+strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(u.UserName)+`"` {
				found = append(found, *u)
			}
		}
		w.Header().Set("Content-Type", MediaType)
		json.NewEncoder(w).Encode(map[string]any{"schemas": []string{ListSchema}, "totalResults": len(found), "Resources": found})
	default:
		scimError(w, http.StatusNotFound, "", "no route")
	}
}

func TestDisableAndEnable(t *testing.T) {
	p, srv := newIDP(t)
	c := &Client{BaseURL: srv.URL + "/scim/v2/", Token: "connector-token"}
	ctx := context.Background()
	if err := c.Disable(ctx, "2819c223"); err != nil {
		t.Fatal(err)
	}
	if *p.users["2819c223"].Active {
		t.Fatal("user still active")
	}
	want := `PATCH /scim/v2/Users/2819c223 {"Operations":[{"op":"replace","value":{"active":false}}],"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}`
	if p.requests[0] != want {
		t.Fatalf("request\n%s\nwant\n%s", p.requests[0], want)
	}
	if err := c.Enable(ctx, "2819c223"); err != nil {
		t.Fatal(err)
	}
	if !*p.users["2819c223"].Active || !strings.Contains(p.requests[1], `"value":{"active":true}`) {
		t.Fatalf("revoke did not send active:true: %v", p.requests[1])
	}
	p.answer = http.StatusNoContent
	if err := c.Disable(ctx, "2819c223"); err != nil || *p.users["2819c223"].Active {
		t.Fatalf("204 answer: %v", err)
	}
}

func TestErrors(t *testing.T) {
	p, srv := newIDP(t)
	ctx := context.Background()
	c := &Client{BaseURL: srv.URL + "/scim/v2", Token: "connector-token"}
	err := c.Disable(ctx, "nobody")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "PATCH /Users/nobody: 404 Not Found (no such user at the provider): Resource not found") {
		t.Errorf("unknown user: %v", err)
	}
	bad := &Client{BaseURL: c.BaseURL, Token: "stolen"}
	if err := bad.Disable(ctx, "2819c223"); err == nil || !strings.Contains(err.Error(), "401 Unauthorized (the connector's token was refused): bad token") {
		t.Errorf("bad token: %v", err)
	}
	p.lie = true
	if err := c.Disable(ctx, "2819c223"); err == nil || !strings.Contains(err.Error(), "answered with active=true") {
		t.Errorf("provider that did not change the user: %v", err)
	}
	p.lie = false
	if err := c.SetActive(ctx, "", false); err == nil {
		t.Error("empty id accepted")
	}
	// Ids are escaped into the path.
	c.Disable(ctx, "a/../b")
	if last := p.requests[len(p.requests)-1]; !strings.HasPrefix(last, "PATCH /scim/v2/Users/a%2F..%2Fb ") {
		t.Errorf("unescaped id: %s", last)
	}
	// A provider that answers something that is not SCIM.
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "<html>gateway</html>", http.StatusBadGateway)
	}))
	defer html.Close()
	err = (&Client{BaseURL: html.URL, Token: "x"}).Disable(ctx, "u")
	var se *Error
	if !errors.As(err, &se) || se.Status != 502 || se.Detail != "<html>gateway</html>" {
		t.Errorf("502: %v", err)
	}
}

func TestTimeout(t *testing.T) {
	p, srv := newIDP(t)
	p.delay = make(chan struct{})
	defer close(p.delay)
	c := &Client{BaseURL: srv.URL + "/scim/v2", Token: "connector-token", Timeout: 100 * time.Millisecond}
	err := c.Disable(context.Background(), "2819c223")
	if err == nil || !strings.Contains(err.Error(), "Timeout") {
		t.Fatalf("slow provider: %v", err)
	}
}

func TestFindUser(t *testing.T) {
	_, srv := newIDP(t)
	c := &Client{BaseURL: srv.URL + "/scim/v2", Token: "connector-token"}
	u, err := c.FindUser(context.Background(), "bjensen@agency.example")
	if err != nil || u.ID != "2819c223" {
		t.Fatalf("FindUser: %+v %v", u, err)
	}
	if u, err := c.FindUser(context.Background(), `we"ird\name`); err != nil || u.ID != "9a1f" {
		t.Fatalf("quoted name: %+v %v", u, err)
	}
	if _, err := c.FindUser(context.Background(), "ghost"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
}
