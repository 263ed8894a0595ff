package misp

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kubu-gov/kubu/internal/intel"
)

type collected struct {
	events []string
	inds   []string
}

func (c *collected) fn(ev *Event, inds []intel.Indicator) error {
	c.events = append(c.events, ev.UUID[:8])
	for _, in := range inds {
		c.inds = append(c.inds, fmt.Sprintf("%s %s tlp=%s from=%s", in.ID[:8]+in.ID[len(in.ID)-1:], in.Observable, in.TLP, in.ValidFrom.Format(time.RFC3339)))
	}
	return nil
}

func TestReadFeed(t *testing.T) {
	var c collected
	res, latest, err := ReadFeed(context.Background(), FSGetter{os.DirFS("testdata/feed")}, time.Time{}, Options{Source: "cert-ex"}, c.fn)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.events, []string{"5e3b8f1a", "6f4c9a2b"}) {
		t.Errorf("events %v", c.events)
	}
	want := []string{
		"a00000011 domain:login-secure.example tlp=amber from=2026-04-01T08:00:00Z",
		"a00000012 url:http://login-secure.example/owa/ tlp=amber from=2026-04-01T08:00:01Z",
		"a00000013 email:it-support@login-secure.example tlp=red from=2026-04-01T08:00:02Z",
		"a00000014 ip:198.51.100.23 tlp=amber from=2026-04-01T08:00:03Z",
		"a0000001a sha256:908b64b1971a979c7e3e8ce4621945cba84854cb98d76367b791a6e22b5f6d53 tlp=amber from=2026-03-30T08:00:00Z",
		"c00000011 domain:c2.loader.example tlp= from=2026-04-03T08:00:00Z",
		"c00000011 ip:203.0.113.77 tlp= from=2026-04-03T08:00:00Z",
		"c00000012 md5:cda48fc75952ad12d99e526d0b6bf70a tlp= from=2026-04-03T08:00:01Z",
		"c00000013 ip:203.0.113.0/24 tlp= from=2026-04-03T08:00:02Z",
	}
	if diff := cmp.Diff(want, c.inds); diff != "" {
		t.Errorf("indicators (-want +got):\n%s", diff)
	}
	if res.Events != 2 || res.Imported != 8 {
		t.Errorf("Events %d Imported %d", res.Events, res.Imported)
	}
	var skipped []string
	for _, s := range res.Skipped {
		skipped = append(skipped, s.ID[len(s.ID)-1:]+" "+s.Reason)
	}
	wantSkipped := []string{"5 to_ids is false", "6 to_ids is false", `7 attribute type "regkey" is not one kubu matches`, "9 deleted", "b to_ids is false"}
	if diff := cmp.Diff(wantSkipped, skipped); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}
	wantErrs := []string{"attribute a0000001-0000-4000-8000-000000000008: ip:", `uuid "not-a-uuid"`, "event 7a5dab3c-3e4f-4a71-9c2d-3e4f5a6b7c8d:"}
	if len(res.Errors) != len(wantErrs) {
		t.Fatalf("errors %q", res.Errors)
	}
	for i, w := range wantErrs {
		if !strings.Contains(res.Errors[i], w) {
			t.Errorf("error %d %q, want %q in it", i, res.Errors[i], w)
		}
	}
	// The missing event is read again at the next poll.
	if want := time.Unix(1775289600-1, 0).UTC(); !latest.Equal(want) {
		t.Errorf("latest = %v, want %v", latest, want)
	}
}

func TestReadFeedOverHTTP(t *testing.T) {
	files := http.FileServer(http.Dir("testdata/feed"))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer feed-key" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		http.StripPrefix("/feeds/cert-ex", files).ServeHTTP(w, r)
	}))
	defer srv.Close()
	g := &HTTPGetter{BaseURL: srv.URL + "/feeds/cert-ex/", Header: http.Header{"Authorization": {"Bearer feed-key"}}}
	var c collected
	since := time.Unix(1775030400, 0)
	res, _, err := ReadFeed(context.Background(), g, since, Options{}, c.fn)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.events, []string{"6f4c9a2b"}) || res.Imported != 3 {
		t.Fatalf("since %v: events %v, imported %d", since, c.events, res.Imported)
	}
	if len(res.Errors) != 2 || !strings.Contains(res.Errors[1], "404 Not Found") {
		t.Fatalf("errors %q", res.Errors)
	}
	g.Header = nil
	if _, _, err := ReadFeed(context.Background(), g, time.Time{}, Options{}, c.fn); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("without the key: %v", err)
	}
}

