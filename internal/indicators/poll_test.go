package indicators_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/indicators"
	"github.com/kubu-gov/kubu/internal/intel/taxii"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

// source serves a service's TAXII collection as one actor sees it.
type source struct {
	s *indicators.Service
	a authz.Actor
}

func (x source) Collections(ctx context.Context) ([]taxii.Collection, error) {
	return x.s.TAXIICollections(ctx, x.a)
}

func (x source) Objects(ctx context.Context, c string, q taxii.Query) (taxii.Page, error) {
	return x.s.TAXIIObjects(ctx, x.a, c, q)
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func values(t *testing.T, s *indicators.Service, a authz.Actor) []string {
	t.Helper()
	page, err := s.Indicators(context.Background(), a, indicators.Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, in := range page.Items {
		out = append(out, in.STIXID+" "+in.Type+" "+in.Value)
	}
	sort.Strings(out)
	return out
}

// TestTAXIIRoundTrip: one kubu's indicators, served by its TAXII server,
// are polled by another kubu's TAXII client page by page, then only what
// changed; an agency's view leaves restricted TLP out.
func TestTAXIIRoundTrip(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		src := newEnv(t, db, indicators.Options{})
		ctx := context.Background()
		if _, err := src.s.ImportSTIX(ctx, analyst, "cert", indicators.KindUpload, strings.NewReader(testBundle)); err != nil {
			t.Fatal(err)
		}
		conf := 50
		if _, err := src.s.Add(ctx, analyst, indicators.NewIndicator{Type: "ip", Value: "192.0.2.99", TLP: "red", Confidence: &conf}); err != nil {
			t.Fatal(err)
		}
		srv := &taxii.Server{Source: source{src.s, analyst}, Title: "kubu"}
		mux := http.NewServeMux()
		for p, h := range srv.Routes() {
			mux.HandleFunc(p, h)
		}
		ts := httptest.NewServer(mux)
		defer ts.Close()

		dst := newEnv(t, storetest.Open(t, db.Engine), indicators.Options{})
		clk := &clock{t: time.Now()}
		dst.s = indicators.New(dst.db, dst.al, dst.det, nil, indicators.Options{Now: clk.Now, Log: quiet()})
		cfg := indicators.SourceConfig{Name: "peer", Kind: indicators.KindTAXII, URL: ts.URL + "/taxii2/api/", Collection: indicators.CollectionID,
			Every: time.Minute}
		polled, err := dst.s.PollDue(ctx, cfg)
		if err != nil || !polled {
			t.Fatalf("poll: %v %v", polled, err)
		}
		want, got := values(t, src.s, root), values(t, dst.s, root)
		if strings.Join(want, "\n") != strings.Join(got, "\n") || len(got) != 5 {
			t.Fatalf("polled\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if polled, _ := dst.s.PollDue(ctx, cfg); polled {
			t.Fatal("polled again before it was due")
		}
		// A change at the source arrives with the next poll.
		if _, err := src.s.ImportSTIX(ctx, analyst, "cert", indicators.KindUpload, strings.NewReader(bundle(
			indicator(idC2, "2026-03-01T00:00:00.000Z", "[ipv4-addr:value = '198.51.100.8']", `"name":"C2 moved"`)))); err != nil {
			t.Fatal(err)
		}
		clk.Add(2 * time.Minute)
		if polled, err := dst.s.PollDue(ctx, cfg); !polled || err != nil {
			t.Fatalf("second poll: %v %v", polled, err)
		}
		if got := values(t, dst.s, root); !strings.Contains(strings.Join(got, "\n"), idC2+" ip 198.51.100.8") || strings.Contains(strings.Join(got, "\n"), "198.51.100.7") {
			t.Fatalf("after the change: %v", got)
		}
		srcs, _ := dst.s.Sources(ctx, root)
		if len(srcs) != 1 || srcs[0].LastOKAt == nil || srcs[0].LastError != "" {
			t.Fatalf("sources %+v", srcs)
		}

		// Paging, as an agency member sees the collection.
		member := authz.Actor{UserID: "u-m", Role: authz.AgencyMember, AgencyID: src.agencies["MOH"]}
		srv.Source = source{src.s, member}
		c := &taxii.Client{PageSize: 1}
		n := 0
		if _, err := c.Poll(ctx, ts.URL+"/taxii2/api/", indicators.CollectionID, time.Time{}, func(env []byte, objects int) error {
			n += objects
			if strings.Contains(string(env), "192.0.2.99") || strings.Contains(string(env), "login-secure") {
				t.Error("a TLP:RED indicator was served to an agency member")
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if n != 2 { // the C2 server and the dropper; not the two TLP:RED ones
			t.Fatalf("the member was served %d objects, want 2", n)
		}
	})
}

// TestMISPFeedPoll polls a MISP feed served over HTTP.
func TestMISPFeedPoll(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, indicators.Options{})
		ts := httptest.NewServer(http.FileServer(http.Dir("../intel/misp/testdata/feed")))
		defer ts.Close()
		cfg := indicators.SourceConfig{Name: "cert-ex", Kind: indicators.KindMISP, URL: ts.URL + "/", Every: time.Hour, TTL: 30 * 24 * time.Hour}
		if polled, err := e.s.PollDue(context.Background(), cfg); !polled || err != nil {
			t.Fatalf("poll: %v %v", polled, err)
		}
		got := strings.Join(values(t, e.s, root), "\n")
		for _, v := range []string{"domain login-secure.example", "ip 198.51.100.23"} {
			if !strings.Contains(got, v) {
				t.Errorf("%s missing from\n%s", v, got)
			}
		}
		srcs, _ := e.s.Sources(context.Background(), root)
		// The manifest names an event whose file is missing: the poll lists
		// it among its errors (audited) and imports the rest.
		if len(srcs) != 1 || srcs[0].Indicators != 9 || srcs[0].LastOKAt == nil {
			t.Fatalf("sources %+v", srcs)
		}
	})
}

func TestParseSources(t *testing.T) {
	env := map[string]string{"CERT_PW": "s3cret"}
	cfgs, err := indicators.ParseSources(strings.NewReader(`
sources:
  - name: national-cert
    kind: taxii
    url: https://taxii.cert.example/api1/
    collection: 9ee8f1ee-0000-4000-8000-000000000000
    username: kubu
    password_env: CERT_PW
    every: 15m
  - name: circl
    kind: misp
    url: https://www.circl.lu/doc/misp/feed-osint/
    ttl: 720h
`), func(k string) string { return env[k] })
	if err != nil || len(cfgs) != 2 || cfgs[0].Password != "s3cret" || cfgs[0].Every != 15*time.Minute || cfgs[1].TTL != 720*time.Hour {
		t.Fatalf("%+v %v", cfgs, err)
	}
	bad := []string{
		"sources:\n  - name: x\n    kind: ftp\n    url: https://a.example/\n",
		"sources:\n  - name: x\n    kind: taxii\n    url: https://a.example/\n",
		"sources:\n  - name: x\n    kind: misp\n    url: file:///etc/\n",
		"sources:\n  - name: x\n    kind: misp\n    url: https://a.example/\n    password_env: NOPE\n",
		"sources:\n  - name: x\n    kind: misp\n    url: https://a.example/\n    every: 1s\n",
		"sources:\n  - name: x\n    kind: misp\n    url: https://a.example/\n  - name: x\n    kind: misp\n    url: https://a.example/\n",
		"sources:\n  - name: x\n    kind: misp\n    url: https://a.example/\n    colour: red\n",
	}
	for _, b := range bad {
		if _, err := indicators.ParseSources(strings.NewReader(b), func(string) string { return "" }); err == nil {
			t.Errorf("accepted:\n%s", b)
		}
	}
}
