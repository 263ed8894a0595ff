package indicators

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/intel"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/validate"
)

// Indicator is one stored observable of an indicator, with its hits.
type Indicator struct {
	ID         string     `json:"id"`      // this row
	STIXID     string     `json:"stix_id"` // the indicator at its source (alerts' rule_id)
	Type       string     `json:"type"`
	Value      string     `json:"value"`
	Name       string     `json:"name,omitempty"`
	Creator    string     `json:"creator,omitempty"`
	Source     string     `json:"source"`
	ValidFrom  *time.Time `json:"valid_from,omitempty"`
	ValidUntil *time.Time `json:"valid_until,omitempty"`
	Confidence int        `json:"confidence"` // 0–100; -1 when the source gave none
	TLP        string     `json:"tlp,omitempty"`
	Labels     []string   `json:"labels"`
	Active     bool       `json:"active"`
	Hits       int64      `json:"hits"`
	LastHitAt  *time.Time `json:"last_hit_at,omitempty"`
	AddedAt    time.Time  `json:"added_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

const indicatorCols = `i.id, i.stix_id, i.type, i.value, i.name, i.creator, s.name, i.valid_from, i.valid_until, i.confidence, i.tlp, i.labels,
	i.added_at, i.updated_at, COALESCE(h.hits, 0), h.last_hit_at`

const indicatorFrom = ` FROM intel_indicators i JOIN intel_sources s ON s.id = i.source_id LEFT JOIN intel_hits h ON h.stix_id = i.stix_id`

func (s *Service) scanIndicator(sc interface{ Scan(...any) error }) (Indicator, error) {
	var in Indicator
	var from, added, updated int64
	var until, lastHit sql.NullInt64
	var labels string
	err := sc.Scan(&in.ID, &in.STIXID, &in.Type, &in.Value, &in.Name, &in.Creator, &in.Source, &from, &until, &in.Confidence, &in.TLP,
		&labels, &added, &updated, &in.Hits, &lastHit)
	if errors.Is(err, sql.ErrNoRows) {
		return Indicator{}, authz.ErrNotFound
	}
	if err != nil {
		return Indicator{}, err
	}
	if from != 0 {
		t := time.UnixMilli(from).UTC()
		in.ValidFrom = &t
	}
	in.ValidUntil, in.LastHitAt = nullMS(until), nullMS(lastHit)
	in.AddedAt, in.UpdatedAt = time.UnixMilli(added).UTC(), time.UnixMilli(updated).UTC()
	json.Unmarshal([]byte(labels), &in.Labels)
	if in.Labels == nil {
		in.Labels = []string{}
	}
	now := s.now()
	in.Active = (in.ValidFrom == nil || !now.Before(*in.ValidFrom)) && (in.ValidUntil == nil || now.Before(*in.ValidUntil))
	return in, nil
}

// restrictedTLP are the levels shared only with the national team (those
// who hold intel.manage): TLP:RED is for named recipients, TLP:AMBER+STRICT
// for the receiving organisation only.
var restrictedTLP = []string{string(intel.TLPRed), string(intel.TLPAmberStrict)}

// seesRestricted reports whether a may see indicators of restricted TLP.
func seesRestricted(a authz.Actor) bool {
	return authz.Allowed(a, authz.IntelManage, authz.Collection())
}

// Filter narrows Indicators.
type Filter struct {
	Type   string
	Value  string // a substring of the value (case-insensitive)
	Source string // a source name
	STIXID string
	Active *bool
	Cursor string
	Limit  int
}

// Indicators lists stored indicators, newest first, with their hits.
func (s *Service) Indicators(ctx context.Context, a authz.Actor, f Filter) (store.Page[Indicator], error) {
	if err := authz.Check(a, authz.IntelRead, authz.Collection()); err != nil {
		return store.Page[Indicator]{}, err
	}
	var v validate.Errors
	if f.Type != "" && !intel.Type(f.Type).Valid() {
		v.Add("type", "must be one of ip, domain, url, email, md5, sha1, sha256, sha512")
	}
	if err := v.Err(); err != nil {
		return store.Page[Indicator]{}, err
	}
	var w store.Where
	if !seesRestricted(a) {
		w.And("i.tlp NOT IN (" + w.Arg(restrictedTLP[0]) + "," + w.Arg(restrictedTLP[1]) + ")")
	}
	if f.Type != "" {
		w.And("i.type = " + w.Arg(f.Type))
	}
	if f.Value != "" {
		w.And("i.value " + s.db.Dialect.ILike + " " + w.Arg("%"+store.LikeEscape(strings.TrimSpace(f.Value))+"%") + ` ESCAPE '\'`)
	}
	if f.Source != "" {
		w.And("s.name = " + w.Arg(f.Source))
	}
	if f.STIXID != "" {
		w.And("i.stix_id = " + w.Arg(f.STIXID))
	}
	if f.Active != nil {
		now := w.Arg(s.now().UnixMilli())
		cond := "(i.valid_until IS NULL OR i.valid_until > " + now + ") AND i.valid_from <= " + now
		if *f.Active {
			w.And(cond)
		} else {
			w.And("NOT (" + cond + ")")
		}
	}
	if f.Cursor != "" {
		var last string
		if err := store.DecodeCursor(f.Cursor, &last); err != nil {
			return store.Page[Indicator]{}, err
		}
		w.And("i.id < " + w.Arg(last))
	}
	limit := store.Limit(f.Limit)
	rows, err := s.db.R().QueryContext(ctx, `SELECT `+indicatorCols+indicatorFrom+w.SQL()+` ORDER BY i.id DESC LIMIT `+w.Arg(limit+1), w.Args()...)
	if err != nil {
		return store.Page[Indicator]{}, err
	}
	defer rows.Close()
	page := store.Page[Indicator]{Items: []Indicator{}}
	for rows.Next() {
		in, err := s.scanIndicator(rows)
		if err != nil {
			return store.Page[Indicator]{}, err
		}
		page.Items = append(page.Items, in)
	}
	if err := rows.Err(); err != nil {
		return store.Page[Indicator]{}, err
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.NextCursor = store.EncodeCursor(page.Items[limit-1].ID)
	}
	return page, nil
}

