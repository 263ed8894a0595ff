package hunt

import (
	"encoding/json"
	"math"
	"time"

	"github.com/kubu-gov/kubu/internal/sigma"
)

// correlate runs the correlation rules over a sorted timeline of base-rule
// matches (every match of every rule in the set) and returns the reported
// timeline: the reported base matches plus one detection per correlation
// firing, sorted again. Events without a time cannot be placed in a
// window and are not correlated.
func correlate(rules *Rules, timeline []Detection) []Detection {
	corr := sigma.NewCorrelator(rules.Set, sigma.CorrelatorOptions{})
	var out []Detection
	var cur *Detection // the event being observed, for the source of a hit
	emit := func(h sigma.CorrelationHit) {
		if !rules.report[h.Rule] {
			return
		}
		d := Detection{Rule: h.Rule, Time: h.Time, Event: correlationEvent(h)}
		if cur != nil {
			d.File, d.Record = cur.File, cur.Record
		}
		out = append(out, d)
	}
	var matched []*sigma.Rule
	for i := 0; i < len(timeline); {
		j := i
		matched = matched[:0]
		for ; j < len(timeline) && sameEvent(&timeline[i], &timeline[j]); j++ {
			matched = append(matched, timeline[j].Rule)
			if rules.report[timeline[j].Rule] {
				out = append(out, timeline[j])
			}
		}
		if !timeline[i].Time.IsZero() {
			if ev, err := sigma.JSONEvent(timeline[i].Event); err == nil {
				cur = &timeline[i]
				corr.Observe(ev, timeline[i].Time, matched, emit)
			}
		}
		i = j
	}
	cur = nil
	corr.Advance(time.Unix(0, math.MaxInt64), emit)
	sortTimeline(out)
	return out
}

// sameEvent reports whether two detections are of the same event.
func sameEvent(a, b *Detection) bool {
	return a.File == b.File && a.Record == b.Record && a.Time.Equal(b.Time)
}

// correlationEvent describes a correlation firing as the event of its
// detection.
func correlationEvent(h sigma.CorrelationHit) []byte {
	c := h.Rule.Correlation
	group := map[string]string{}
	for i, f := range c.GroupBy {
		if i < len(h.Group) {
			group[f] = h.Group[i]
		}
	}
	v := struct {
		Type  string            `json:"correlation_type"`
		Rules []string          `json:"rules"`
		Group map[string]string `json:"group"`
		Value float64           `json:"value"`
		First string            `json:"first,omitempty"`
		Last  string            `json:"last,omitempty"`
	}{Type: c.Type, Rules: c.Rules, Group: group, Value: h.Value}
	if !h.First.IsZero() {
		v.First = h.First.UTC().Format(time.RFC3339Nano)
	}
	if !h.Time.IsZero() {
		v.Last = h.Time.UTC().Format(time.RFC3339Nano)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return []byte("{}")
	}
	return b
}
