package taxii

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Source is what the server serves: the collections a caller may see
// (the context carries who is asking, as the caller's router put it
// there) and their objects.
type Source interface {
	// Collections lists the collections visible to the caller.
	Collections(ctx context.Context) ([]Collection, error)
	// Objects returns a page of a collection's objects, oldest added
	// first. ErrNotFound for a collection the caller cannot see.
	Objects(ctx context.Context, collection string, q Query) (Page, error)
}

// ErrNotFound is a collection or object that does not exist or that the
// caller may not see (they answer alike).
var ErrNotFound = errors.New("taxii: not found")

// Query filters objects.
type Query struct {
	AddedAfter time.Time // exclusive; zero for all
	Limit      int       // at most this many (the server caps it)
	Next       string    // a cursor from a previous page
	IDs        []string  // match[id]
	Types      []string  // match[type]
}

// Object is one STIX object of a collection.
type Object struct {
	ID        string
	Type      string
	Version   time.Time // its modified (or created) time
	DateAdded time.Time // when it was added to the collection
	Raw       json.RawMessage
}

// Page is a page of objects; More with Next (or without, to page by
// added_after) when there are others.
type Page struct {
	Objects []Object
	More    bool
	Next    string
}

// MemorySource is a Source held in memory: for tests and small fixed
// collections.
type MemorySource struct {
	mu      sync.RWMutex
	cols    []Collection
	objects map[string][]Object // by collection, in date-added order
}

// NewMemorySource makes a source with these collections.
func NewMemorySource(cols ...Collection) *MemorySource {
	return &MemorySource{cols: cols, objects: map[string][]Object{}}
}

// Add adds raw STIX objects to a collection, added at the given time.
func (m *MemorySource) Add(collection string, added time.Time, raws ...json.RawMessage) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, raw := range raws {
		var head struct {
			ID       string `json:"id"`
			Type     string `json:"type"`
			Modified string `json:"modified"`
			Created  string `json:"created"`
		}
		if err := json.Unmarshal(raw, &head); err != nil || head.ID == "" || head.Type == "" {
			return fmt.Errorf("taxii: not a STIX object: %.80s", raw)
		}
		v, _ := ParseTime(head.Modified)
		if v.IsZero() {
			v, _ = ParseTime(head.Created)
		}
		m.objects[collection] = append(m.objects[collection], Object{ID: head.ID, Type: head.Type, Version: v, DateAdded: added, Raw: raw})
	}
	sort.SliceStable(m.objects[collection], func(i, j int) bool {
		return m.objects[collection][i].DateAdded.Before(m.objects[collection][j].DateAdded)
	})
	return nil
}

// Collections lists every collection.
func (m *MemorySource) Collections(context.Context) ([]Collection, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return slices.Clone(m.cols), nil
}

// Objects pages through a collection; the cursor is the index of the next
// object.
func (m *MemorySource) Objects(_ context.Context, collection string, q Query) (Page, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if !slices.ContainsFunc(m.cols, func(c Collection) bool { return c.ID == collection }) {
		return Page{}, ErrNotFound
	}
	start := 0
	if q.Next != "" {
		b, err := base64.RawURLEncoding.DecodeString(q.Next)
		n, err2 := strconv.Atoi(string(b))
		if err != nil || err2 != nil || n < 0 {
			return Page{}, fmt.Errorf("%w: bad next", ErrBadQuery)
		}
		start = n
	}
	var page Page
	all := m.objects[collection]
	for i := start; i < len(all); i++ {
		o := all[i]
		if !q.AddedAfter.IsZero() && !o.DateAdded.After(q.AddedAfter) {
			continue
		}
		if len(q.IDs) > 0 && !slices.Contains(q.IDs, o.ID) {
			continue
		}
		if len(q.Types) > 0 && !slices.Contains(q.Types, o.Type) {
			continue
		}
		if q.Limit > 0 && len(page.Objects) == q.Limit {
			page.More = true
			page.Next = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(i)))
			break
		}
		page.Objects = append(page.Objects, o)
	}
	return page, nil
}

// ErrBadQuery is a query the source cannot answer (a bad cursor).
var ErrBadQuery = errors.New("taxii: bad query")

// splitList reads a match[...] value: a comma-separated list.
func splitList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}
