// Package web fetches a site's HTTP and HTTPS endpoints the way pshtt and
// the MDN HTTP Observatory do: one request per hop, redirects followed by
// hand and recorded, bounded header and body sizes, certificates kept for
// judgement. It has no dependency on the rest of kubu.
package web

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Options configure a Fetcher.
type Options struct {
	// Dial opens a TCP connection to addr ("host:port", host a name or an
	// address); the scanner resolves names with its own DNS.
	Dial         func(ctx context.Context, network, addr string) (net.Conn, error)
	Timeout      time.Duration // per request (connect to last header byte); default 10 s
	MaxRedirects int           // default 10
	MaxHeader    int64         // default 64 KiB
	MaxBody      int64         // bytes of the final page kept; default 256 KiB
	UserAgent    string
	Origin       string // sent as Origin on every request, to see what CORS answers
}

// Fetcher fetches URLs.
type Fetcher struct {
	o  Options
	tr *http.Transport
}

// New returns a Fetcher.
func New(o Options) *Fetcher {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.MaxRedirects <= 0 {
		o.MaxRedirects = 10
	}
	if o.MaxHeader <= 0 {
		o.MaxHeader = 64 << 10
	}
	if o.MaxBody <= 0 {
		o.MaxBody = 256 << 10
	}
	if o.UserAgent == "" {
		o.UserAgent = "kubu-scan/1 (+security testing)"
	}
	var all []uint16
	for _, s := range tls.CipherSuites() {
		all = append(all, s.ID)
	}
	for _, s := range tls.InsecureCipherSuites() {
		all = append(all, s.ID)
	}
	tr := &http.Transport{
		DialContext:            o.Dial,
		DisableKeepAlives:      true,
		DisableCompression:     true,
		MaxResponseHeaderBytes: o.MaxHeader,
		ResponseHeaderTimeout:  o.Timeout,
		TLSHandshakeTimeout:    o.Timeout,
		// Trust is judged from the certificates afterwards, so a bad
		// certificate is a fact, not a failed request.
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS10, CipherSuites: all},
	}
	return &Fetcher{o: o, tr: tr}
}

// Close releases idle resources.
func (f *Fetcher) Close() { f.tr.CloseIdleConnections() }

// Hop is one request and its response.
type Hop struct {
	URL    string      `json:"url"`
	Status int         `json:"status"`
	Header http.Header `json:"-"`
	// Certificates served on this hop (HTTPS only).
	Certificates []*x509.Certificate `json:"-"`
	TLSVersion   uint16              `json:"-"`
}

// Fetch is a followed chain of requests.
type Fetch struct {
	Start string `json:"start"`
	Hops  []Hop  `json:"hops"`
	Body  []byte `json:"-"` // of the last hop, up to MaxBody
	Err   string `json:"error,omitempty"`
}

// Live says whether the first request got an HTTP response.
func (f *Fetch) Live() bool { return len(f.Hops) > 0 }

// First returns the first hop (nil when not live).
func (f *Fetch) First() *Hop {
	if len(f.Hops) == 0 {
		return nil
	}
	return &f.Hops[0]
}

// Last returns the last hop (nil when not live).
func (f *Fetch) Last() *Hop {
	if len(f.Hops) == 0 {
		return nil
	}
	return &f.Hops[len(f.Hops)-1]
}

// ErrTooManyRedirects ends a chain longer than MaxRedirects.
var ErrTooManyRedirects = errors.New("too many redirects")

// Get fetches rawURL and follows redirects (any scheme, any host) up to the
// limit; keepBody keeps the last body.
func (f *Fetcher) Get(ctx context.Context, rawURL string, keepBody bool) *Fetch {
	out := &Fetch{Start: rawURL}
	cur := rawURL
	for i := 0; ; i++ {
		if i > f.o.MaxRedirects {
			out.Err = fmt.Sprintf("%v: more than %d", ErrTooManyRedirects, f.o.MaxRedirects)
			return out
		}
		hop, next, body, err := f.one(ctx, cur, keepBody)
		if err != nil {
			out.Err = err.Error()
			return out
		}
		out.Hops = append(out.Hops, hop)
		if next == "" {
			out.Body = body
			return out
		}
		cur = next
	}
}

func (f *Fetcher) one(ctx context.Context, u string, keepBody bool) (Hop, string, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, f.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Hop{}, "", nil, err
	}
	req.Header.Set("User-Agent", f.o.UserAgent)
	req.Header.Set("Accept", "text/html,*/*;q=0.8")
	if f.o.Origin != "" {
		req.Header.Set("Origin", f.o.Origin)
	}
	resp, err := f.tr.RoundTrip(req)
	if err != nil {
		return Hop{}, "", nil, cleanErr(u, err, f.o.Timeout)
	}
	defer resp.Body.Close()
	hop := Hop{URL: u, Status: resp.StatusCode, Header: resp.Header}
	if resp.TLS != nil {
		hop.Certificates = resp.TLS.PeerCertificates
		hop.TLSVersion = resp.TLS.Version
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		if loc := resp.Header.Get("Location"); loc != "" {
			base, _ := url.Parse(u)
			ref, err := url.Parse(strings.TrimSpace(loc))
			if err != nil {
				return hop, "", nil, fmt.Errorf("%s: bad Location %q", u, loc)
			}
			next := base.ResolveReference(ref)
			if next.Scheme != "http" && next.Scheme != "https" {
				return hop, "", nil, nil
			}
			return hop, next.String(), nil, nil
		}
	}
	var body []byte
	if keepBody {
		body, err = io.ReadAll(io.LimitReader(resp.Body, f.o.MaxBody))
		if err != nil {
			return hop, "", body, cleanErr(u, err, f.o.Timeout)
		}
	}
	return hop, "", body, nil
}

// cleanErr turns transport errors into one clear line.
func cleanErr(u string, err error, timeout time.Duration) error {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return fmt.Errorf("%s: no complete answer within %s", u, timeout)
	case strings.Contains(err.Error(), "headers exceeded") || strings.Contains(err.Error(), "too long"):
		return fmt.Errorf("%s: response headers larger than allowed: %v", u, err)
	}
	return fmt.Errorf("%s: %w", u, err)
}
