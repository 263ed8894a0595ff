package eventlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func init() {
	register("ConsumeBatchesInOrder", testConsumeBatches)
	register("ConsumeRedeliversAfterHandlerError", testConsumeRedelivery)
	register("ConsumeKeepsPositionAcrossReopen", testConsumePosition)
	register("ConsumeRedeliversUnackedAfterReopen", testConsumeUnacked)
	register("ConsumeSlowHandlerNotRedelivered", testConsumeSlowHandler)
	register("ConsumeFilter", testConsumeFilter)
	register("ConsumeStopsOnClose", testConsumeStopsOnClose)
	register("ConsumeRejectsBadOptions", testConsumeRejects)
	register("ConsumeLargeBatches", testConsumeLarge)
	register("ConsumeCaughtUpDoesNotWait", testConsumeCaughtUp)
}

// collector gathers handler calls until it has want messages, then
// cancels the Consume.
type collector struct {
	mu      sync.Mutex
	batches [][]Msg
	n, want int
	cancel  context.CancelFunc
	fail    func(msgs []Msg) error // optional: decides a handler error
	done    func(all []Msg) bool   // optional: replaces "want messages seen"
}

func (c *collector) handle(_ context.Context, msgs []Msg) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.batches = append(c.batches, msgs)
	if c.fail != nil {
		if err := c.fail(msgs); err != nil {
			return err
		}
	}
	c.n += len(msgs)
	if c.done != nil && c.done(c.all()) || c.done == nil && c.n >= c.want {
		c.cancel()
	}
	return nil
}

func (c *collector) all() []Msg {
	var out []Msg
	for _, b := range c.batches {
		out = append(out, b...)
	}
	return out
}

// consumeUntil runs Consume until c has seen want acked messages or 20 s
// pass.
func consumeUntil(t *testing.T, l *Log, durable string, c *collector, opts ...ConsumeOption) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	c.cancel = cancel
	err := l.Consume(ctx, durable, c.handle, opts...)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Consume returned %v after %d of %d messages, want context.Canceled", err, c.n, c.want)
	}
}

func testConsumeBatches(t *testing.T, e *env) {
	l := e.open(t)
	before := time.Now()
	for i := range 10 {
		mustPublish(t, l, mustSubject(t, l, []string{"MOH", "MOF"}[i%2]), fmt.Sprintf("b%d", i), fmt.Sprintf("id%d", i))
	}
	c := &collector{want: 10}
	consumeUntil(t, l, "detect", c, WithBatchSize(4), WithMaxWait(200*time.Millisecond))
	for i, b := range c.batches {
		if len(b) > 4 {
			t.Errorf("batch %d has %d messages, want at most 4", i, len(b))
		}
	}
	got := c.all()
	var wantData, gotData []string
	for i := range 10 {
		wantData = append(wantData, fmt.Sprintf("b%d", i))
	}
	gotData = datas(got)
	if diff := cmp.Diff(wantData, gotData); diff != "" {
		t.Fatalf("data in order (-want +got):\n%s", diff)
	}
	for i, m := range got {
		wantSubj := l.Prefix() + "." + []string{"MOH", "MOF"}[i%2]
		if m.Seq != uint64(i+1) || m.Subject != wantSubj || m.MsgID != fmt.Sprintf("id%d", i) || m.NumDelivered != 1 {
			t.Errorf("msg %d = seq %d subject %s id %s delivered %d; want seq %d %s id%d once", i, m.Seq, m.Subject, m.MsgID, m.NumDelivered, i+1, wantSubj, i)
		}
		if m.Time.Before(before.Add(-time.Second)) || m.Time.After(time.Now().Add(time.Second)) {
			t.Errorf("msg %d time %v is outside the test's run", i, m.Time)
		}
	}
}

func testConsumeRedelivery(t *testing.T, e *env) {
	l := e.open(t)
	subj := mustSubject(t, l, "MOH")
	for i := range 3 {
		mustPublish(t, l, subj, fmt.Sprintf("b%d", i), "")
	}
	failed := false
	c := &collector{want: 3, fail: func(msgs []Msg) error {
		if !failed {
			failed = true
			return errors.New("database down")
		}
		return nil
	}}
	consumeUntil(t, l, "detect", c, WithBatchSize(10), WithMaxWait(100*time.Millisecond), WithRetryDelay(100*time.Millisecond))
	if len(c.batches) < 2 {
		t.Fatalf("handler called %d times, want a failed call and a retry", len(c.batches))
	}
	first := c.batches[0][0]
	var redelivered *Msg
	for _, b := range c.batches[1:] {
		for _, m := range b {
			if m.Seq == first.Seq {
				redelivered = &m
			}
		}
	}
	if redelivered == nil {
		t.Fatalf("seq %d was never redelivered after the handler error", first.Seq)
	}
	if redelivered.NumDelivered < 2 || string(redelivered.Data) != string(first.Data) {
		t.Errorf("redelivery = %q delivered %d times, want %q delivered at least twice", redelivered.Data, redelivered.NumDelivered, first.Data)
	}
}

