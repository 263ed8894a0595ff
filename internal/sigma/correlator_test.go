package sigma

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const corrBaseRules = `title: Failed logon
id: 5638f7c0-ac70-491d-8465-2a65075e0d86
name: failed_logon
logsource:
    product: windows
    service: security
detection:
    sel:
        EventID: 4625
    condition: sel
level: low
---
title: Successful logon
id: 5638f7c0-ac70-491d-8465-2a65075e0d87
name: successful_login
logsource:
    product: windows
    service: security
detection:
    sel:
        EventID: 4624
    condition: sel
---
title: Recon A
name: recon_a
logsource:
    product: windows
    service: security
detection:
    sel:
        EventID: 4798
    condition: sel
---
title: Recon B
name: recon_b
logsource:
    product: windows
    service: security
detection:
    sel:
        EventID: 4799
    condition: sel
`

type corrEvent struct {
	at    int // seconds after the base time
	id    int
	extra string // more JSON fields, without braces
}

// runCorrelation feeds events through a matcher and a correlator and
// returns the hits as strings.
func runCorrelation(t *testing.T, corr string, events []corrEvent) ([]string, *Set, *Correlator) {
	t.Helper()
	rules := mustParse(t, corrBaseRules+"---\n"+corr)
	set, err := Compile(rules, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := NewCorrelator(set, CorrelatorOptions{})
	return feedCorrelator(t, set, c, events), set, c
}

var corrBase = time.Date(2026, 4, 17, 5, 0, 0, 0, time.UTC)

func feedCorrelator(t *testing.T, set *Set, c *Correlator, events []corrEvent) []string {
	t.Helper()
	m := set.NewMatcher()
	var hits []string
	emit := func(h CorrelationHit) {
		hits = append(hits, fmt.Sprintf("%s %s %g @%ds", h.Rule.Name, strings.Join(h.Group, ","), h.Value, int(h.Time.Sub(corrBase).Seconds())))
	}
	for _, e := range events {
		raw := fmt.Sprintf(`{"Channel":"Security","EventID":%d,%s}`, e.id, e.extra)
		matched, err := m.MatchRules([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		ev, err := JSONEvent([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		c.Observe(ev, corrBase.Add(time.Duration(e.at)*time.Second), matched, emit)
	}
	return hits
}

func user(u string) string { return `"TargetUserName":"` + u + `"` }

func TestCorrelationTypes(t *testing.T) {
	cases := []struct {
		name   string
		corr   string
		events []corrEvent
		want   []string
	}{
		{
			name: "event_count",
			corr: "title: Many failed\nname: many_failed\ncorrelation:\n    type: event_count\n    rules: [failed_logon]\n    group-by: [TargetUserName]\n    timespan: 10m\n    condition:\n        gte: 3\n",
			events: []corrEvent{
				{0, 4625, user("bob")}, {10, 4625, user("alice")}, {20, 4625, user("bob")},
				{30, 4625, user("alice")}, {40, 4625, user("bob")}, {50, 4625, user("bob")},
			},
			want: []string{"many_failed bob 3 @40s"},
		},
		{
			name:   "event_count outside timespan",
			corr:   "title: Many failed\nname: many_failed\ncorrelation:\n    type: event_count\n    rules: [failed_logon]\n    group-by: [TargetUserName]\n    timespan: 1m\n    condition:\n        gte: 3\n",
			events: []corrEvent{{0, 4625, user("bob")}, {50, 4625, user("bob")}, {100, 4625, user("bob")}, {110, 4625, user("bob")}},
			want:   []string{"many_failed bob 3 @110s"},
		},
		{
			name:   "event_count range",
			corr:   "title: Some failed\nname: some_failed\ncorrelation:\n    type: event_count\n    rules: [failed_logon]\n    group-by: [TargetUserName]\n    timespan: 1h\n    condition:\n        gt: 1\n        lte: 2\n",
			events: []corrEvent{{0, 4625, user("bob")}, {1, 4625, user("bob")}},
			want:   []string{"some_failed bob 2 @1s"},
		},
		{
			name: "value_count",
			corr: "title: Spray\nname: spray\ncorrelation:\n    type: value_count\n    rules: [failed_logon]\n    group-by: [IpAddress]\n    timespan: 1h\n    condition:\n        field: TargetUserName\n        gte: 3\n",
			events: []corrEvent{
				{0, 4625, `"IpAddress":"10.0.0.9",` + user("a")}, {1, 4625, `"IpAddress":"10.0.0.9",` + user("a")},
				{2, 4625, `"IpAddress":"10.0.0.9",` + user("b")}, {3, 4625, `"IpAddress":"10.0.0.8",` + user("c")},
				{4, 4625, `"IpAddress":"10.0.0.9",` + user("c")},
			},
			want: []string{"spray 10.0.0.9 3 @4s"},
		},
		{
			name: "temporal any order",
			corr: "title: Recon\nname: recon\ncorrelation:\n    type: temporal\n    rules: [recon_a, recon_b]\n    group-by: [SubjectUserName]\n    timespan: 5m\n",
			events: []corrEvent{
				{0, 4799, `"SubjectUserName":"eve"`}, {10, 4798, `"SubjectUserName":"bob"`}, {20, 4798, `"SubjectUserName":"eve"`},
			},
			want: []string{"recon eve 2 @20s"},
		},
		{
			name:   "temporal too far apart",
			corr:   "title: Recon\nname: recon\ncorrelation:\n    type: temporal\n    rules: [recon_a, recon_b]\n    group-by: [SubjectUserName]\n    timespan: 5m\n",
			events: []corrEvent{{0, 4799, `"SubjectUserName":"eve"`}, {400, 4798, `"SubjectUserName":"eve"`}},
			want:   nil,
		},
		{
			name:   "temporal_ordered in order",
			corr:   "title: Brute then in\nname: brute_in\ncorrelation:\n    type: temporal_ordered\n    rules: [failed_logon, successful_login]\n    group-by: [TargetUserName]\n    timespan: 1h\n",
			events: []corrEvent{{0, 4625, user("bob")}, {10, 4624, user("bob")}},
			want:   []string{"brute_in bob 2 @10s"},
		},
		{
			name:   "temporal_ordered wrong order",
			corr:   "title: Brute then in\nname: brute_in\ncorrelation:\n    type: temporal_ordered\n    rules: [failed_logon, successful_login]\n    group-by: [TargetUserName]\n    timespan: 1h\n",
			events: []corrEvent{{0, 4624, user("bob")}, {10, 4625, user("bob")}},
			want:   nil,
		},
		{
			name:   "value_sum",
			corr:   "title: Big transfer\nname: big\ncorrelation:\n    type: value_sum\n    rules: [successful_login]\n    group-by: [TargetUserName]\n    timespan: 1h\n    condition:\n        field: Bytes\n        gt: 1000\n",
			events: []corrEvent{{0, 4624, user("bob") + `,"Bytes":600`}, {1, 4624, user("bob") + `,"Bytes":"x"`}, {2, 4624, user("bob") + `,"Bytes":"500"`}},
			want:   []string{"big bob 1100 @2s"},
		},
		{
			name:   "value_avg",
			corr:   "title: Avg\nname: avg\ncorrelation:\n    type: value_avg\n    rules: [successful_login]\n    group-by: [TargetUserName]\n    timespan: 1h\n    condition:\n        field: Bytes\n        gt: 500\n",
			events: []corrEvent{{0, 4624, user("bob") + `,"Bytes":400`}, {1, 4624, user("bob") + `,"Bytes":700`}},
			want:   []string{"avg bob 550 @1s"},
		},
		{
			name:   "value_max",
			corr:   "title: Max\nname: max\ncorrelation:\n    type: value_max\n    rules: [successful_login]\n    group-by: [TargetUserName]\n    timespan: 1h\n    condition:\n        field: Bytes\n        gte: 900\n",
			events: []corrEvent{{0, 4624, user("bob") + `,"Bytes":400`}, {1, 4624, user("bob") + `,"Bytes":900`}},
			want:   []string{"max bob 900 @1s"},
		},
		{
			name:   "value_median",
			corr:   "title: Median\nname: median\ncorrelation:\n    type: value_median\n    rules: [successful_login]\n    group-by: [TargetUserName]\n    timespan: 1h\n    condition:\n        field: Bytes\n        eq: 8\n",
			events: []corrEvent{{0, 4624, user("bob") + `,"Bytes":1`}, {1, 4624, user("bob") + `,"Bytes":9`}, {2, 4624, user("bob") + `,"Bytes":8`}},
			want:   []string{"median bob 8 @2s"},
		},
		{
			name: "value_percentile rare value",
			corr: "title: Rare process\nname: rare\ncorrelation:\n    type: value_percentile\n    rules: [successful_login]\n    group-by: [Computer]\n    timespan: 24h\n    condition:\n        field: ProcessName\n        lte: 20\n",
			events: []corrEvent{
				{0, 4624, `"Computer":"ws1","ProcessName":"a"`}, {1, 4624, `"Computer":"ws1","ProcessName":"a"`},
				{2, 4624, `"Computer":"ws1","ProcessName":"a"`}, {3, 4624, `"Computer":"ws1","ProcessName":"a"`},
				{4, 4624, `"Computer":"ws1","ProcessName":"a"`}, {5, 4624, `"Computer":"ws1","ProcessName":"rare"`},
			},
			want: []string{"rare ws1 16.666666666666668 @5s"},
		},
		{
			name:   "aliases",
			corr:   "title: Same address\nname: same_ip\ncorrelation:\n    type: temporal\n    rules: [failed_logon, successful_login]\n    group-by: [ip]\n    timespan: 1m\n    aliases:\n        ip:\n            failed_logon: IpAddress\n            successful_login: SourceAddress\n",
			events: []corrEvent{{0, 4625, `"IpAddress":"10.1.1.1"`}, {5, 4624, `"SourceAddress":"10.1.1.2"`}, {6, 4624, `"SourceAddress":"10.1.1.1"`}},
			want:   []string{"same_ip 10.1.1.1 2 @6s"},
		},
		{
			name:   "chained correlation",
			corr:   "title: Many failed\nname: many_failed\ncorrelation:\n    type: event_count\n    rules: [failed_logon]\n    group-by: [TargetUserName]\n    timespan: 10m\n    condition:\n        gte: 2\n---\ntitle: Brute force success\nname: brute_success\ncorrelation:\n    type: temporal_ordered\n    rules: [many_failed, successful_login]\n    group-by: [TargetUserName]\n    timespan: 1h\n",
			events: []corrEvent{{0, 4625, user("bob")}, {1, 4625, user("bob")}, {2, 4624, user("alice")}, {3, 4624, user("bob")}},
			want:   []string{"many_failed bob 2 @1s", "brute_success bob 2 @3s"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, _, _ := runCorrelation(t, c.corr, c.events)
			if d := cmp.Diff(c.want, got); d != "" {
				t.Errorf("hits (-want +got):\n%s", d)
			}
		})
	}
}

func TestCorrelationLessThanAtWindowClose(t *testing.T) {
	corr := "title: Too few\nname: too_few\ncorrelation:\n    type: event_count\n    rules: [successful_login]\n    group-by: [TargetUserName]\n    timespan: 1m\n    condition:\n        lt: 2\n"
	got, set, c := runCorrelation(t, corr, []corrEvent{{0, 4624, user("bob")}, {10, 4624, user("alice")}, {20, 4624, user("alice")}})
	if len(got) != 0 {
		t.Fatalf("lt condition fired before the window closed: %v", got)
	}
	var hits []string
	c.Advance(corrBase.Add(5*time.Minute), func(h CorrelationHit) { hits = append(hits, h.String()) })
	if d := cmp.Diff([]string{"Too few [bob] = 1"}, hits); d != "" {
		t.Errorf("hits at window close (-want +got):\n%s", d)
	}
	_ = set
}

func TestCorrelationGenerate(t *testing.T) {
	corr := "title: Many failed\nname: many_failed\ncorrelation:\n    type: event_count\n    rules: [failed_logon]\n    group-by: [TargetUserName]\n    timespan: 10m\n    condition:\n        gte: 3\n---\ntitle: Recon pair\ncorrelation:\n    type: temporal\n    generate: true\n    rules: [recon_a, recon_b]\n    group-by: [SubjectUserName]\n    timespan: 5m\n"
	_, set, _ := runCorrelation(t, corr, nil)
	standalone := map[string]bool{}
	for _, r := range set.Rules() {
		standalone[r.Name] = set.Standalone(r)
	}
	want := map[string]bool{"failed_logon": false, "successful_login": true, "recon_a": true, "recon_b": true}
	if d := cmp.Diff(want, standalone); d != "" {
		t.Errorf("Standalone (-want +got):\n%s", d)
	}
	if n := len(set.Correlations()); n != 2 {
		t.Errorf("%d correlations, want 2", n)
	}
}

func TestCorrelationUnknownRule(t *testing.T) {
	rules := mustParse(t, corrBaseRules+"---\ntitle: Bad\ncorrelation:\n    type: event_count\n    rules: [nope]\n    group-by: [x]\n    timespan: 1m\n    condition:\n        gte: 1\n")
	set, err := Compile(rules, Options{})
	if err == nil || !strings.Contains(err.Error(), `unknown rule "nope"`) {
		t.Fatalf("err = %v", err)
	}
	if len(set.Correlations()) != 0 || len(set.Rules()) != 4 {
		t.Errorf("set has %d correlations and %d rules", len(set.Correlations()), len(set.Rules()))
	}
}

func TestCorrelatorStateRoundTrip(t *testing.T) {
	corr := "title: Many failed\nid: 0e95725d-7320-415d-80f7-004da920fc11\nname: many_failed\ncorrelation:\n    type: event_count\n    rules: [failed_logon]\n    group-by: [TargetUserName]\n    timespan: 10m\n    condition:\n        gte: 3\n"
	got, set, c := runCorrelation(t, corr, []corrEvent{{0, 4625, user("bob")}, {10, 4625, user("bob")}})
	if len(got) != 0 {
		t.Fatalf("fired early: %v", got)
	}
	state, err := c.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	restored := NewCorrelator(set, CorrelatorOptions{})
	if err := restored.UnmarshalBinary(state); err != nil {
		t.Fatal(err)
	}
	hits := feedCorrelator(t, set, restored, []corrEvent{{20, 4625, user("bob")}})
	if d := cmp.Diff([]string{"many_failed bob 3 @20s"}, hits); d != "" {
		t.Errorf("after restore (-want +got):\n%s", d)
	}
	if err := restored.UnmarshalBinary([]byte("garbage")); err == nil {
		t.Error("garbage state accepted")
	}
}

func TestCorrelatorBoundedState(t *testing.T) {
	corr := "title: Many failed\nname: many_failed\ncorrelation:\n    type: event_count\n    rules: [failed_logon]\n    group-by: [TargetUserName]\n    timespan: 1m\n    condition:\n        gte: 100\n"
	rules := mustParse(t, corrBaseRules+"---\n"+corr)
	set, err := Compile(rules, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := NewCorrelator(set, CorrelatorOptions{MaxGroups: 3})
	var events []corrEvent
	for i := 0; i < 50; i++ {
		events = append(events, corrEvent{i, 4625, user(fmt.Sprint("u", i))})
	}
	feedCorrelator(t, set, c, events)
	if n := len(c.states[0]); n > 3 {
		t.Errorf("%d groups kept, want at most 3", n)
	}
	c.Advance(corrBase.Add(time.Hour), func(CorrelationHit) {})
	if n := len(c.states[0]); n != 0 {
		t.Errorf("%d groups kept after the timespan passed, want 0", n)
	}
}
