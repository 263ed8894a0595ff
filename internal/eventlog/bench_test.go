package eventlog

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

const benchEventsPerBatch = 500

// benchBatch is one message of 500 JSON events of about 1 KB each,
// newline-delimited, as intake would publish them.
func benchBatch() []byte {
	var sb strings.Builder
	pad := strings.Repeat("a", 850)
	for i := range benchEventsPerBatch {
		fmt.Fprintf(&sb, `{"@timestamp":"2026-01-02T03:04:05.%06dZ","host":"web-%03d.moh.example.sg","event":{"code":4688},"process":{"command_line":"%s"}}`+"\n", i, i%100, pad)
	}
	return []byte(sb.String())
}

func benchOpen(b *testing.B, sync time.Duration) *Log {
	b.Helper()
	l, err := Open(context.Background(), Config{DataDir: b.TempDir(), SyncInterval: sync, Logger: discardLogger()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	return l
}

// BenchmarkPublish measures acknowledged publish throughput of 500-event
// batches on the embedded server: one at a time, and 32 in flight.
func BenchmarkPublish(b *testing.B) {
	data := benchBatch()
	for _, sync := range []time.Duration{0, time.Minute} {
		name := "SyncAlways"
		if sync > 0 {
			name = "SyncInterval=" + sync.String()
		}
		b.Run(name+"/sequential", func(b *testing.B) {
			l := benchOpen(b, sync)
			subj, _ := l.Subject("MOH")
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := l.Publish(b.Context(), subj, data, ""); err != nil {
					b.Fatal(err)
				}
			}
			reportEvents(b, b.N)
		})
		b.Run(name+"/pipelined32", func(b *testing.B) {
			l := benchOpen(b, sync)
			subj, _ := l.Subject("MOH")
			batches := make([]Batch, 32)
			for i := range batches {
				batches[i] = Batch{Subject: subj, Data: data}
			}
			b.SetBytes(int64(len(data)) * int64(len(batches)))
			for b.Loop() {
				if _, err := l.PublishAll(b.Context(), batches); err != nil {
					b.Fatal(err)
				}
			}
			reportEvents(b, b.N*len(batches))
		})
	}
}

// BenchmarkRange measures reading back 200 retained batches (100,000
// events, ~100 MB) in time order, handing each to a no-op handler.
func BenchmarkRange(b *testing.B) {
	const batches = 200
	data := benchBatch()
	l := benchOpen(b, time.Minute)
	subj, _ := l.Subject("MOH")
	for range batches / 50 {
		bs := make([]Batch, 50)
		for i := range bs {
			bs[i] = Batch{Subject: subj, Data: data}
		}
		if _, err := l.PublishAll(b.Context(), bs); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(data)) * batches)
	for b.Loop() {
		n := 0
		err := l.Range(b.Context(), time.Time{}, time.Now().Add(time.Hour), func(m Msg) error {
			n++
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if n != batches {
			b.Fatalf("Range read %d batches, want %d", n, batches)
		}
	}
	reportEvents(b, b.N*batches)
}

func reportEvents(b *testing.B, batches int) {
	b.ReportMetric(float64(batches*benchEventsPerBatch)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkConsume measures a durable consumer working through 200
// retained batches (100,000 events) in batches of 50 messages, acking each.
func BenchmarkConsume(b *testing.B) {
	const batches = 200
	data := benchBatch()
	l := benchOpen(b, time.Minute)
	subj, _ := l.Subject("MOH")
	bs := make([]Batch, batches)
	for i := range bs {
		bs[i] = Batch{Subject: subj, Data: data}
	}
	if _, err := l.PublishAll(b.Context(), bs); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)) * batches)
	i := 0
	for b.Loop() {
		i++
		ctx, cancel := context.WithCancel(b.Context())
		n := 0
		err := l.Consume(ctx, fmt.Sprintf("bench%d", i), func(_ context.Context, msgs []Msg) error {
			if n += len(msgs); n >= batches {
				cancel()
			}
			return nil
		}, WithBatchSize(50), WithMaxWait(time.Second))
		cancel()
		if n != batches {
			b.Fatalf("consumed %d batches, want %d (%v)", n, batches, err)
		}
	}
	reportEvents(b, b.N*batches)
}
