package eventlog

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func init() { register("ConsumerLag", testConsumerLag) }

// testConsumerLag: a consumer that does not exist is not behind; one that
// acknowledged everything is not behind; batches stored after that are
// pending, and the oldest of them dates the lag.
func testConsumerLag(t *testing.T, e *env) {
	l := e.open(t)
	ctx := t.Context()
	subj, err := l.Subject("MOH")
	if err != nil {
		t.Fatal(err)
	}
	publish := func(n int, tag string) {
		for i := range n {
			if _, err := l.Publish(ctx, subj, []byte(`{"n":1}`), tag+string(rune('a'+i))); err != nil {
				t.Fatal(err)
			}
		}
	}
	if lag, err := l.ConsumerLag(ctx, "nobody"); err != nil || lag.Pending != 0 || !lag.Oldest.IsZero() {
		t.Fatalf("a consumer that does not exist: %+v %v", lag, err)
	}
	publish(3, "first")
	var seen atomic.Int64
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- l.Consume(cctx, "lagtest", func(ctx context.Context, msgs []Msg) error {
			if seen.Add(int64(len(msgs))) >= 3 {
				cancel()
			}
			return nil
		}, WithBatchSize(1), WithMaxWait(50*time.Millisecond))
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the consumer did not take the three batches")
	}
	// The acknowledgements of the last batch may land just after.
	deadline := time.Now().Add(10 * time.Second)
	for {
		lag, err := l.ConsumerLag(ctx, "lagtest")
		if err != nil {
			t.Fatal(err)
		}
		if lag.Pending == 0 && lag.Oldest.IsZero() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("caught up, yet: %+v", lag)
		}
		time.Sleep(50 * time.Millisecond)
	}
	before := time.Now()
	publish(2, "second")
	lag, err := l.ConsumerLag(ctx, "lagtest")
	if err != nil || lag.Pending != 2 || lag.Oldest.Before(before.Add(-time.Second)) || lag.Oldest.After(time.Now()) {
		t.Fatalf("two batches behind: %+v %v (published after %s)", lag, err, before)
	}
}
