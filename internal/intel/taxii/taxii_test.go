package taxii

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/intel"
	"github.com/kubu-gov/kubu/internal/intel/stix"
)

var t0 = time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)

func indicatorJSON(i int) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-0000-4000-8000-000000000000","created":"2026-04-01T00:00:00.000Z","modified":"2026-04-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '198.51.100.%d']","pattern_type":"stix","valid_from":"2026-04-01T00:00:00Z"}`, i, i))
}

// kubuLike mounts the server as kubu will: its routes on a ServeMux behind
// an authentication check (HTTP Basic, any user name, a token as the
// password).
func kubuLike(t testing.TB, src Source) *httptest.Server {
	s := &Server{Source: src, Title: "kubu", MaxLimit: 50}
	mux := http.NewServeMux()
	for pattern, h := range s.Routes() {
		mux.HandleFunc(pattern, h)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pw, ok := r.BasicAuth(); !ok || pw != "feed-token" {
			w.Header().Set("WWW-Authenticate", `Basic realm="kubu"`)
			writeError(w, http.StatusUnauthorized, "Unauthorized", "a feed token is needed")
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func newSource(t *testing.T, n int) *MemorySource {
	src := NewMemorySource(
		Collection{ID: "9cfa669c-ee94-4ece-afd2-f8edac37d8fd", Alias: "indicators", Title: "kubu indicators", CanRead: true},
		Collection{ID: "secret", Title: "not for you", CanRead: false},
	)
	for i := 1; i <= n; i++ {
		if err := src.Add("9cfa669c-ee94-4ece-afd2-f8edac37d8fd", t0.Add(time.Duration(i)*time.Minute), indicatorJSON(i)); err != nil {
			t.Fatal(err)
		}
	}
	return src
}

func TestClientAgainstOwnServer(t *testing.T) {
	src := newSource(t, 10)
	srv := kubuLike(t, src)
	c := &Client{Username: "agency-moh", Password: "feed-token", PageSize: 3}
	ctx := context.Background()
	d, err := c.Discover(ctx, srv.URL+"/taxii2/")
	if err != nil {
		t.Fatal(err)
	}
	root := srv.URL + "/taxii2/api/"
	if !slices.Equal(d.APIRoots, []string{root}) || d.Default != root || d.Title != "kubu" {
		t.Fatalf("discovery %+v", d)
	}
	ar, err := c.APIRoot(ctx, root)
	if err != nil || !slices.Equal(ar.Versions, []string{MediaType}) || ar.MaxContentLength <= 0 {
		t.Fatalf("api root %+v %v", ar, err)
	}
	cols, err := c.Collections(ctx, root)
	if err != nil || len(cols) != 2 || !cols[0].CanRead || cols[0].MediaTypes[0] != STIXMediaType {
		t.Fatalf("collections %+v %v", cols, err)
	}
	var pages []int
	var inds []intel.Indicator
	poll := func(after time.Time) time.Time {
		pages = nil
		last, err := c.Poll(ctx, root, "indicators", after, func(env []byte, n int) error {
			pages = append(pages, n)
			res := stix.ReadIndicators(bytes.NewReader(env), stix.Options{Source: "kubu"}, func(_ *stix.Indicator, got []intel.Indicator) error {
				inds = append(inds, got...)
				return nil
			})
			if res.Fatal != nil || len(res.Errors) > 0 {
				return fmt.Errorf("page: %v %v", res.Fatal, res.Errors)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return last
	}
	last := poll(time.Time{})
	if !slices.Equal(pages, []int{3, 3, 3, 1}) || len(inds) != 10 || inds[9].Value != "198.51.100.10" {
		t.Fatalf("pages %v, %d indicators", pages, len(inds))
	}
	if !last.Equal(t0.Add(10 * time.Minute)) {
		t.Fatalf("last %v", last)
	}
	// Nothing new: no page.
	if again := poll(last); len(pages) != 0 || !again.Equal(last) {
		t.Fatalf("second poll: pages %v, last %v", pages, again)
	}
	// Two more: only they come.
	src.Add("9cfa669c-ee94-4ece-afd2-f8edac37d8fd", t0.Add(time.Hour), indicatorJSON(11), indicatorJSON(12))
	inds = nil
	if poll(last); len(inds) != 2 || inds[0].Value != "198.51.100.11" {
		t.Fatalf("third poll: %v", inds)
	}
	// A wrong token: the router's 401, reported with the server's words.
	bad := &Client{Username: "x", Password: "nope"}
	_, err = bad.Collections(ctx, root)
	var he *HTTPError
	if !errors.As(err, &he) || he.Status != 401 || !strings.Contains(err.Error(), "a feed token is needed") {
		t.Fatalf("bad token: %v", err)
	}
	// A collection that cannot be read.
	_, err = c.Poll(ctx, root, "secret", time.Time{}, func([]byte, int) error { return nil })
	if !errors.As(err, &he) || he.Status != 403 {
		t.Fatalf("unreadable collection: %v", err)
	}
}

func get(t *testing.T, u, accept string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.SetBasicAuth("a", "feed-token")
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func TestServerEndpoints(t *testing.T) {
	srv := kubuLike(t, newSource(t, 5))
	root := srv.URL + "/taxii2/api/collections/"
	tests := []struct {
		path, accept string
		status       int
		contains     string
	}{
		{"indicators/", MediaType, 200, `"alias":"indicators"`},
		{"9cfa669c-ee94-4ece-afd2-f8edac37d8fd/objects/?match[type]=malware", MediaType, 200, `{}`},
		{"indicators/objects/?match[id]=indicator--00000002-0000-4000-8000-000000000000,indicator--00000004-0000-4000-8000-000000000000", "application/taxii+json", 200, "198.51.100.4"},
		{"indicators/objects/indicator--00000003-0000-4000-8000-000000000000/", "*/*", 200, "198.51.100.3"},
		{"indicators/objects/indicator--0000000f-0000-4000-8000-000000000000/", MediaType, 404, "no such object"},
		{"indicators/manifest/?limit=2", MediaType, 200, `"more":true`},
		{"indicators/objects/?added_after=yesterday", MediaType, 400, "RFC 3339"},
		{"indicators/objects/?limit=0", MediaType, 400, "limit"},
		{"indicators/objects/?next=%21%21", MediaType, 400, "bad next"},
		{"indicators/objects/?match[version]=all", MediaType, 400, "not supported"},
		{"nope/objects/", MediaType, 404, "no such collection"},
		{"secret/objects/", MediaType, 403, "cannot be read"},
		{"indicators/objects/", "application/json", 406, "Not Acceptable"},
		{"indicators/objects/", "application/taxii+json;version=2.0", 406, "Not Acceptable"},
	}
	for _, tc := range tests {
		resp, body := get(t, root+tc.path, tc.accept)
		if resp.StatusCode != tc.status || !strings.Contains(body, tc.contains) {
			t.Errorf("GET %s (Accept %s): %d %s; want %d with %q", tc.path, tc.accept, resp.StatusCode, body, tc.status, tc.contains)
		}
		if ct := resp.Header.Get("Content-Type"); ct != MediaType {
			t.Errorf("GET %s: Content-Type %q", tc.path, ct)
		}
	}
	resp, body := get(t, root+"indicators/objects/?added_after=2026-04-01T00:02:00Z&limit=2", MediaType)
	if resp.Header.Get(HeaderDateAddedFirst) != "2026-04-01T00:03:00.000000Z" || resp.Header.Get(HeaderDateAddedLast) != "2026-04-01T00:04:00.000000Z" || !strings.Contains(body, `"more":true`) {
		t.Errorf("headers %v body %s", resp.Header, body)
	}
	req, _ := http.NewRequest(http.MethodPost, root+"indicators/objects/", strings.NewReader(`{"objects":[]}`))
	req.SetBasicAuth("a", "feed-token")
	req.Header.Set("Accept", MediaType)
	r2, err := http.DefaultClient.Do(req)
	if err != nil || r2.StatusCode != 403 {
		t.Errorf("POST objects: %v %v", r2.StatusCode, err)
	}
}

// TestClientAgainstOtherServer polls a small TAXII server written here by
// hand, laid out differently from kubu's: a relative API root, bearer
// tokens, paging first by next and then, when next runs out, by
// X-TAXII-Date-Added-Last.
func TestClientAgainstOtherServer(t *testing.T) {
	const col = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
	var mu sync.Mutex
	var queries []string
	objs := func(ids ...int) string {
		var parts []string
		for _, i := range ids {
			parts = append(parts, string(indicatorJSON(i)))
		}
		return strings.Join(parts, ",")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer t0ken" {
			w.WriteHeader(401)
			return
		}
		if r.Header.Get("Accept") != "application/taxii+json;version=2.1" {
			w.WriteHeader(406)
			return
		}
		w.Header().Set("Content-Type", "application/taxii+json;version=2.1")
		switch r.URL.Path {
		case "/taxii/":
			io.WriteString(w, `{"title":"Other","api_roots":["/feeds/"],"default":"/feeds/"}`)
		case "/feeds/collections/":
			io.WriteString(w, `{"collections":[{"id":"`+col+`","title":"Feed","can_read":true,"can_write":false}]}`)
		case "/feeds/collections/" + col + "/objects/":
			mu.Lock()
			queries = append(queries, r.URL.RawQuery)
			mu.Unlock()
			q := r.URL.Query()
			switch {
			case q.Get("next") == "" && q.Get("added_after") == "":
				w.Header().Set(HeaderDateAddedLast, "2026-04-01T00:02:00.000Z")
				io.WriteString(w, `{"more":true,"next":"page-2","objects":[`+objs(1, 2)+`]}`)
			case q.Get("next") == "page-2":
				w.Header().Set(HeaderDateAddedLast, "2026-04-01T00:04:00.000Z")
				io.WriteString(w, `{"more":true,"objects":[`+objs(3, 4)+`]}`)
			case q.Get("added_after") == "2026-04-01T00:04:00.000000Z":
				w.Header().Set(HeaderDateAddedLast, "2026-04-01T00:05:00.000Z")
				io.WriteString(w, `{"more":false,"objects":[`+objs(5)+`]}`)
			default:
				w.WriteHeader(400)
				io.WriteString(w, `{"title":"unexpected query `+r.URL.RawQuery+`"}`)
			}
		default:
			w.WriteHeader(404)
		}
	}))
	defer srv.Close()
	c := &Client{Token: "t0ken", PageSize: 2}
	ctx := context.Background()
	d, err := c.Discover(ctx, srv.URL+"/taxii/")
	if err != nil || d.APIRoots[0] != srv.URL+"/feeds/" {
		t.Fatalf("discovery %+v %v", d, err)
	}
	cols, err := c.Collections(ctx, d.Default)
	if err != nil || cols[0].ID != col {
		t.Fatalf("collections %+v %v", cols, err)
	}
	var got []string
	last, err := c.Poll(ctx, d.Default, col, time.Time{}, func(env []byte, n int) error {
		r := stix.NewReader(bytes.NewReader(env))
		for {
			raw, err := r.Next()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			var o struct{ Pattern string }
			json.Unmarshal(raw, &o)
			got = append(got, o.Pattern)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 || !strings.Contains(got[4], "198.51.100.5") || !last.Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("objects %v last %v", got, last)
	}
	want := []string{"limit=2", "limit=2&next=page-2", "added_after=2026-04-01T00%3A04%3A00.000000Z&limit=2"}
	if !slices.Equal(queries, want) {
		t.Fatalf("queries %q, want %q", queries, want)
	}
}

func TestClientRefusesBadServers(t *testing.T) {
	var mode string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch mode {
		case "html":
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<html>login</html>")
		case "loop":
			w.Header().Set("Content-Type", MediaType)
			io.WriteString(w, `{"more":true,"next":"same","objects":[`+string(indicatorJSON(1))+`]}`)
		case "bare-more":
			w.Header().Set("Content-Type", MediaType)
			io.WriteString(w, `{"more":true}`)
		case "garbage":
			w.Header().Set("Content-Type", MediaType)
			io.WriteString(w, `{"objects":`)
		}
	}))
	defer srv.Close()
	c := &Client{}
	for m, want := range map[string]string{"html": "not application/taxii+json", "loop": `next="same" twice`, "bare-more": "neither next nor", "garbage": "not an envelope"} {
		mode = m
		_, err := c.Poll(context.Background(), srv.URL+"/api/", "c", time.Time{}, func([]byte, int) error { return nil })
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", m, err, want)
		}
	}
}

func TestAcceptable(t *testing.T) {
	for accept, want := range map[string]bool{
		"": true, "application/taxii+json;version=2.1": true, "application/taxii+json": true, "*/*": true,
		"text/html, application/taxii+json; version=2.1": true, "application/json": false, "application/taxii+json;version=2.0": false,
		"garbage;;": false,
	} {
		if got := acceptable(accept); got != want {
			t.Errorf("acceptable(%q) = %v", accept, got)
		}
	}
}
