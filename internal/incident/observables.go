package incident

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/intel"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/validate"
)

// ObservableTypes are the kinds of observable (contract §6).
var ObservableTypes = []string{"ipv4", "ipv6", "cidr", "domain", "url", "email", "sha256", "sha1", "md5", "account"}

// TLPs are the Traffic Light Protocol 2.0 labels (FIRST).
var TLPs = []string{"clear", "green", "amber", "amber+strict", "red"}

// restricted reports whether a TLP keeps an observable within the
// organisation that added it: amber+strict and red observables are shown
// to central roles and the adding agency only.
func restricted(tlp string) bool { return tlp == "amber+strict" || tlp == "red" }

// NormaliseObservable checks an observable's value for its type and
// returns it in one canonical form, so that the same thing written two
// ways is one observable — the canonical form of threat intelligence
// (intel.Normalise), so that an incident's observables and kubu's
// indicators compare equal: addresses and networks as netip writes them,
// domains and email addresses in lower case without a trailing dot or
// wildcard, URLs normalised, hashes in lower-case hex. Accounts are kept as
// written (trimmed).
func NormaliseObservable(typ, value string) (string, error) {
	v := strings.TrimSpace(value)
	if v == "" {
		return "", errors.New("is required")
	}
	if len(v) > 2048 || !utf8.ValidString(v) {
		return "", errors.New("must be at most 2048 bytes of UTF-8")
	}
	if strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return "", errors.New("must not contain control characters")
	}
	switch typ {
	case "ipv4", "ipv6", "cidr":
		n, err := intel.Normalise(intel.IP, v)
		if err != nil {
			return "", errors.New("is not an IP address or network")
		}
		p, err := intel.ParseIP(n)
		if err != nil {
			return "", errors.New("is not an IP address or network")
		}
		single := !strings.Contains(n, "/")
		switch {
		case typ == "ipv4" && !(single && p.Addr().Is4()):
			return "", errors.New("is not an IPv4 address")
		case typ == "ipv6" && !(single && p.Addr().Is6()):
			return "", errors.New("is not an IPv6 address")
		case typ == "cidr" && single:
			n = p.String() // a network of one address keeps its length
		}
		return n, nil
	case "domain", "url", "email", "sha256", "sha1", "md5":
		n, err := intel.Normalise(intel.Type(typ), v)
		if err != nil {
			msg := err.Error()
			if i := strings.LastIndex(msg, ": "); i >= 0 {
				msg = msg[i+2:]
			}
			return "", fmt.Errorf("is not a valid %s (%s)", typ, msg)
		}
		return n, nil
	case "account":
		if len(v) > 256 {
			return "", errors.New("must be at most 256 bytes")
		}
		return v, nil
	}
	return "", fmt.Errorf("unknown type %q", typ)
}

// Observable is something seen in an incident: an address, a domain, a
// hash, an account…, with its TLP, and where else it was seen.
type Observable struct {
	ID         string    `json:"id"`
	IncidentID string    `json:"incident_id"`
	Type       string    `json:"type"`
	Value      string    `json:"value"`
	TLP        string    `json:"tlp"`
	CreatedBy  string    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
	Duplicate  bool      `json:"duplicate,omitempty"` // the add found it already there
	Seen       *Sighting `json:"seen,omitempty"`
}

// Sighting is where else an observable was seen, among what the caller
// may see: other incidents and alerts (whose grouping fields, such as the
// host, carry it; the last 90 days).
type Sighting struct {
	Incidents []SeenIncident `json:"incidents"`
	Alerts    []SeenAlert    `json:"alerts"`
}

// SeenIncident is another incident with the same observable.
type SeenIncident struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Status string `json:"status"`
}

// SeenAlert is an alert whose grouping fields carry the observable.
type SeenAlert struct {
	ID        string    `json:"id"`
	RuleTitle string    `json:"rule_title"`
	Agency    string    `json:"agency"`
	LastSeen  time.Time `json:"last_seen"`
}

