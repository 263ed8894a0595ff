package scan_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/scan"
	"github.com/kubu-gov/kubu/internal/scan/farm"
)

// TestHostile: servers that misbehave end each check with a clear error
// inside its time limit, and the rest of the scan still happens.
func TestHostile(t *testing.T) {
	f, err := farm.New(78)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	loop, err := f.Add(farm.Target{Label: "loop", HTTPS: &farm.TLSSpec{}, Site: farm.Site{HTTP: "loop"}})
	if err != nil {
		t.Fatal(err)
	}
	huge, err := f.Add(farm.Target{Label: "huge", HTTPS: &farm.TLSSpec{}, HugeHeader: true})
	if err != nil {
		t.Fatal(err)
	}
	silent, err := f.Add(farm.Target{Label: "silent", SilentTLS: true, Site: farm.Site{HTTP: "serve"}})
	if err != nil {
		t.Fatal(err)
	}
	o := options(f)
	o.Timeouts = scan.Timeouts{DNS: time.Second, Handshake: time.Second, HTTP: 2 * time.Second, Check: 8 * time.Second}
	s, err := scan.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)

	within := func(t *testing.T, start time.Time, limit time.Duration) {
		t.Helper()
		if d := time.Since(start); d > limit {
			t.Errorf("took %s, more than the %s limit", d, limit)
		}
	}
	endpointErr := func(r *scan.Result, url string) string {
		for _, e := range r.Web.Endpoints {
			if e.URL == url {
				return e.Error
			}
		}
		return "(no endpoint)"
	}

	t.Run("endless redirects", func(t *testing.T) {
		start := time.Now()
		r, err := s.Scan(context.Background(), loop.Name)
		if err != nil {
			t.Fatal(err)
		}
		within(t, start, o.Timeouts.Check*2)
		if e := endpointErr(r, "http://"+loop.Name+"/"); !strings.Contains(e, "too many redirects") {
			t.Errorf("http endpoint error = %q, want too many redirects", e)
		}
		if r.HTTPS.Enforces {
			t.Errorf("an endless HTTP redirect chain cannot enforce HTTPS")
		}
		if r.TLS == nil {
			t.Errorf("the TLS check must still run")
		}
	})
	t.Run("1 GB header", func(t *testing.T) {
		start := time.Now()
		r, err := s.Scan(context.Background(), huge.Name)
		if err != nil {
			t.Fatal(err)
		}
		within(t, start, o.Timeouts.Check*2)
		if e := endpointErr(r, "http://"+huge.Name+"/"); !strings.Contains(e, "headers larger than allowed") {
			t.Errorf("http endpoint error = %q, want a header size error", e)
		}
	})
	t.Run("TLS server that never answers", func(t *testing.T) {
		start := time.Now()
		r, err := s.Scan(context.Background(), silent.Name)
		if err != nil {
			t.Fatal(err)
		}
		within(t, start, o.Timeouts.Check*2)
		var tlsErr string
		for _, e := range r.Errors {
			if e.Check == "tls" {
				tlsErr = e.Error
			}
		}
		if !strings.Contains(tlsErr, "no answer to a ClientHello within 1s") {
			t.Errorf("tls error = %q, want a clear time-out; errors %+v", tlsErr, r.Errors)
		}
		if e := endpointErr(r, "https://"+silent.Name+"/"); !strings.Contains(e, "within") {
			t.Errorf("https endpoint error = %q, want a time-out", e)
		}
	})
	t.Run("a check longer than its own limit", func(t *testing.T) {
		o2 := o
		o2.Timeouts.Check = 1500 * time.Millisecond
		o2.Timeouts.HTTP = 5 * time.Second
		s2, err := scan.New(o2)
		if err != nil {
			t.Fatal(err)
		}
		defer s2.Close()
		start := time.Now()
		r, err := s2.Scan(context.Background(), silent.Name)
		if err != nil {
			t.Fatal(err)
		}
		within(t, start, 4*o2.Timeouts.Check+2*o2.Timeouts.Handshake)
		var webErr string
		for _, e := range r.Errors {
			if e.Check == "web" {
				webErr = e.Error
			}
		}
		if !strings.Contains(webErr, "did not finish within 1.5s") {
			t.Errorf("web error = %q, want the check's own limit named; errors %+v", webErr, r.Errors)
		}
	})
	t.Run("DNS server answering garbage", func(t *testing.T) {
		addr, err := f.GarbageDNS()
		if err != nil {
			t.Fatal(err)
		}
		o2 := o
		o2.Resolver = addr
		s2, err := scan.New(o2)
		if err != nil {
			t.Fatal(err)
		}
		defer s2.Close()
		start := time.Now()
		r, err := s2.Scan(context.Background(), "good.signed.kubu.test")
		if err != nil {
			t.Fatal(err)
		}
		within(t, start, o.Timeouts.Check*2)
		if r.DNS != nil {
			t.Errorf("dns = %+v, want null when no answer could be read", r.DNS)
		}
		if len(r.Errors) == 0 || !strings.HasPrefix(r.Errors[0].Check, "dns.") {
			t.Fatalf("errors = %+v, want dns errors", r.Errors)
		}
		if !strings.Contains(r.Errors[0].Error, "not a DNS message") {
			t.Errorf("dns error = %q, want it to say the answer is not DNS", r.Errors[0].Error)
		}
	})
}
