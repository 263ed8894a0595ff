package match

import (
	"reflect"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/intel"
)

// TestBuildCopies: the set keeps its own copy of the indicators, with
// every field, so the caller's slice can go.
func TestBuildCopies(t *testing.T) {
	from := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	inds := []intel.Indicator{{ID: "indicator--1", Observable: intel.Observable{Type: intel.Domain, Value: "Evil.Example"}, Name: "n",
		Source: "src", Creator: "identity--x", ValidFrom: from, Confidence: 42, Modified: from, TLP: intel.TLPAmber, Labels: []string{"a", "b"}}}
	want := inds[0]
	s := Build(inds, Options{Now: from.Add(time.Hour)})
	inds[0] = intel.Indicator{ID: "changed"}
	hits := s.Match([]byte(`{"q":"www.evil.example"}`))
	if len(hits) != 1 || !reflect.DeepEqual(*hits[0].Indicator, want) {
		t.Fatalf("hit %+v\nwant %+v", hits, want)
	}
	if got := s.Indicator(0); !reflect.DeepEqual(*got, want) {
		t.Fatalf("Indicator(0) %+v", got)
	}
}

// TestHashedTablesCheckTheKey: a name whose hash is in a table but whose
// normal form is not the indicator's is not a hit.
func TestHashedTablesCheckTheKey(t *testing.T) {
	s := Build([]intel.Indicator{ind("d", intel.Domain, "evil.example"), ind("u", intel.URL, "http://evil.example/a"),
		ind("e", intel.Email, "x@evil.example")}, Options{Now: now})
	// Pretend other names collide with the indicators' hashes.
	s.domains[domainHash("other.example")] = s.domains[domainHash("evil.example")]
	s.domainFilter.add(domainHash("other.example"))
	s.urls[strHash("http://other.example/a")] = s.urls[strHash("http://evil.example/a")]
	s.emails[strHash("y@other.example")] = s.emails[strHash("x@evil.example")]
	if hits := s.Match([]byte(`{"a":"other.example","b":"http://other.example/a","c":"y@other.example"}`)); len(hits) != 0 {
		t.Fatalf("colliding names hit: %+v", hits)
	}
	if hits := s.Match([]byte(`{"a":"evil.example","b":"http://evil.example/a","c":"x@evil.example"}`)); len(hits) != 3 {
		t.Fatalf("the indicators themselves: %+v", hits)
	}
}
