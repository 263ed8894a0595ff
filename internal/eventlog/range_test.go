package eventlog

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func init() {
	register("RangeByTime", testRangeByTime)
	register("RangeEdges", testRangeEdges)
	register("RangeStopsOnHandlerError", testRangeHandlerError)
	register("RangeLeavesNoConsumer", testRangeLeavesNoConsumer)
}

// publishSpaced publishes b0..b(n-1) with a pause between so each has a
// distinct stream time, and returns them as stored.
func publishSpaced(t *testing.T, l *Log, n int) []Msg {
	t.Helper()
	for i := range n {
		mustPublish(t, l, mustSubject(t, l, []string{"MOH", "MOF"}[i%2]), fmt.Sprintf("b%d", i), "")
		time.Sleep(5 * time.Millisecond)
	}
	all := rangeAll(t, l, zeroTime, zeroTime)
	if len(all) != n {
		t.Fatalf("stored %d messages, want %d", len(all), n)
	}
	for i := 1; i < n; i++ {
		if !all[i].Time.After(all[i-1].Time) {
			t.Fatalf("stream times not increasing: %v then %v", all[i-1].Time, all[i].Time)
		}
	}
	return all
}

func testRangeByTime(t *testing.T, e *env) {
	l := e.open(t)
	all := publishSpaced(t, l, 6)
	moh := mustSubject(t, l, "MOH")
	tests := []struct {
		name     string
		from, to time.Time
		opts     []RangeOption
		want     []string
	}{
		{name: "everything", want: []string{"b0", "b1", "b2", "b3", "b4", "b5"}},
		{name: "from is inclusive, to exclusive", from: all[1].Time, to: all[4].Time, want: []string{"b1", "b2", "b3"}},
		{name: "between stored times", from: all[1].Time.Add(time.Nanosecond), to: all[4].Time.Add(time.Nanosecond), want: []string{"b2", "b3", "b4"}},
		{name: "open start", to: all[2].Time, want: []string{"b0", "b1"}},
		{name: "open end", from: all[4].Time, want: []string{"b4", "b5"}},
		{name: "before all", from: all[0].Time.Add(-time.Hour), to: all[0].Time, want: nil},
		{name: "after all", from: all[5].Time.Add(time.Nanosecond), want: nil},
		{name: "empty interval", from: all[2].Time, to: all[2].Time, want: nil},
		{name: "reversed interval", from: all[4].Time, to: all[1].Time, want: nil},
		{name: "one agency", opts: []RangeOption{RangeFilter(moh)}, want: []string{"b0", "b2", "b4"}},
		{name: "one agency in time", from: all[1].Time, to: all[5].Time, opts: []RangeOption{RangeFilter(moh)}, want: []string{"b2", "b4"}},
		{name: "agency with nothing", opts: []RangeOption{RangeFilter(mustSubject(t, l, "NONE"))}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rangeAll(t, l, tt.from, tt.to, tt.opts...)
			if diff := cmp.Diff(tt.want, datas(got), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			for _, m := range got {
				if m.NumDelivered != 1 || m.Seq == 0 || m.Subject == "" {
					t.Errorf("message %+v lacks its metadata", m)
				}
			}
		})
	}
}

func testRangeEdges(t *testing.T, e *env) {
	l := e.open(t)
	if got := rangeAll(t, l, zeroTime, zeroTime); len(got) != 0 {
		t.Errorf("empty stream yielded %d messages", len(got))
	}
	all := publishSpaced(t, l, 3)
	// Messages published after Range starts do not keep it running when
	// it has no upper bound.
	var got []string
	err := l.Range(t.Context(), zeroTime, zeroTime, func(m Msg) error {
		got = append(got, string(m.Data))
		if len(got) == 1 {
			mustPublish(t, l, mustSubject(t, l, "MOH"), "late", "")
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Range: %v", err)
	}
	if diff := cmp.Diff([]string{"b0", "b1", "b2"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// A cancelled context stops it with the context's error.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := l.Range(ctx, all[0].Time, zeroTime, func(Msg) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("Range with cancelled ctx = %v, want context.Canceled", err)
	}
}

func testRangeHandlerError(t *testing.T, e *env) {
	l := e.open(t)
	publishSpaced(t, l, 4)
	stop := errors.New("enough")
	n := 0
	err := l.Range(t.Context(), zeroTime, zeroTime, func(Msg) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 2 {
		t.Errorf("Range = %v after %d calls, want the handler's error after 2", err, n)
	}
}

func testRangeLeavesNoConsumer(t *testing.T, e *env) {
	l := e.open(t)
	publishSpaced(t, l, 2)
	for range 3 {
		rangeAll(t, l, zeroTime, zeroTime)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := l.Stats(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if st.Consumers == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d consumers left on the stream 10 s after Range returned", st.Consumers)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