func TestOptions(t *testing.T) {
	b, _ := os.ReadFile("testdata/feed/5e3b8f1a-1c2d-4e5f-9a0b-1c2d3e4f5a6b.json")
	ev, err := ParseEvent(b)
	if err != nil {
		t.Fatal(err)
	}
	res := &Result{}
	inds := EventIndicators(ev, Options{AllAttributes: true, TTL: 24 * time.Hour, Source: "s"}, res)
	var vals []string
	for _, in := range inds {
		vals = append(vals, in.Value)
		if !in.ValidUntil.Equal(in.ValidFrom.Add(24*time.Hour)) || in.Source != "s" || in.Creator != "CERT-EX" {
			t.Errorf("indicator %+v", in)
		}
		if in.Name != "Phishing wave against ministries" || !slices.Contains(in.Labels, `misp-galaxy:threat-actor="Example Panda"`) {
			t.Errorf("name/labels %q %q", in.Name, in.Labels)
		}
	}
	if !slices.Contains(vals, "10.20.30.40") {
		t.Errorf("AllAttributes did not import the to_ids=false address: %v", vals)
	}
}

func TestParseErrors(t *testing.T) {
	for _, doc := range []string{``, `[]`, `{"Evnt":{}}`, `{"Event":{"Attribute":{}}}`, `{"Event":{"timestamp":"soon"}}`} {
		if _, err := ParseEvent([]byte(doc)); err == nil {
			t.Errorf("ParseEvent(%q) accepted", doc)
		}
	}
	for _, doc := range []string{``, `[]`, `{"not-a-uuid":{}}`, `{"5e3b8f1a-1c2d-4e5f-9a0b-1c2d3e4f5a6b":{"timestamp":"x"}}`} {
		if _, err := ParseManifest([]byte(doc)); err == nil {
			t.Errorf("ParseManifest(%q) accepted", doc)
		}
	}
}

func TestReadCSV(t *testing.T) {
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	csv := "# exported 2026-05-01\nfirst_seen;value;note\n2026-04-30;198.51.100.9;scanner\n2026-04-30;\"evil.example\";\"c2; old\"\n2026-04-30;198.51.100.9;again\n2026-04-30;not a value;x\n2026-04-30\n"
	inds, res := ReadCSV(strings.NewReader(csv), CSVOptions{Columns: []int{2}, Delimiter: ';'}, Options{Source: "scanners", Now: now, TTL: time.Hour})
	var got []string
	for _, in := range inds {
		got = append(got, in.ID)
		if !in.ValidFrom.Equal(now) || !in.ValidUntil.Equal(now.Add(time.Hour)) {
			t.Errorf("validity %v–%v", in.ValidFrom, in.ValidUntil)
		}
	}
	if !slices.Equal(got, []string{"scanners:ip:198.51.100.9", "scanners:domain:evil.example"}) {
		t.Errorf("indicators %v", got)
	}
	var skipped []string
	for _, s := range res.Skipped {
		skipped = append(skipped, s.ID)
	}
	if !slices.Equal(skipped, []string{"line 2", "line 6", "line 7"}) || res.Imported != 2 || len(res.Errors) != 0 {
		t.Errorf("skipped %v imported %d errors %v", res.Skipped, res.Imported, res.Errors)
	}
	// A stray quote is read leniently, as MISP does.
	inds, res = ReadCSV(strings.NewReader("x.example,\"b\nc\ny.example"), CSVOptions{}, Options{})
	if len(inds) != 1 || inds[0].Value != "x.example" || len(res.Errors) != 0 {
		t.Errorf("stray quote: %v %v", inds, res.Errors)
	}
}

func TestReadFreetext(t *testing.T) {
	text := "# blocklist\nhxxps://pay-portal[.]com/login\n198.51.100.50 # scanner\n198.51.100.50\nsee evil.co.uk and file.exe\n"
	inds, res := ReadFreetext(strings.NewReader(text), Options{})
	var got []string
	for _, in := range inds {
		got = append(got, in.ID)
	}
	want := []string{"url:https://pay-portal.com/login", "ip:198.51.100.50", "domain:evil.co.uk"}
	if !slices.Equal(got, want) || res.Imported != 3 {
		t.Errorf("got %v (%d)", got, res.Imported)
	}
}
