package policy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/oscal"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/validate"
)

// MaxDocument is the largest OSCAL document kubu loads (NIST SP 800-53
// rev5 in JSON is about 10 MB).
const MaxDocument = 32 << 20

// Document is a stored catalogue or profile. Loading the same bytes again
// answers the stored one; a new version is a new record beside the old.
type Document struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"` // catalog | profile
	Name      string    `json:"name"` // the file name profiles import it by, e.g. im8-reform.json
	UUID      string    `json:"uuid"`
	Title     string    `json:"title"`
	Version   string    `json:"version"`
	Controls  int       `json:"controls"`
	Sources   []string  `json:"sources"` // a profile: the documents it resolved against
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// invalid is the 400 for a document that is not valid OSCAL, naming the
// first problem (oscal's errors carry the JSON path).
func invalid(err error) error {
	return validate.Errors{{Field: "body", Message: err.Error()}}
}

// LoadCatalog stores an OSCAL catalog. name is the file name profiles may
// import it by ("" takes the title). created reports whether it is new.
func (s *Service) LoadCatalog(ctx context.Context, a authz.Actor, name string, body []byte) (doc Document, created bool, err error) {
	if err := authz.Check(a, authz.PolicyManage, authz.Collection()); err != nil {
		return Document{}, false, err
	}
	c, err := oscal.ReadCatalog(bytes.NewReader(body))
	if err != nil {
		return Document{}, false, invalid(err)
	}
	doc = Document{Kind: "catalog", Name: docName(name, c.Metadata.Title), UUID: c.UUID, Title: c.Metadata.Title,
		Version: c.Metadata.Version, Controls: c.ControlCount(), Sources: []string{}}
	doc, created, err = s.store(ctx, a, doc, body, CatalogLoaded)
	if err == nil {
		s.remember(doc.ID, c)
	}
	return doc, created, err
}

// LoadProfile stores an OSCAL profile after resolving it against the
// catalogues and profiles already loaded: each import's href is matched
// by its file name (the latest loaded of that name), or by uuid.
func (s *Service) LoadProfile(ctx context.Context, a authz.Actor, name string, body []byte) (doc Document, created bool, err error) {
	if err := authz.Check(a, authz.PolicyManage, authz.Collection()); err != nil {
		return Document{}, false, err
	}
	p, err := oscal.ReadProfile(bytes.NewReader(body))
	if err != nil {
		return Document{}, false, invalid(err)
	}
	lib, ids, err := s.library(ctx, nil)
	if err != nil {
		return Document{}, false, err
	}
	used := map[string]bool{}
	c, err := p.Resolve(func(href string) (oscal.Document, error) {
		d, err := lib.Load(href)
		if err == nil {
			used[ids[docKey(d)]] = true
		}
		return d, err
	})
	if err != nil {
		return Document{}, false, invalid(err)
	}
	doc = Document{Kind: "profile", Name: docName(name, p.Metadata.Title), UUID: p.UUID, Title: p.Metadata.Title,
		Version: p.Metadata.Version, Controls: c.ControlCount(), Sources: []string{}}
	for id := range used {
		doc.Sources = append(doc.Sources, id)
	}
	doc, created, err = s.store(ctx, a, doc, body, ProfileLoaded)
	if err == nil {
		s.remember(doc.ID, c)
	}
	return doc, created, err
}

func docName(name, title string) string {
	name = strings.TrimSpace(path.Base(strings.TrimSpace(name)))
	if name == "" || name == "." || name == "/" {
		return title
	}
	return name
}

// docKey identifies a parsed document in a library (pointers are unique).
func docKey(d oscal.Document) any {
	if d.Catalog != nil {
		return d.Catalog
	}
	return d.Profile
}