// Indicator returns one stored indicator the caller may see.
func (s *Service) Indicator(ctx context.Context, a authz.Actor, id string) (Indicator, error) {
	if err := authz.Check(a, authz.IntelRead, authz.Collection()); err != nil {
		return Indicator{}, err
	}
	in, err := s.scanIndicator(s.db.R().QueryRowContext(ctx, `SELECT `+indicatorCols+indicatorFrom+` WHERE i.id = $1`, id))
	if err != nil {
		return Indicator{}, err
	}
	if !seesRestricted(a) && (in.TLP == restrictedTLP[0] || in.TLP == restrictedTLP[1]) {
		return Indicator{}, authz.ErrNotFound
	}
	return in, nil
}

// Retire ends an indicator's validity now: it stops matching on every
// node within a second or two.
func (s *Service) Retire(ctx context.Context, a authz.Actor, id string) (Indicator, error) {
	if err := authz.Check(a, authz.IntelManage, authz.Collection()); err != nil {
		return Indicator{}, err
	}
	in, err := s.Indicator(ctx, a, id)
	if err != nil {
		return Indicator{}, err
	}
	if !in.Active && in.ValidUntil != nil && !in.ValidUntil.After(s.now()) {
		return in, nil
	}
	now := s.stamp()
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE intel_indicators SET valid_until = $1, updated_at = $1 WHERE id = $2`, now.UnixMilli(), id); err != nil {
			return err
		}
		if err := bumpVersion(ctx, tx); err != nil {
			return err
		}
		_, err := s.audit.Append(ctx, tx, audit.Entry{Code: Retired, Actor: a.AuditActor(), TargetType: "indicator", TargetID: id,
			Before: map[string]any{"stix_id": in.STIXID, "type": in.Type, "value": in.Value, "valid_until": in.ValidUntil},
			After:  map[string]any{"valid_until": now}})
		return err
	})
	if err != nil {
		return Indicator{}, err
	}
	in.ValidUntil, in.Active = &now, false
	return in, nil
}

// NewIndicator is an indicator added by hand.
type NewIndicator struct {
	Type       string    `json:"type"`
	Value      string    `json:"value"`
	Name       string    `json:"name"`
	ValidUntil time.Time `json:"valid_until"` // zero: no end
	Confidence *int      `json:"confidence"`
	TLP        string    `json:"tlp"`
}

// Add stores an indicator added by hand (source "manual"), with a new
// STIX id.
func (s *Service) Add(ctx context.Context, a authz.Actor, in NewIndicator) (Indicator, error) {
	if err := authz.Check(a, authz.IntelManage, authz.Collection()); err != nil {
		return Indicator{}, err
	}
	var v validate.Errors
	obs, err := intel.NewObservable(intel.Type(in.Type), in.Value)
	if !intel.Type(in.Type).Valid() {
		v.Add("type", "must be one of ip, domain, url, email, md5, sha1, sha256, sha512")
	} else if err != nil {
		v.Add("value", "%s", err.Error())
	}
	v.MaxLen("name", in.Name, 500)
	conf := -1
	if in.Confidence != nil {
		if *in.Confidence < 0 || *in.Confidence > 100 {
			v.Add("confidence", "must be from 0 to 100")
		}
		conf = *in.Confidence
	}
	var tlp intel.TLP
	if in.TLP != "" {
		if tlp, err = intel.ParseTLP(in.TLP); err != nil {
			v.Add("tlp", "%s", err.Error())
		}
	}
	now := s.stamp()
	if !in.ValidUntil.IsZero() && !in.ValidUntil.After(now) {
		v.Add("valid_until", "must be in the future")
	}
	if err := v.Err(); err != nil {
		return Indicator{}, err
	}
	ind := intel.Indicator{ID: newSTIXID(), Observable: obs, Name: strings.TrimSpace(in.Name), Source: "manual", Creator: a.AuditActor().Label,
		ValidFrom: now, ValidUntil: in.ValidUntil.UTC(), Confidence: conf, Modified: now, TLP: tlp}
	res := newResult()
	im := s.newImporter(ctx, a.AuditActor(), "manual", KindManual, res)
	im.code = Added
	if err := im.add([]intel.Indicator{ind}); err != nil {
		return Indicator{}, err
	}
	if err := im.finish(); err != nil {
		return Indicator{}, err
	}
	var rowID string
	if err := s.db.R().QueryRowContext(ctx, `SELECT id FROM intel_indicators WHERE stix_id = $1`, ind.ID).Scan(&rowID); err != nil {
		return Indicator{}, fmt.Errorf("added indicator: %w", err)
	}
	return s.Indicator(ctx, a, rowID)
}

// newSTIXID returns a new STIX indicator id (a random version 4 UUID).
func newSTIXID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return "indicator--" + h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
