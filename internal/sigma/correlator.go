package sigma

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// compiledCorrelation is a correlation rule with its references resolved.
type compiledCorrelation struct {
	rule *Rule
	c    *Correlation
	// per referenced rule position: group-by fields and the value field,
	// aliases resolved for that rule
	groupFields [][]string
	valueField  []string
	// upper-bound-only conditions are evaluated when a window closes
	atClose bool
}

// corrLink says: matches of some rule feed correlation corr at position pos.
type corrLink struct {
	corr int
	pos  int
}

func (c *compiler) compileCorrelations() []error {
	s := c.set
	var errs []error
	// names and ids of detection rules and correlations
	ruleByRef := map[string]int{}
	for i, r := range s.rules {
		for _, k := range []string{r.ID, r.Name} {
			if k != "" {
				ruleByRef[k] = i
			}
		}
	}
	corrByRef := map[string]int{}
	for i, r := range s.corrRules {
		for _, k := range []string{r.ID, r.Name} {
			if k != "" {
				corrByRef[k] = i
			}
		}
	}
	s.ruleLinks = map[int][]corrLink{}
	s.corrLinks = map[int][]corrLink{}
	generate := map[int]bool{}
	referenced := map[int]bool{}
	var kept []*Rule
	for _, r := range s.corrRules {
		cr := r.Correlation
		cc := &compiledCorrelation{rule: r, c: cr}
		idx := len(s.correlations)
		var ruleLinks []struct{ rule, pos int }
		var corrLinks []struct{ corr, pos int }
		var err error
		for pos, ref := range cr.Rules {
			if ri, ok := ruleByRef[ref]; ok {
				ruleLinks = append(ruleLinks, struct{ rule, pos int }{ri, pos})
			} else if ci, ok := corrByRef[ref]; ok {
				if s.corrRules[ci] == r {
					err = fmt.Errorf("correlation refers to itself")
					break
				}
				corrLinks = append(corrLinks, struct{ corr, pos int }{ci, pos})
			} else {
				err = fmt.Errorf("correlation refers to unknown rule %q", ref)
				break
			}
			// an alias maps a rule, named by id or name, to its field
			names := []string{ref}
			if ri, ok := ruleByRef[ref]; ok {
				names = append(names, s.rules[ri].ID, s.rules[ri].Name)
			} else if ci, ok := corrByRef[ref]; ok {
				names = append(names, s.corrRules[ci].ID, s.corrRules[ci].Name)
			}
			resolve := func(field string) string {
				if al, ok := cr.Aliases[field]; ok {
					for _, n := range names {
						if f, ok := al[n]; ok && n != "" {
							return f
						}
					}
				}
				return field
			}
			gf := make([]string, len(cr.GroupBy))
			for i, g := range cr.GroupBy {
				gf[i] = resolve(g)
			}
			cc.groupFields = append(cc.groupFields, gf)
			cc.valueField = append(cc.valueField, resolve(cr.Field))
		}
		if err != nil {
			errs = append(errs, &LoadError{File: r.File, Line: r.Line, Title: r.Title, ID: r.ID, Err: err})
			continue
		}
		cc.atClose = true
		for _, cond := range cr.Conditions {
			if cond.Op == "gt" || cond.Op == "gte" || cond.Op == "eq" {
				cc.atClose = false
			}
		}
		switch cr.Type {
		case EventCount, ValueCount, ValueSum:
			// growing measures: an upper bound alone is judged when the
			// window closes
		default:
			cc.atClose = false
		}
		for _, l := range ruleLinks {
			s.ruleLinks[l.rule] = append(s.ruleLinks[l.rule], corrLink{idx, l.pos})
			referenced[l.rule] = true
			if cr.Generate {
				generate[l.rule] = true
			}
		}
		for _, l := range corrLinks {
			// resolved to the final index after all are kept (below)
			s.corrLinks[l.corr] = append(s.corrLinks[l.corr], corrLink{idx, l.pos})
		}
		s.correlations = append(s.correlations, cc)
		kept = append(kept, r)
	}
	// corrLinks were keyed by index in corrRules; re-key by kept index
	if len(kept) != len(s.corrRules) {
		pos := map[*Rule]int{}
		for i, r := range kept {
			pos[r] = i
		}
		old := s.corrLinks
		s.corrLinks = map[int][]corrLink{}
		for ci, ls := range old {
			if ni, ok := pos[s.corrRules[ci]]; ok {
				s.corrLinks[ni] = ls
			}
		}
	}
	s.corrRules = kept
	for ri := range referenced {
		if !generate[ri] {
			s.hidden[ri] = true
		}
	}
	return errs
}

// CorrelationHit is one firing of a correlation rule.
type CorrelationHit struct {
	Rule *Rule
	// Time is the time of the event that completed the correlation (or
	// the end of the window, for lt/lte conditions).
	Time time.Time
	// First is the time of the oldest event counted.
	First time.Time
	// Group holds the group-by values, in group-by order.
	Group []string
	// Value is the aggregate the condition held for: the event count,
	// distinct value count, number of rules, sum, average, …
	Value float64
}