func (s *Service) store(ctx context.Context, a authz.Actor, doc Document, body []byte, code audit.Code) (Document, bool, error) {
	sum := sha256.Sum256(body)
	digest := hex.EncodeToString(sum[:])
	if old, err := s.byDigest(ctx, doc.Kind, digest); err == nil {
		return old, false, nil
	} else if !errors.Is(err, authz.ErrNotFound) {
		return Document{}, false, err
	}
	doc.ID, doc.CreatedBy, doc.CreatedAt = id.New(), a.Email, s.now()
	sources, _ := json.Marshal(doc.Sources)
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO policy_documents (id, kind, name, uuid, title, version, digest, controls, sources, body,
			created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)`,
			doc.ID, doc.Kind, doc.Name, doc.UUID, doc.Title, doc.Version, digest, doc.Controls, string(sources), string(body),
			doc.CreatedBy, doc.CreatedAt.UnixMilli())
		if store.IsUniqueViolation(err) {
			return validate.ErrConflict
		}
		if err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: code, Actor: a.AuditActor(), TargetType: doc.Kind, // "catalog" or "profile" (authz.auditTargets)
			TargetID: doc.ID, After: doc})
		return err
	})
	if errors.Is(err, validate.ErrConflict) { // loaded at the same moment elsewhere
		old, err := s.byDigest(ctx, doc.Kind, digest)
		return old, false, err
	}
	return doc, err == nil, err
}

const docCols = `id, kind, name, uuid, title, version, controls, sources, created_by, created_at`

func scanDoc(sc store.Scanner) (Document, error) {
	var d Document
	var at int64
	err := sc.Scan(&d.ID, &d.Kind, &d.Name, &d.UUID, &d.Title, &d.Version, &d.Controls, store.JSON(&d.Sources), &d.CreatedBy, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return Document{}, authz.ErrNotFound
	}
	if d.Sources == nil {
		d.Sources = []string{}
	}
	d.CreatedAt = time.UnixMilli(at).UTC()
	return d, err
}

func (s *Service) byDigest(ctx context.Context, kind, digest string) (Document, error) {
	return scanDoc(s.db.R().QueryRowContext(ctx, `SELECT `+docCols+` FROM policy_documents WHERE kind = $1 AND digest = $2`, kind, digest))
}

// Documents lists a page of the catalogues (kind "catalog") or profiles
// ("profile"), newest first.
func (s *Service) Documents(ctx context.Context, a authz.Actor, kind, cursor string, limit int) (store.Page[Document], error) {
	empty := store.Page[Document]{Items: []Document{}}
	if err := authz.Check(a, authz.PolicyRead, authz.Collection()); err != nil {
		return empty, err
	}
	var w store.Where
	w.And("kind = " + w.Arg(kind))
	page, err := store.List(ctx, s.db.R(), store.ListQuery[Document]{SQL: `SELECT ` + docCols + ` FROM policy_documents`, Where: &w,
		Keyset: store.Keyset{Keys: []string{"created_at", "id"}, Desc: true}, Cursor: cursor, Limit: limit,
		Scan: scanDoc, Key: func(d Document) []any { return []any{d.CreatedAt.UnixMilli(), d.ID} }})
	if err != nil {
		return empty, err
	}
	return page, nil
}

// Document returns one catalogue or profile of the given kind.
func (s *Service) Document(ctx context.Context, a authz.Actor, kind, docID string) (Document, error) {
	if err := authz.Check(a, authz.PolicyRead, authz.Collection()); err != nil {
		return Document{}, err
	}
	return s.document(ctx, kind, docID)
}

func (s *Service) document(ctx context.Context, kind, docID string) (Document, error) {
	return scanDoc(s.db.R().QueryRowContext(ctx, `SELECT `+docCols+` FROM policy_documents WHERE id = $1 AND kind = $2`, docID, kind))
}

// Raw returns a document's stored OSCAL JSON as it was loaded.
func (s *Service) Raw(ctx context.Context, a authz.Actor, kind, docID string) ([]byte, error) {
	if err := authz.Check(a, authz.PolicyRead, authz.Collection()); err != nil {
		return nil, err
	}
	var body string
	err := s.db.R().QueryRowContext(ctx, `SELECT body FROM policy_documents WHERE id = $1 AND kind = $2`, docID, kind).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, authz.ErrNotFound
	}
	return []byte(body), err
}

func (s *Service) remember(docID string, c *oscal.Catalog) {
	s.mu.Lock()
	s.resolved[docID] = c
	s.mu.Unlock()
}

// controlsOf returns the controls of a stored document: a catalogue as
// loaded, a profile resolved against the documents it was loaded with. It
// does no access check.
func (s *Service) controlsOf(ctx context.Context, docID string) (*oscal.Catalog, error) {
	s.mu.Lock()
	c, ok := s.resolved[docID]
	s.mu.Unlock()
	if ok {
		return c, nil
	}
	var kind, body string
	var sources []string
	err := s.db.R().QueryRowContext(ctx, `SELECT kind, body, sources FROM policy_documents WHERE id = $1`, docID).
		Scan(&kind, &body, store.JSON(&sources))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, authz.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if kind == "catalog" {
		c, err = oscal.ReadCatalog(strings.NewReader(body))
	} else {
		var p *oscal.Profile
		if p, err = oscal.ReadProfile(strings.NewReader(body)); err == nil {
			var lib oscal.Library
			if lib, _, err = s.library(ctx, sources); err == nil {
				c, err = p.Resolve(lib.Load)
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("stored %s %s: %w", kind, docID, err)
	}
	s.remember(docID, c)
	return c, nil
}

// library is the stored documents (only those in only, when given) by
// name (the latest of each name wins), id and uuid; ids maps each parsed
// document back to its id.
func (s *Service) library(ctx context.Context, only []string) (oscal.Library, map[any]string, error) {
	var w store.Where
	if only != nil {
		if len(only) == 0 {
			return oscal.Library{}, map[any]string{}, nil
		}
		w.In("id", only)
	}
	rows, err := s.db.R().QueryContext(ctx, `SELECT id, name, body FROM policy_documents`+w.SQL()+` ORDER BY created_at, id`, w.Args()...)
	if err != nil {
		return nil, nil, err
	}
	type raw struct{ id, name, body string }
	docs, err := store.Collect(rows, func(sc store.Scanner) (raw, error) {
		var r raw
		return r, sc.Scan(&r.id, &r.name, &r.body)
	})
	if err != nil {
		return nil, nil, err
	}
	lib, ids := oscal.Library{}, map[any]string{}
	for _, r := range docs {
		d, err := oscal.Read(strings.NewReader(r.body))
		if err != nil {
			return nil, nil, fmt.Errorf("stored document %s: %w", r.id, err)
		}
		lib[r.name], lib[r.id] = d, d
		ids[docKey(d)] = r.id
	}
	return lib, ids, nil
}

func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
