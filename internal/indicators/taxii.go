package indicators

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/intel"
	"github.com/kubu-gov/kubu/internal/intel/stix"
	"github.com/kubu-gov/kubu/internal/intel/taxii"
	"github.com/kubu-gov/kubu/internal/store"
)

// CollectionID is the id of the TAXII collection of kubu's indicators.
const CollectionID = "5c0e4f7a-6b1d-4a8e-9c2f-6b75627531a0"

// TAXIICollections lists the collections the caller may read: kubu's
// indicators (restricted TLP left out for those who do not manage
// intelligence).
func (s *Service) TAXIICollections(ctx context.Context, a authz.Actor) ([]taxii.Collection, error) {
	if err := authz.Check(a, authz.IntelRead, authz.Collection()); err != nil {
		return nil, err
	}
	return []taxii.Collection{{ID: CollectionID, Title: "kubu indicators",
		Description: "Indicators of compromise held by kubu, one STIX indicator per source indicator, latest version",
		CanRead:     true, MediaTypes: []string{stix.MediaType}}}, nil
}

// taxiiCursor is where a page of objects ends: the change time and id of
// its last object.
type taxiiCursor struct {
	At int64  `json:"t"`
	ID string `json:"i"`
}

// TAXIIObjects returns a page of the collection's objects in the order
// they were last changed (TAXII's date_added is the time of the version
// served).
func (s *Service) TAXIIObjects(ctx context.Context, a authz.Actor, collection string, q taxii.Query) (taxii.Page, error) {
	if err := authz.Check(a, authz.IntelRead, authz.Collection()); err != nil {
		return taxii.Page{}, err
	}
	if collection != CollectionID {
		return taxii.Page{}, taxii.ErrNotFound
	}
	if len(q.Types) > 0 && !slices.Contains(q.Types, "indicator") {
		return taxii.Page{}, nil
	}
	limit := q.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	var w store.Where
	if !seesRestricted(a) {
		w.And("tlp NOT IN (" + w.Arg(restrictedTLP[0]) + "," + w.Arg(restrictedTLP[1]) + ")")
	}
	if !q.AddedAfter.IsZero() {
		w.And("updated_at > " + w.Arg(q.AddedAfter.UnixMilli()))
	}
	if q.Next != "" {
		var c taxiiCursor
		raw, err := base64.RawURLEncoding.DecodeString(q.Next)
		if err != nil || json.Unmarshal(raw, &c) != nil {
			return taxii.Page{}, fmt.Errorf("%w: bad next", taxii.ErrBadQuery)
		}
		w.And("(updated_at > " + w.Arg(c.At) + " OR (updated_at = " + w.Arg(c.At) + " AND stix_id > " + w.Arg(c.ID) + "))")
	}
	if len(q.IDs) > 0 {
		w.In("stix_id", q.IDs)
	}
	// Rows in change order. An object's place is its latest change: a
	// row of an object that changed again later is passed over here and
	// the object served where its latest row is.
	type cand struct {
		id string
		at int64
	}
	window := 4 * (limit + 1)
	rows, err := s.db.R().QueryContext(ctx, `SELECT stix_id, updated_at FROM intel_indicators`+w.SQL()+` ORDER BY updated_at, stix_id LIMIT `+
		w.Arg(window), w.Args()...)
	if err != nil {
		return taxii.Page{}, err
	}
	var cands []cand
	ids := map[string]bool{}
	var idList []string
	n := 0
	for rows.Next() {
		var c cand
		if err := rows.Scan(&c.id, &c.at); err != nil {
			rows.Close()
			return taxii.Page{}, err
		}
		n++
		if len(cands) > 0 && cands[len(cands)-1] == c {
			continue
		}
		cands = append(cands, c)
		if !ids[c.id] {
			ids[c.id] = true
			idList = append(idList, c.id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return taxii.Page{}, err
	}
	objs, err := s.stixObjects(ctx, idList)
	if err != nil {
		return taxii.Page{}, err
	}
	var page taxii.Page
	served := map[string]bool{}
	var last cand
	for _, c := range cands {
		o, ok := objs[c.id]
		if !ok || o.changed != c.at || served[c.id] {
			last = c
			continue
		}
		if len(page.Objects) == limit {
			page.More = true
			break
		}
		page.Objects = append(page.Objects, o.Object)
		served[c.id] = true
		last = c
	}
	if !page.More && n == window {
		page.More = true // the window ended before the rows did
	}
	if page.More {
		raw, _ := json.Marshal(taxiiCursor{At: last.at, ID: last.id})
		page.Next = base64.RawURLEncoding.EncodeToString(raw)
	}
	return page, nil
}

type stixObject struct {
	taxii.Object
	changed int64
}

// stixObjects builds the STIX indicator object of each id from all its
// rows.
func (s *Service) stixObjects(ctx context.Context, ids []string) (map[string]stixObject, error) {
	out := map[string]stixObject{}
	for i := 0; i < len(ids); i += rowsPerInsert {
		part := ids[i:min(i+rowsPerInsert, len(ids))]
		ph, args := placeholders(part, 1)
		rows, err := s.db.R().QueryContext(ctx, `SELECT stix_id, type, value, name, creator, valid_from, valid_until, confidence, tlp, labels,
			modified, updated_at FROM intel_indicators WHERE stix_id IN (`+ph+`) ORDER BY stix_id, type, value`, args...)
		if err != nil {
			return nil, err
		}
		byID := map[string][]intel.Indicator{}
		changed := map[string]int64{}
		var order []string
		for rows.Next() {
			var in intel.Indicator
			var typ, tlp, labels string
			var from, modified, updated int64
			var until sql.NullInt64
			if err := rows.Scan(&in.ID, &typ, &in.Value, &in.Name, &in.Creator, &from, &until, &in.Confidence, &tlp, &labels, &modified, &updated); err != nil {
				rows.Close()
				return nil, err
			}
			in.Type, in.TLP = intel.Type(typ), intel.TLP(tlp)
			in.ValidFrom, in.Modified = timeOrZero(from), timeOrZero(modified)
			if until.Valid {
				in.ValidUntil = timeOrZero(until.Int64)
			}
			json.Unmarshal([]byte(labels), &in.Labels)
			if _, ok := byID[in.ID]; !ok {
				order = append(order, in.ID)
			}
			byID[in.ID] = append(byID[in.ID], in)
			changed[in.ID] = max(changed[in.ID], updated)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for _, id := range order {
			inds := byID[id]
			// The object's validity ends with its last value's.
			for _, in := range inds {
				if in.ValidUntil.IsZero() {
					inds[0].ValidUntil = time.Time{}
					break
				}
				if in.ValidUntil.After(inds[0].ValidUntil) {
					inds[0].ValidUntil = in.ValidUntil
				}
			}
			o := stix.FromIndicators(inds)[0]
			raw, err := json.Marshal(o)
			if err != nil {
				return nil, err
			}
			out[id] = stixObject{Object: taxii.Object{ID: o.ID, Type: "indicator", Version: o.Modified.Time, DateAdded: time.UnixMilli(changed[id]).UTC(),
				Raw: raw}, changed: changed[id]}
		}
	}
	return out, nil
}