func testConsumePosition(t *testing.T, e *env) {
	l := e.open(t)
	subj := mustSubject(t, l, "MOH")
	for i := range 5 {
		mustPublish(t, l, subj, fmt.Sprintf("b%d", i), "")
	}
	c := &collector{want: 5}
	consumeUntil(t, l, "detect", c, WithMaxWait(100*time.Millisecond))
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	l = e.open(t)
	for i := 5; i < 8; i++ {
		mustPublish(t, l, subj, fmt.Sprintf("b%d", i), "")
	}
	// WithDeliverNew does not move an existing durable.
	c = &collector{want: 3}
	consumeUntil(t, l, "detect", c, WithMaxWait(100*time.Millisecond), WithDeliverNew())
	if diff := cmp.Diff([]string{"b5", "b6", "b7"}, datas(c.all())); diff != "" {
		t.Errorf("after reopen the durable delivered (-want +got):\n%s", diff)
	}
	// A second durable starts from the beginning on its own.
	c = &collector{want: 8}
	consumeUntil(t, l, "archive", c, WithMaxWait(100*time.Millisecond))
	if len(c.all()) != 8 {
		t.Errorf("new durable saw %d messages, want 8", len(c.all()))
	}
	// A new durable made with WithDeliverNew sees only what comes after.
	c = &collector{want: 1}
	go func() {
		// Publish once the durable exists (it shows in Stats).
		for {
			st, err := l.Stats(t.Context())
			if err != nil || st.Consumers == 3 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		l.Publish(t.Context(), subj, []byte("b8"), "")
	}()
	consumeUntil(t, l, "fresh", c, WithDeliverNew())
	if diff := cmp.Diff([]string{"b8"}, datas(c.all())); diff != "" {
		t.Errorf("WithDeliverNew durable saw (-want +got):\n%s", diff)
	}
}

func testConsumeUnacked(t *testing.T, e *env) {
	l := e.open(t)
	subj := mustSubject(t, l, "MOH")
	mustPublish(t, l, subj, "b0", "")
	mustPublish(t, l, subj, "b1", "")

	// The handler is mid-batch when the log closes: it never succeeds.
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- l.Consume(t.Context(), "detect", func(ctx context.Context, msgs []Msg) error {
			close(started)
			<-ctx.Done()
			return ctx.Err()
		}, WithMaxWait(100*time.Millisecond), WithAckWait(2*time.Second))
	}()
	select {
	case <-started:
	case <-time.After(20 * time.Second):
		t.Fatal("handler never called")
	}
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Errorf("Consume returned %v, want ErrClosed", err)
	}

	l = e.open(t)
	// Delivery is at least once, so duplicates are allowed; both must come
	// back, b0 marked as delivered before. An external server got the nak
	// and redelivers at once; a restarted embedded one redelivers after the
	// ack wait (naks are not persisted).
	seen := func(all []Msg) map[string]Msg {
		m := map[string]Msg{}
		for _, msg := range all {
			if _, ok := m[string(msg.Data)]; !ok {
				m[string(msg.Data)] = msg
			}
		}
		return m
	}
	c := &collector{done: func(all []Msg) bool { return len(seen(all)) == 2 }}
	consumeUntil(t, l, "detect", c, WithMaxWait(100*time.Millisecond), WithAckWait(2*time.Second))
	got := seen(c.all())
	if len(got) != 2 {
		t.Fatalf("redelivered %v, want b0 and b1", datas(c.all()))
	}
	if got["b0"].NumDelivered < 2 {
		t.Errorf("b0 NumDelivered = %d, want at least 2", got["b0"].NumDelivered)
	}
}

func testConsumeSlowHandler(t *testing.T, e *env) {
	l := e.open(t)
	mustPublish(t, l, mustSubject(t, l, "MOH"), "slow", "")
	var calls []uint64
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	err := l.Consume(ctx, "detect", func(ctx context.Context, msgs []Msg) error {
		calls = append(calls, msgs[0].NumDelivered)
		if len(calls) == 1 {
			// Three ack waits: without progress reports the server
			// would deliver it again meanwhile.
			sleep(ctx, 3*time.Second)
			// Leave time for a wrong redelivery to show up.
			go func() { sleep(ctx, 2*time.Second); cancel() }()
		}
		return nil
	}, WithAckWait(time.Second), WithMaxWait(100*time.Millisecond))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Consume: %v", err)
	}
	if diff := cmp.Diff([]uint64{1}, calls); diff != "" {
		t.Errorf("deliveries (NumDelivered per call) (-want +got):\n%s", diff)
	}
}

