package taxii

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Client polls TAXII 2.1 servers.
type Client struct {
	// HTTP defaults to a client with a 60 s timeout.
	HTTP *http.Client
	// Username and Password give HTTP Basic authentication; Token, if
	// set, a bearer token instead.
	Username, Password string
	Token              string
	// PageSize is the limit asked for each page (default 500).
	PageSize int
	// MaxPages bounds one Poll (default 10,000), so a server that keeps
	// answering more=true cannot hold it forever.
	MaxPages int
	// MaxBody bounds one answer (default 64 MiB).
	MaxBody int64
}

// HTTPError is an answer other than 200, with the server's error message.
type HTTPError struct {
	URL     string
	Status  int
	Message ErrorMessage
}

func (e *HTTPError) Error() string {
	s := fmt.Sprintf("taxii: GET %s: %d %s", e.URL, e.Status, http.StatusText(e.Status))
	if e.Message.Title != "" {
		s += ": " + e.Message.Title
	}
	if e.Message.Description != "" {
		s += ": " + e.Message.Description
	}
	return s
}

var defaultClient = &http.Client{Timeout: 60 * time.Second}

// get fetches u and returns the body and the headers.
func (c *Client) get(ctx context.Context, u string) ([]byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("taxii: %w", err)
	}
	req.Header.Set("Accept", MediaType)
	switch {
	case c.Token != "":
		req.Header.Set("Authorization", "Bearer "+c.Token)
	case c.Username != "":
		req.SetBasicAuth(c.Username, c.Password)
	}
	hc := c.HTTP
	if hc == nil {
		hc = defaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("taxii: GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	max := c.MaxBody
	if max <= 0 {
		max = 64 << 20
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, nil, fmt.Errorf("taxii: GET %s: %w", u, err)
	}
	if int64(len(body)) > max {
		return nil, nil, fmt.Errorf("taxii: GET %s: answer larger than %d bytes", u, max)
	}
	if resp.StatusCode != http.StatusOK {
		e := &HTTPError{URL: u, Status: resp.StatusCode}
		json.Unmarshal(body, &e.Message)
		return nil, nil, e
	}
	if ct := resp.Header.Get("Content-Type"); !isTAXII(ct) {
		return nil, nil, fmt.Errorf("taxii: GET %s: answer is %q, not %s", u, ct, MediaType)
	}
	return body, resp.Header, nil
}

func (c *Client) getJSON(ctx context.Context, u string, v any) (http.Header, error) {
	body, h, err := c.get(ctx, u)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return nil, fmt.Errorf("taxii: GET %s: %w", u, err)
	}
	return h, nil
}

// Discover reads a server's discovery resource (e.g.
// https://taxii.example/taxii2/). API root addresses in it are made
// absolute.
func (c *Client) Discover(ctx context.Context, discoveryURL string) (*Discovery, error) {
	var d Discovery
	if _, err := c.getJSON(ctx, discoveryURL, &d); err != nil {
		return nil, err
	}
	base, err := url.Parse(discoveryURL)
	if err != nil {
		return nil, err
	}
	for i, r := range d.APIRoots {
		d.APIRoots[i] = resolve(base, r)
	}
	if d.Default != "" {
		d.Default = resolve(base, d.Default)
	}
	return &d, nil
}

func resolve(base *url.URL, ref string) string {
	u, err := url.Parse(ref)
	if err != nil {
		return ref
	}
	r := base.ResolveReference(u).String()
	if r[len(r)-1] != '/' {
		r += "/"
	}
	return r
}

// APIRoot reads an API root's information.
func (c *Client) APIRoot(ctx context.Context, rootURL string) (*APIRoot, error) {
	var a APIRoot
	if _, err := c.getJSON(ctx, rootURL, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// Collections lists an API root's collections.
func (c *Client) Collections(ctx context.Context, rootURL string) ([]Collection, error) {
	var out struct {
		Collections []Collection `json:"collections"`
	}
	if _, err := c.getJSON(ctx, join(rootURL, "collections/"), &out); err != nil {
		return nil, err
	}
	return out.Collections, nil
}

func join(base, rel string) string {
	if base == "" || base[len(base)-1] != '/' {
		base += "/"
	}
	return base + rel
}

// Poll reads the objects of a collection added after addedAfter (all when
// zero), page by page, calling fn with each page's envelope (a document
// stix.NewReader reads like a bundle) and the page's objects. It follows
// next while more is true; a server that answers more without next is
// paged by added_after from its X-TAXII-Date-Added-Last. It returns the
// date-added of the last object read (addedAfter if none), the
// addedAfter of the next poll.
func (c *Client) Poll(ctx context.Context, rootURL, collection string, addedAfter time.Time, fn func(envelope []byte, objects int) error) (time.Time, error) {
	size := c.PageSize
	if size <= 0 {
		size = 500
	}
	maxPages := c.MaxPages
	if maxPages <= 0 {
		maxPages = 10_000
	}
	last := addedAfter
	next := ""
	seen := map[string]bool{}
	for page := 0; ; page++ {
		if page == maxPages {
			return last, fmt.Errorf("taxii: collection %s: still more after %d pages", collection, maxPages)
		}
		q := url.Values{"limit": {strconv.Itoa(size)}}
		if !last.IsZero() {
			q.Set("added_after", FormatTime(last))
		}
		if next != "" {
			// Paging by next keeps the original query.
			q.Set("next", next)
			if !addedAfter.IsZero() {
				q.Set("added_after", FormatTime(addedAfter))
			} else {
				q.Del("added_after")
			}
		}
		u := join(rootURL, "collections/"+url.PathEscape(collection)+"/objects/") + "?" + q.Encode()
		body, h, err := c.get(ctx, u)
		if err != nil {
			return last, err
		}
		var env Envelope
		if err := json.Unmarshal(body, &env); err != nil {
			return last, fmt.Errorf("taxii: GET %s: not an envelope: %w", u, err)
		}
		if len(env.Objects) > 0 {
			if err := fn(body, len(env.Objects)); err != nil {
				return last, err
			}
		}
		if l := h.Get(HeaderDateAddedLast); l != "" {
			t, err := ParseTime(l)
			if err != nil {
				return last, fmt.Errorf("taxii: GET %s: %s: %w", u, HeaderDateAddedLast, err)
			}
			if t.After(last) {
				last = t
			}
		}
		if !env.More {
			return last, nil
		}
		if env.Next != "" {
			if seen[env.Next] {
				return last, fmt.Errorf("taxii: collection %s: the server gave next=%q twice", collection, env.Next)
			}
			seen[env.Next] = true
			next = env.Next
			continue
		}
		// more without next: page by added_after.
		if h.Get(HeaderDateAddedLast) == "" || len(env.Objects) == 0 {
			return last, errors.New("taxii: the server says there is more but gives neither next nor " + HeaderDateAddedLast)
		}
		next = ""
		addedAfter = last
	}
}