// NewObservable is the input to AddObservable.
type NewObservable struct {
	Type  string `json:"type"`
	Value string `json:"value"`
	TLP   string `json:"tlp"`
}

// AddObservable adds an observable to an incident. The same type and
// value (after normalising) is stored once per incident: adding it again
// answers the one there (Duplicate).
func (s *Service) AddObservable(ctx context.Context, a authz.Actor, incidentID string, in NewObservable) (Observable, error) {
	var v validate.Errors
	v.OneOf("type", in.Type, ObservableTypes)
	if in.TLP == "" {
		in.TLP = "amber"
	}
	in.TLP = strings.ToLower(in.TLP)
	v.OneOf("tlp", in.TLP, TLPs)
	value := in.Value
	if slices.Contains(ObservableTypes, in.Type) {
		var err error
		if value, err = NormaliseObservable(in.Type, in.Value); err != nil {
			v.Add("value", "%s", err.Error())
		}
	}
	var out Observable
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		r, err := s.writable(ctx, tx, a, authz.IncidentUpdate, incidentID)
		if err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		l := lensOf(a)
		existing, err := scanObservable(tx.QueryRowContext(ctx, `SELECT `+observableCols+` FROM incident_observables o
			WHERE o.incident_id = $1 AND o.type = $2 AND o.value = $3`, r.id, in.Type, value))
		if err == nil && l.seesEntry(existing.vis) {
			out = existing.Observable
			out.Duplicate = true
			return nil
		}
		if err != nil && !errors.Is(err, authz.ErrNotFound) {
			return err
		}
		if err == nil {
			// There, but hidden from this caller by its TLP: say nothing
			// of it and record nothing twice.
			out = Observable{IncidentID: r.id, Type: in.Type, Value: value, TLP: in.TLP, Duplicate: true}
			return nil
		}
		vis := ""
		if restricted(in.TLP) {
			vis = "-"
			if !l.all {
				vis = l.agency
			}
		}
		now := s.stamp()
		out = Observable{ID: id.New(), IncidentID: r.id, Type: in.Type, Value: value, TLP: in.TLP, CreatedBy: a.AuditActor().Label, CreatedAt: now}
		if _, err := tx.ExecContext(ctx, `INSERT INTO incident_observables (id, incident_id, type, value, tlp, visible_to, created_by, created_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`, out.ID, r.id, out.Type, out.Value, out.TLP, vis, a.UserID, now.UnixMilli()); err != nil {
			if store.IsUniqueViolation(err) {
				return fmt.Errorf("%w: the observable was added at the same moment; try again", validate.ErrConflict)
			}
			return err
		}
		text := fmt.Sprintf("Observable added: %s %s (TLP:%s)", out.Type, out.Value, strings.ToUpper(out.TLP))
		if err := s.addEntry(ctx, tx, r.id, entry{kind: KindObservable, actor: a.AuditActor(), visibleTo: vis, text: text}); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: ObservableAdded, Actor: a.AuditActor(), AgencyID: r.firstAgency(), TargetType: "incident",
			TargetID: r.id, After: map[string]any{"observable_id": out.ID, "type": out.Type, "value_sha256": sha256Hex(out.Value), "tlp": out.TLP}})
		return err
	})
	return out, err
}

const observableCols = `o.id, o.incident_id, o.type, o.value, o.tlp, o.visible_to, COALESCE((SELECT email FROM users u WHERE u.id = o.created_by), o.created_by), o.created_at`

type observableRow struct {
	Observable
	vis string
}

func scanObservable(sc interface{ Scan(...any) error }) (observableRow, error) {
	var o observableRow
	var at int64
	err := sc.Scan(&o.ID, &o.IncidentID, &o.Type, &o.Value, &o.TLP, &o.vis, &o.CreatedBy, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return o, authz.ErrNotFound
	}
	o.CreatedAt = ms(at)
	return o, err
}

