package disclosure

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/kubu-gov/kubu/internal/store"
)

// hostCache maps hostnames to the systems that own them, so that a public
// report's affected URL finds its system (and so its agency) without a
// table scan per submission. It is reloaded at most every ttl.
type hostCache struct {
	db  *store.DB
	ttl time.Duration

	mu      sync.Mutex
	loaded  time.Time
	exact   map[string]hostSystem
	suffix  map[string]hostSystem // "example.sg" for "*.example.sg"
	loading bool
}

type hostSystem struct {
	SystemID, AgencyID, AssetType string
}

func newHostCache(db *store.DB, ttl time.Duration) *hostCache {
	return &hostCache{db: db, ttl: ttl}
}

// lookup finds the system owning host (port removed), trying an exact
// name and then wildcard names of each parent domain.
func (c *hostCache) lookup(ctx context.Context, host string) (hostSystem, bool) {
	if h, _, ok := strings.Cut(host, ":"); ok && !strings.Contains(h, "[") {
		host = h
	}
	c.mu.Lock()
	stale := time.Since(c.loaded) > c.ttl
	first := c.exact == nil
	if stale && !c.loading {
		c.loading = true
		c.mu.Unlock()
		exact, suffix, err := c.load(ctx)
		c.mu.Lock()
		c.loading = false
		if err == nil {
			c.exact, c.suffix, c.loaded = exact, suffix, time.Now()
		}
	} else if first {
		c.mu.Unlock()
		return hostSystem{}, false // another caller is loading; no guess
	}
	defer c.mu.Unlock()
	if s, ok := c.exact[host]; ok {
		return s, true
	}
	for d := host; ; {
		i := strings.IndexByte(d, '.')
		if i < 0 {
			break
		}
		d = d[i+1:]
		if s, ok := c.suffix[d]; ok {
			return s, true
		}
	}
	return hostSystem{}, false
}

// invalidate makes the next lookup reload.
func (c *hostCache) invalidate() {
	c.mu.Lock()
	c.loaded = time.Time{}
	c.mu.Unlock()
}

func (c *hostCache) load(ctx context.Context) (map[string]hostSystem, map[string]hostSystem, error) {
	rows, err := c.db.R().QueryContext(ctx, `SELECT id, agency_id, asset_type, hostnames FROM systems`)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	exact, suffix := map[string]hostSystem{}, map[string]hostSystem{}
	for rows.Next() {
		var hs hostSystem
		var hosts string
		if err := rows.Scan(&hs.SystemID, &hs.AgencyID, &hs.AssetType, &hosts); err != nil {
			return nil, nil, err
		}
		var list []string
		json.Unmarshal([]byte(hosts), &list)
		for _, h := range list {
			h = strings.ToLower(strings.TrimSuffix(h, "."))
			if rest, ok := strings.CutPrefix(h, "*."); ok {
				suffix[rest] = hs
			} else {
				exact[h] = hs
			}
		}
	}
	return exact, suffix, rows.Err()
}
