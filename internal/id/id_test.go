package id

import (
	"runtime"
	"sort"
	"testing"
	"time"
)

func TestNewSortsByTime(t *testing.T) {
	var ids []string
	for range 5 {
		ids = append(ids, New())
		nextMillisecond()
	}
	if !sort.StringsAreSorted(ids) {
		t.Fatalf("ids made in order do not sort in order: %v", ids)
	}
}

func TestNewSortsWithinAMillisecond(t *testing.T) {
	prev := New()
	for range 10000 {
		next := New()
		if next <= prev {
			t.Fatalf("%s made after %s sorts before it", next, prev)
		}
		prev = next
	}
}

func TestShape(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		for _, s := range []string{New(), Random()} {
			if !Valid(s) {
				t.Fatalf("%q is not Valid", s)
			}
			if seen[s] {
				t.Fatalf("duplicate id %q", s)
			}
			seen[s] = true
		}
	}
	for _, bad := range []string{"", "x", "8zzzzzzzzzzzzzzzzzzzzzzzzz", "0000000000000000000000000i", "0000000000000000000000000A"} {
		if Valid(bad) {
			t.Errorf("Valid(%q) = true", bad)
		}
	}
}

func TestFloor(t *testing.T) {
	before := time.Now().Add(-time.Millisecond)
	made := New()
	after := time.Now().Add(2 * time.Millisecond)
	if f := Floor(before); !(f <= made) || !Valid(f) {
		t.Fatalf("Floor(before) = %s, not at or below %s", f, made)
	}
	if f := Floor(after); !(f > made) {
		t.Fatalf("Floor(after) = %s, not above %s", f, made)
	}
	if Floor(time.UnixMilli(0)) != "00000000000000000000000000" || Floor(time.Time{}) != Floor(time.UnixMilli(0)) {
		t.Fatal("Floor of the epoch (or before it) is not all zeros")
	}
}

// nextMillisecond returns once the clock has moved to the next millisecond.
func nextMillisecond() {
	for ms := time.Now().UnixMilli(); time.Now().UnixMilli() == ms; {
		runtime.Gosched()
	}
}
