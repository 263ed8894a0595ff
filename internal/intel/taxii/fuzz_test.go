package taxii

import (
	"net/http/httptest"
	"testing"
)

// FuzzQuery checks that any query string gives a bounded limit or an
// error, and any Accept header an answer.
func FuzzQuery(f *testing.F) {
	f.Add("added_after=2026-04-01T00:00:00Z&limit=5&match[type]=indicator,malware&next=MTI", "application/taxii+json;version=2.1")
	f.Fuzz(func(t *testing.T, rawQuery, accept string) {
		s := &Server{MaxLimit: 50}
		r := httptest.NewRequest("GET", "/taxii2/api/collections/c/objects/", nil)
		r.URL.RawQuery = rawQuery
		q, err := s.query(r)
		if err == nil && (q.Limit < 1 || q.Limit > 50) {
			t.Fatalf("limit %d from %q", q.Limit, rawQuery)
		}
		acceptable(accept)
		src := NewMemorySource(Collection{ID: "c", CanRead: true})
		q.Limit = 5
		src.Objects(t.Context(), "c", q)
	})
}
