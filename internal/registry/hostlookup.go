package registry

import (
	"context"
	"net"
	"strings"

	"github.com/kubu-gov/kubu/internal/store"
)

// Hosts answers which system owns a hostname, for every feature that
// routes by host: VDP reports (disclosure), alerts (detect), scans. It
// reads the hostnames table on every call (one indexed query), so a claim
// or a move counts at once on every node. It does no access check: never
// hand its answers to a caller unchecked.
type Hosts struct{ db *store.DB }

// NewHosts returns the lookup over db.
func NewHosts(db *store.DB) *Hosts { return &Hosts{db: db} }

// Owner is the system that owns a host, and the hostname record that
// matched (the host itself, or the closest wildcard above it).
type Owner struct {
	Hostname  string
	SystemID  string
	AgencyID  string
	AssetType string
}

// HostOf reduces what an event or a URL names as its host to a hostname:
// no port, no brackets, lower case, no trailing dot.
func HostOf(s string) string {
	s = strings.TrimSpace(s)
	if h, _, err := net.SplitHostPort(s); err == nil {
		s = h
	}
	return NormalizeHostname(strings.Trim(s, "[]"))
}

// Lookup finds the system owning host: the record of the exact name, else
// the closest wildcard above it ("*.a.example" before "*.example"). ok is
// false when no system owns it.
func (h *Hosts) Lookup(ctx context.Context, host string) (o Owner, ok bool, err error) {
	host = HostOf(host)
	if host == "" || len(host) > 253 || strings.HasPrefix(host, "*") {
		return Owner{}, false, nil
	}
	names := append([]string{host}, wildcardsOver(host)...)
	var w store.Where
	w.In("h.name", names)
	rows, err := h.db.R().QueryContext(ctx, `SELECT h.name, h.system_id, s.agency_id, s.asset_type FROM hostnames h
		JOIN systems s ON s.id = h.system_id`+w.SQL(), w.Args()...)
	if err != nil {
		return Owner{}, false, err
	}
	defer rows.Close()
	best := len(names)
	for rows.Next() {
		var x Owner
		if err := rows.Scan(&x.Hostname, &x.SystemID, &x.AgencyID, &x.AssetType); err != nil {
			return Owner{}, false, err
		}
		// names is ordered closest first: the exact name, then wildcards
		// from the nearest parent up.
		if i := indexOf(names, x.Hostname); i < best {
			best, o, ok = i, x, true
		}
	}
	return o, ok, rows.Err()
}

// Conflicts counts the hostnames that several systems listed before
// hostnames became records (migration …_hostnames.sql): the earliest system kept each, the
// others lost it. kubu serve logs the count at start.
func (h *Hosts) Conflicts(ctx context.Context) (int, error) {
	var n int
	err := h.db.R().QueryRowContext(ctx, `SELECT COUNT(*) FROM hostname_conflicts`).Scan(&n)
	return n, err
}

// All lists every hostname record with its owner, by name: exact names and
// wildcards (Owner.Hostname is the record's name). Scanning reads its
// targets from it.
func (h *Hosts) All(ctx context.Context) ([]Owner, error) {
	rows, err := h.db.R().QueryContext(ctx, `SELECT h.name, h.system_id, s.agency_id, s.asset_type FROM hostnames h
		JOIN systems s ON s.id = h.system_id ORDER BY h.name`)
	if err != nil {
		return nil, err
	}
	return store.Collect(rows, func(sc store.Scanner) (Owner, error) {
		var o Owner
		return o, sc.Scan(&o.Hostname, &o.SystemID, &o.AgencyID, &o.AssetType)
	})
}