// CorrelatorOptions bound a Correlator's state.
type CorrelatorOptions struct {
	// MaxGroups caps the groups kept per correlation rule (default
	// 100000); the least recently seen group is dropped first.
	MaxGroups int
}

// Correlator evaluates correlation rules over the base-rule matches fed to
// it. State is kept per correlation and group and is bounded by the
// timespan and MaxGroups. It is not safe for concurrent use.
type Correlator struct {
	set    *Set
	max    int
	states []map[string]*corrGroup
	now    int64
	ops    int
}

type corrEntry struct {
	T   int64 // unix nanoseconds
	Pos int   // position of the rule in correlation.rules
	Num float64
	Str string
}

type corrGroup struct {
	Values  []string
	Entries []corrEntry
	Last    int64
}

// NewCorrelator returns a Correlator for the correlation rules of set.
func NewCorrelator(set *Set, opts CorrelatorOptions) *Correlator {
	if opts.MaxGroups <= 0 {
		opts.MaxGroups = 100000
	}
	c := &Correlator{set: set, max: opts.MaxGroups, states: make([]map[string]*corrGroup, len(set.correlations))}
	for i := range c.states {
		c.states[i] = map[string]*corrGroup{}
	}
	return c
}

// Observe feeds the detection rules that matched one event, the event's
// time and the event itself (for group-by and value fields). emit is
// called for every correlation that fires, including chained ones.
func (c *Correlator) Observe(ev Event, t time.Time, matched []*Rule, emit func(CorrelationHit)) {
	c.advance(t.UnixNano(), emit)
	for _, r := range matched {
		ri, ok := c.set.ruleIndex[r]
		if !ok {
			continue
		}
		for _, l := range c.set.ruleLinks[ri] {
			c.feed(l, ev, t.UnixNano(), emit)
		}
	}
}

// Advance moves the correlator's clock to t: windows that closed before t
// are evaluated (lt/lte conditions) and expired state is dropped.
func (c *Correlator) Advance(t time.Time, emit func(CorrelationHit)) {
	c.advance(t.UnixNano(), emit)
	c.sweep(emit)
}

func (c *Correlator) advance(now int64, emit func(CorrelationHit)) {
	if now > c.now {
		c.now = now
	}
	c.ops++
	if c.ops%1024 == 0 {
		c.sweep(emit)
	}
}

// sweep closes windows and drops groups with nothing left in their window.
func (c *Correlator) sweep(emit func(CorrelationHit)) {
	for ci, groups := range c.states {
		cc := c.set.correlations[ci]
		span := int64(cc.c.Timespan)
		for key, g := range groups {
			if cc.atClose && len(g.Entries) > 0 && c.now > g.Entries[0].T+span {
				c.closeWindow(ci, g, emit)
			}
			if len(g.Entries) == 0 || g.Last < c.now-span {
				delete(groups, key)
			}
		}
	}
}

func (c *Correlator) feed(l corrLink, ev Event, t int64, emit func(CorrelationHit)) {
	cc := c.set.correlations[l.corr]
	var buf []Value
	values := make([]string, len(cc.groupFields[l.pos]))
	for i, f := range cc.groupFields[l.pos] {
		buf, _ = ev.Lookup(f, buf[:0])
		values[i] = joinValues(buf)
	}
	key := strings.Join(values, "\x1f")
	groups := c.states[l.corr]
	g := groups[key]
	if g == nil {
		if len(groups) >= c.max {
			c.evict(groups)
		}
		g = &corrGroup{Values: values}
		groups[key] = g
	}
	e := corrEntry{T: t, Pos: l.pos}
	if vf := cc.valueField[l.pos]; vf != "" {
		buf, _ = ev.Lookup(vf, buf[:0])
		e.Str = joinValues(buf)
		e.Num, _ = parseNumber([]byte(e.Str))
		if cc.c.Type != ValueCount && cc.c.Type != ValuePercentile {
			if _, ok := parseNumber([]byte(e.Str)); !ok {
				return // value_sum & co. only count numeric values
			}
		}
	}
	span := int64(cc.c.Timespan)
	if cc.atClose && len(g.Entries) > 0 && t > g.Entries[0].T+span {
		c.closeWindow(l.corr, g, emit)
	}
	// insert keeping time order (events may arrive slightly out of order)
	i := len(g.Entries)
	for i > 0 && g.Entries[i-1].T > t {
		i--
	}
	g.Entries = append(g.Entries, corrEntry{})
	copy(g.Entries[i+1:], g.Entries[i:])
	g.Entries[i] = e
	if t > g.Last {
		g.Last = t
	}
	if cc.atClose {
		return
	}
	// drop what fell out of the window ending at t
	lo := 0
	for lo < len(g.Entries) && g.Entries[lo].T < t-span {
		lo++
	}
	if lo > 0 {
		g.Entries = append(g.Entries[:0], g.Entries[lo:]...)
	}
	v, ok := aggregate(cc, g.Entries, &e)
	if ok && conditionHolds(cc, v) {
		hit := CorrelationHit{Rule: cc.rule, Time: time.Unix(0, t).UTC(), First: time.Unix(0, g.Entries[0].T).UTC(), Group: g.Values, Value: v}
		g.Entries = g.Entries[:0]
		c.fire(l.corr, hit, emit)
	}
}

