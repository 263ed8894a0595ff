package eventlog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// batcher turns a durable consumer's continuous pull into handler batches.
// The client keeps at most one batch of messages read ahead, so their ack
// wait does not run out while the handler works on the previous batch.
type batcher struct {
	l        *Log
	cc       jetstream.ConsumerConfig
	n        int
	maxBytes int
	maxWait  time.Duration
	it       jetstream.MessagesContext
}

// open creates (or updates) the durable and starts pulling.
func (b *batcher) open(ctx context.Context) error {
	cons, err := b.l.consumer(ctx, b.cc)
	if err != nil {
		return err
	}
	// nats.go buffers a pull in a channel as long as the pull is in
	// messages, and status messages share it: pulling exactly one batch's
	// worth overflowed it under load ("slow consumer, messages dropped",
	// then a redelivery after AckWait). Pull several batches ahead; the
	// byte limit still bounds the memory held.
	it, err := cons.Messages(jetstream.PullMaxMessagesWithBytesLimit(max(4*b.n, 64), b.maxBytes))
	if err != nil {
		return fmt.Errorf("eventlog: consumer %s: %w", b.cc.Durable, err)
	}
	b.it = it
	return nil
}

// next blocks until a message arrives or ctx ends, then gathers more
// until the batch has n messages or maxBytes of data, the server reports
// nothing more pending for this consumer, or maxWait has passed. It
// returns what it gathered even alongside an error.
func (b *batcher) next(ctx context.Context) ([]jetstream.Msg, error) {
	if b.it == nil {
		return nil, jetstream.ErrMsgIteratorClosed
	}
	m, err := b.it.Next(jetstream.NextContext(ctx))
	if err != nil {
		return nil, err
	}
	out := []jetstream.Msg{m}
	size := len(m.Data())
	if caughtUp(m) {
		return out, nil
	}
	wctx, cancel := context.WithTimeout(ctx, b.maxWait)
	defer cancel()
	for len(out) < b.n && size < b.maxBytes {
		m, err := b.it.Next(jetstream.NextContext(wctx))
		if err != nil {
			if wctx.Err() != nil {
				return out, nil // window closed; the caller checks ctx
			}
			return out, err
		}
		out = append(out, m)
		size += len(m.Data())
		if caughtUp(m) {
			break
		}
	}
	return out, nil
}

// caughtUp reports whether m was the last message pending for its
// consumer when the server sent it: waiting longer would only add latency.
func caughtUp(m jetstream.Msg) bool {
	md, err := m.Metadata()
	return err == nil && md.NumPending == 0
}

// stop ends the pull, then naks held (messages the caller did not get
// handled) and whatever was read ahead, so they go to another consumer (or
// the next run) now rather than after the ack wait.
func (b *batcher) stop(held []jetstream.Msg) {
	if b.it != nil {
		it := b.it
		b.it = nil
		it.Drain()
		for {
			m, err := it.Next(jetstream.NextMaxWait(time.Second))
			if err != nil {
				if !errors.Is(err, jetstream.ErrMsgIteratorClosed) {
					it.Stop()
				}
				break
			}
			held = append(held, m)
		}
	}
	nakAll(held, 0)
}

// pullBytes caps one pull request, bounding what the server pushes at once
// and staying under the client's 64 MiB pending limit, while leaving room
// for the largest message the server accepts.
func (l *Log) pullBytes() int {
	return max(16<<20, 2*int(l.nc.MaxPayload()))
}