func testConsumeFilter(t *testing.T, e *env) {
	l := e.open(t)
	mustPublish(t, l, mustSubject(t, l, "MOH"), "moh-1", "")
	mustPublish(t, l, mustSubject(t, l, "MOF"), "mof-1", "")
	mustPublish(t, l, mustSubject(t, l, "MOH"), "moh-2", "")
	c := &collector{want: 2}
	consumeUntil(t, l, "moh-only", c, WithFilter(mustSubject(t, l, "MOH")), WithMaxWait(100*time.Millisecond))
	if diff := cmp.Diff([]string{"moh-1", "moh-2"}, datas(c.all())); diff != "" {
		t.Errorf("filtered (-want +got):\n%s", diff)
	}
}

func testConsumeStopsOnClose(t *testing.T, e *env) {
	l := e.open(t)
	done := make(chan error, 1)
	go func() {
		done <- l.Consume(t.Context(), "idle", func(context.Context, []Msg) error { return nil }, WithMaxWait(time.Second))
	}()
	// Let it reach its first fetch, then close under it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := l.Stats(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if st.Consumers == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("Consume returned %v, want ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Consume still running 10 s after Close")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Close took %v with an idle consumer", d)
	}
	if err := l.Consume(t.Context(), "idle", func(context.Context, []Msg) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("Consume after Close = %v, want ErrClosed", err)
	}
}

func testConsumeRejects(t *testing.T, e *env) {
	l := e.open(t)
	h := func(context.Context, []Msg) error { return nil }
	tests := []struct {
		name    string
		durable string
		opts    []ConsumeOption
	}{
		{name: "empty durable", durable: ""},
		{name: "dotted durable", durable: "a.b"},
		{name: "zero batch", durable: "d", opts: []ConsumeOption{WithBatchSize(0)}},
		{name: "tiny max wait", durable: "d", opts: []ConsumeOption{WithMaxWait(time.Millisecond)}},
		{name: "long max wait", durable: "d", opts: []ConsumeOption{WithMaxWait(time.Minute)}},
		{name: "tiny ack wait", durable: "d", opts: []ConsumeOption{WithAckWait(time.Millisecond)}},
		{name: "zero max deliver", durable: "d", opts: []ConsumeOption{WithMaxDeliver(0)}},
		{name: "negative retry", durable: "d", opts: []ConsumeOption{WithRetryDelay(-time.Second)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := l.Consume(t.Context(), tt.durable, h, tt.opts...); err == nil {
				t.Error("Consume accepted it")
			}
		})
	}
}

// testConsumeLarge publishes more maximum-size batches than one fetch may
// carry and checks they all arrive, intact, split over several calls.
func testConsumeLarge(t *testing.T, e *env) {
	l := e.open(t)
	size := l.MaxBatchBytes()
	n := l.pullBytes()/size + 2
	subj := mustSubject(t, l, "MOH")
	batches := make([]Batch, n)
	for i := range batches {
		data := make([]byte, size)
		for j := range data {
			data[j] = byte('a' + (i+j)%26)
		}
		batches[i] = Batch{Subject: subj, Data: data}
	}
	if _, err := l.PublishAll(t.Context(), batches); err != nil {
		t.Fatal(err)
	}
	c := &collector{want: n}
	consumeUntil(t, l, "detect", c, WithMaxWait(500*time.Millisecond))
	if len(c.batches) < 2 {
		t.Errorf("%d batches of %d bytes came in %d handler call(s), want them split", n, size, len(c.batches))
	}
	for i, b := range c.batches {
		total := 0
		for _, m := range b[:len(b)-1] {
			total += len(m.Data)
		}
		if total >= l.pullBytes() {
			t.Errorf("handler call %d got %d messages, already %d bytes before the last", i, len(b), total)
		}
	}
	for i, m := range c.all() {
		if !bytes.Equal(m.Data, batches[i].Data) {
			t.Fatalf("message %d (seq %d) differs from what was published", i, m.Seq)
		}
	}
}

// testConsumeCaughtUp checks a partial batch at the end of the stream goes
// to the handler at once, not after the batch window.
func testConsumeCaughtUp(t *testing.T, e *env) {
	l := e.open(t)
	subj := mustSubject(t, l, "MOH")
	mustPublish(t, l, subj, "b0", "")
	mustPublish(t, l, subj, "b1", "")
	start := time.Now()
	c := &collector{want: 2}
	consumeUntil(t, l, "detect", c, WithMaxWait(20*time.Second))
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("2 messages took %v to reach the handler with a 20 s window", d)
	}
	if diff := cmp.Diff([]string{"b0", "b1"}, datas(c.all())); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