// Observables lists an incident's observables the caller may see, each
// with where else it was seen.
func (s *Service) Observables(ctx context.Context, a authz.Actor, incidentID string) ([]Observable, error) {
	r, err := s.readable(ctx, a, incidentID)
	if err != nil {
		return nil, err
	}
	return s.observables(ctx, a, r.id, true)
}

func (s *Service) observables(ctx context.Context, a authz.Actor, incidentID string, sightings bool) ([]Observable, error) {
	l := lensOf(a)
	rows, err := s.db.R().QueryContext(ctx, `SELECT `+observableCols+` FROM incident_observables o WHERE o.incident_id = $1 ORDER BY o.type, o.value`, incidentID)
	if err != nil {
		return nil, err
	}
	var out []Observable
	for rows.Next() {
		o, err := scanObservable(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		if l.seesEntry(o.vis) {
			out = append(out, o.Observable)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if out == nil {
		out = []Observable{}
	}
	if sightings {
		for i := range out {
			seen, err := s.sightings(ctx, a, out[i])
			if err != nil {
				return nil, err
			}
			out[i].Seen = &seen
		}
	}
	return out, nil
}

// sightings finds where else an observable was seen, among what a may see.
func (s *Service) sightings(ctx context.Context, a authz.Actor, o Observable) (Sighting, error) {
	seen := Sighting{Incidents: []SeenIncident{}, Alerts: []SeenAlert{}}
	l := lensOf(a)
	var w store.Where
	w.And("o.type = " + w.Arg(o.Type))
	w.And("o.value = " + w.Arg(o.Value))
	w.And("o.incident_id <> " + w.Arg(o.IncidentID))
	authz.ScopeOf(a, authz.IncidentRead).WhereAgencies(&w, func(ph string) string {
		return "EXISTS (SELECT 1 FROM incident_agencies ia WHERE ia.incident_id = i.id AND ia.agency_id = " + ph + ")"
	})
	rows, err := s.db.R().QueryContext(ctx, `SELECT i.id, i.title, i.status, o.visible_to FROM incident_observables o JOIN incidents i ON i.id = o.incident_id`+
		w.SQL()+` ORDER BY i.id DESC LIMIT 20`, w.Args()...)
	if err != nil {
		return seen, err
	}
	for rows.Next() {
		var si SeenIncident
		var vis string
		if err := rows.Scan(&si.ID, &si.Title, &si.Status, &vis); err != nil {
			rows.Close()
			return seen, err
		}
		if l.seesEntry(vis) {
			seen.Incidents = append(seen.Incidents, si)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return seen, err
	}
	if sc := authz.ScopeOf(a, authz.AlertRead); !sc.None() {
		var aw store.Where
		aw.And("id >= " + aw.Arg(id.Floor(s.now().Add(-90*24*time.Hour))))
		aw.And("group_fields LIKE " + aw.Arg(`%"`+store.LikeEscape(jsonString(o.Value))+`"%`) + ` ESCAPE '\'`)
		sc.Where(&aw, "agency_id", "")
		rows, err := s.db.R().QueryContext(ctx, `SELECT id, rule_title, agency, last_seen FROM alerts`+aw.SQL()+` ORDER BY id DESC LIMIT 20`, aw.Args()...)
		if err != nil {
			return seen, err
		}
		defer rows.Close()
		for rows.Next() {
			var sa SeenAlert
			var last int64
			if err := rows.Scan(&sa.ID, &sa.RuleTitle, &sa.Agency, &last); err != nil {
				return seen, err
			}
			sa.LastSeen = ms(last)
			seen.Alerts = append(seen.Alerts, sa)
		}
		return seen, rows.Err()
	}
	return seen, nil
}

// jsonString is s as it appears inside a JSON string (the grouping
// fields are stored as JSON).
func jsonString(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
