package misp

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/intel"
)

// Getter fetches one file of a feed by name: "manifest.json" or
// "<event uuid>.json".
type Getter interface {
	Get(ctx context.Context, name string) (io.ReadCloser, error)
}

// HTTPGetter reads a feed published over HTTP(S), as MISP serves them.
type HTTPGetter struct {
	BaseURL string       // the folder holding manifest.json
	Client  *http.Client // nil: a client with a 60 s timeout
	Header  http.Header  // e.g. Authorization
}

var defaultClient = &http.Client{Timeout: 60 * time.Second}

// Get fetches BaseURL/name; a status other than 200 is an error.
func (g *HTTPGetter) Get(ctx context.Context, name string) (io.ReadCloser, error) {
	u, err := url.JoinPath(g.BaseURL, name)
	if err != nil {
		return nil, fmt.Errorf("feed URL: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	for k, vs := range g.Header {
		req.Header[k] = vs
	}
	c := g.Client
	if c == nil {
		c = defaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return resp.Body, nil
}

// FSGetter reads a feed from a folder (a mirror, or a test).
type FSGetter struct{ FS fs.FS }

// Get opens name in the folder.
func (g FSGetter) Get(_ context.Context, name string) (io.ReadCloser, error) {
	return g.FS.Open(name)
}

func readAll(ctx context.Context, g Getter, name string) ([]byte, error) {
	rc, err := g.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, MaxEventBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(b) > MaxEventBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, MaxEventBytes)
	}
	return b, nil
}

// ReadFeed reads a MISP feed: its manifest, then every event whose
// timestamp is after since (all when since is zero), oldest first, calling
// fn with each event and its indicators. It returns what it counted and
// the newest event timestamp of the manifest, the since of the next poll.
// A manifest that cannot be read is an error; an event that cannot be
// read is listed in the result's errors and the others go on.
func ReadFeed(ctx context.Context, g Getter, since time.Time, opts Options, fn func(*Event, []intel.Indicator) error) (*Result, time.Time, error) {
	res := &Result{}
	mb, err := readAll(ctx, g, "manifest.json")
	if err != nil {
		return res, since, fmt.Errorf("feed manifest: %w", err)
	}
	man, err := ParseManifest(mb)
	if err != nil {
		return res, since, err
	}
	type item struct {
		id string
		ts time.Time
	}
	var todo []item
	latest := since
	for id, e := range man {
		if e.Timestamp.After(latest) {
			latest = e.Timestamp.Time
		}
		if since.IsZero() || e.Timestamp.After(since) {
			todo = append(todo, item{id, e.Timestamp.Time})
		}
	}
	sort.Slice(todo, func(i, j int) bool {
		if !todo[i].ts.Equal(todo[j].ts) {
			return todo[i].ts.Before(todo[j].ts)
		}
		return todo[i].id < todo[j].id
	})
	var firstFailed time.Time
	for _, it := range todo {
		if err := ctx.Err(); err != nil {
			return res, since, err
		}
		b, err := readAll(ctx, g, strings.ToLower(it.id)+".json")
		var ev *Event
		if err == nil {
			ev, err = ParseEvent(b)
		}
		if err != nil {
			res.Errors = append(res.Errors, fmt.Sprintf("event %s: %v", it.id, err))
			if firstFailed.IsZero() {
				firstFailed = it.ts
			}
			continue
		}
		inds := EventIndicators(ev, opts, res)
		if err := fn(ev, inds); err != nil {
			return res, since, err
		}
	}
	if !firstFailed.IsZero() {
		// Read the failed events (and what came after them) again at the
		// next poll.
		latest = firstFailed.Add(-time.Second)
	}
	return res, latest, nil
}
