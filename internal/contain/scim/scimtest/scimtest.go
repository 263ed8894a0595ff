// Package scimtest is a small SCIM 2.0 service provider for tests of the
// account connector: users by id, PATCH /Users/{id} replacing "active"
// with a PatchOp, GET /Users with a userName filter, a bearer token, SCIM
// error bodies. It records every request.
package scimtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/kubu-gov/kubu/internal/contain/scim"
)

// Token is the bearer token the provider accepts.
const Token = "scim-connector-token"

// Server is a running provider; its SCIM root is URL.
type Server struct {
	URL string

	mu       sync.Mutex
	active   map[string]bool   // by user id
	names    map[string]string // userName → id
	requests []Request
	fail     int // answer this many PATCHes with 503 first
}

// Request is one PATCH the provider accepted: the user and the value of
// active it was set to.
type Request struct {
	Method, Path string
	UserID       string
	Active       bool
}

// New starts a provider holding the users (userName → id), all active.
func New(t testing.TB, users map[string]string) *Server {
	s := &Server{active: map[string]bool{}, names: map[string]string{}}
	for name, id := range users {
		s.names[name] = id
		s.active[id] = true
	}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL + "/scim/v2"
	return s
}

// Client returns a connector for the provider.
func (s *Server) Client() *scim.Client { return &scim.Client{BaseURL: s.URL, Token: Token} }

// FailNext makes the next n PATCHes answer 503.
func (s *Server) FailNext(n int) {
	s.mu.Lock()
	s.fail = n
	s.mu.Unlock()
}

// Patches returns the PATCHes accepted so far.
func (s *Server) Patches() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Active reports whether the user (by id) is active.
func (s *Server) Active(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.active[id]
}

func writeError(w http.ResponseWriter, status int, scimType, detail string) {
	w.Header().Set("Content-Type", scim.MediaType)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"schemas": []string{scim.ErrorSchema}, "status": http.StatusText(status), "scimType": scimType, "detail": detail})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+Token {
		writeError(w, http.StatusUnauthorized, "", "bad token")
		return
	}
	switch {
	case r.Method == http.MethodPatch && strings.HasPrefix(r.URL.Path, "/scim/v2/Users/"):
		id := strings.TrimPrefix(r.URL.Path, "/scim/v2/Users/")
		if _, ok := s.active[id]; !ok {
			writeError(w, http.StatusNotFound, "", "Resource "+id+" not found")
			return
		}
		var op struct {
			Schemas    []string `json:"schemas"`
			Operations []struct {
				Op    string          `json:"op"`
				Value json.RawMessage `json:"value"`
			} `json:"Operations"`
		}
		var v struct {
			Active *bool `json:"active"`
		}
		if json.Unmarshal(body, &op) != nil || len(op.Schemas) != 1 || op.Schemas[0] != scim.PatchOpSchema || len(op.Operations) != 1 ||
			op.Operations[0].Op != "replace" || json.Unmarshal(op.Operations[0].Value, &v) != nil || v.Active == nil {
			writeError(w, http.StatusBadRequest, "invalidValue", "only a PatchOp replacing active")
			return
		}
		if s.fail > 0 {
			s.fail--
			writeError(w, http.StatusServiceUnavailable, "", "try later")
			return
		}
		s.active[id] = *v.Active
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, UserID: id, Active: *v.Active})
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodGet && r.URL.Path == "/scim/v2/Users":
		var found []scim.User
		for name, id := range s.names {
			if r.URL.Query().Get("filter") == `userName eq "`+strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name)+`"` {
				a := s.active[id]
				found = append(found, scim.User{ID: id, UserName: name, Active: &a})
			}
		}
		w.Header().Set("Content-Type", scim.MediaType)
		json.NewEncoder(w).Encode(map[string]any{"schemas": []string{scim.ListSchema}, "totalResults": len(found), "Resources": found})
	default:
		writeError(w, http.StatusNotFound, "", "no route")
	}
}