// closeWindow evaluates an upper-bound condition over the window that
// starts at the group's first entry, then drops that window.
func (c *Correlator) closeWindow(ci int, g *corrGroup, emit func(CorrelationHit)) {
	cc := c.set.correlations[ci]
	span := int64(cc.c.Timespan)
	end := g.Entries[0].T + span
	n := 0
	for n < len(g.Entries) && g.Entries[n].T <= end {
		n++
	}
	last := g.Entries[n-1]
	v, ok := aggregate(cc, g.Entries[:n], &last)
	first := g.Entries[0].T
	g.Entries = append(g.Entries[:0], g.Entries[n:]...)
	if ok && conditionHolds(cc, v) {
		c.fire(ci, CorrelationHit{Rule: cc.rule, Time: time.Unix(0, end).UTC(), First: time.Unix(0, first).UTC(), Group: g.Values, Value: v}, emit)
	}
}

func (c *Correlator) fire(ci int, hit CorrelationHit, emit func(CorrelationHit)) {
	emit(hit)
	links := c.set.corrLinks[ci]
	if len(links) == 0 {
		return
	}
	cc := c.set.correlations[ci]
	ev := MapEvent{}
	for i, g := range cc.c.GroupBy {
		ev[g] = hit.Group[i]
	}
	for _, l := range links {
		c.feed(l, ev, hit.Time.UnixNano(), emit)
	}
}

func (c *Correlator) evict(groups map[string]*corrGroup) {
	var oldKey string
	oldest := int64(math.MaxInt64)
	for k, g := range groups {
		if g.Last < oldest {
			oldKey, oldest = k, g.Last
		}
	}
	delete(groups, oldKey)
}

func joinValues(vs []Value) string {
	switch len(vs) {
	case 0:
		return ""
	case 1:
		return vs[0].Text
	}
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = v.Text
	}
	return strings.Join(parts, ",")
}

// aggregate computes the correlation's measure over the window entries;
// cur is the entry that just arrived.
func aggregate(cc *compiledCorrelation, es []corrEntry, cur *corrEntry) (float64, bool) {
	switch cc.c.Type {
	case EventCount:
		return float64(len(es)), true
	case ValueCount:
		seen := map[string]bool{}
		for _, e := range es {
			if e.Str != "" {
				seen[e.Str] = true
			}
		}
		return float64(len(seen)), true
	case Temporal:
		seen := map[int]bool{}
		for _, e := range es {
			seen[e.Pos] = true
		}
		return float64(len(seen)), true
	case TemporalOrdered:
		next := 0
		for _, e := range es {
			if e.Pos == next {
				next++
			}
		}
		return float64(next), true
	case ValueSum, ValueAvg, ValueMin, ValueMax, ValueMedian:
		if len(es) == 0 {
			return 0, false
		}
		nums := make([]float64, len(es))
		sum := 0.0
		for i, e := range es {
			nums[i] = e.Num
			sum += e.Num
		}
		switch cc.c.Type {
		case ValueSum:
			return sum, true
		case ValueAvg:
			return sum / float64(len(nums)), true
		}
		sort.Float64s(nums)
		switch cc.c.Type {
		case ValueMin:
			return nums[0], true
		case ValueMax:
			return nums[len(nums)-1], true
		}
		mid := len(nums) / 2
		if len(nums)%2 == 0 {
			return (nums[mid-1] + nums[mid]) / 2, true
		}
		return nums[mid], true
	case ValuePercentile:
		// the share (0-100) of the group's events in the window whose
		// value equals the current event's value: low means rare
		if len(es) == 0 {
			return 0, false
		}
		same := 0
		for _, e := range es {
			if e.Str == cur.Str {
				same++
			}
		}
		return 100 * float64(same) / float64(len(es)), true
	}
	return 0, false
}

func conditionHolds(cc *compiledCorrelation, v float64) bool {
	conds := cc.c.Conditions
	if len(conds) == 0 { // temporal default: every rule
		return v >= float64(len(cc.c.Rules))
	}
	for _, cond := range conds {
		if !cond.holds(v) {
			return false
		}
	}
	return true
}

func (h CorrelationHit) String() string {
	return h.Rule.Title + " [" + strings.Join(h.Group, ",") + "] = " + strconv.FormatFloat(h.Value, 'g', -1, 64)
}
