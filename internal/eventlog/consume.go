package eventlog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Handler processes one batch of messages. Returning nil acknowledges them
// all; returning an error has them delivered again after the retry delay.
// ctx ends when Consume's context does or the Log closes.
type Handler func(ctx context.Context, msgs []Msg) error

// ConsumeOption tunes Consume.
type ConsumeOption func(*consumeOpts)

type consumeOpts struct {
	batch      int
	maxWait    time.Duration
	ackWait    time.Duration
	retryDelay time.Duration
	maxDeliver int
	filter     string
	deliverNew bool
}

// WithBatchSize sets the most messages per handler call; default 100.
func WithBatchSize(n int) ConsumeOption { return func(o *consumeOpts) { o.batch = n } }

// WithMaxWait sets how long to wait for a batch to fill before handing over
// what has arrived; default 1 s, at most 30 s. It bounds delivery latency,
// and how long Consume (and so Close) takes to stop once ctx ends.
func WithMaxWait(d time.Duration) ConsumeOption { return func(o *consumeOpts) { o.maxWait = d } }

// WithAckWait sets how long the server waits for an ack before delivering a
// message again (after a crash); default 30 s. While a handler runs,
// Consume tells the server it is still working every AckWait/2.
func WithAckWait(d time.Duration) ConsumeOption { return func(o *consumeOpts) { o.ackWait = d } }

// WithRetryDelay sets how long after a handler error its messages come
// back; default 1 s.
func WithRetryDelay(d time.Duration) ConsumeOption {
	return func(o *consumeOpts) { o.retryDelay = d }
}

// WithMaxDeliver gives up on a message after n deliveries; default
// unlimited, since an event must not be dropped silently. Handlers can see
// Msg.NumDelivered to set poison messages aside themselves.
func WithMaxDeliver(n int) ConsumeOption { return func(o *consumeOpts) { o.maxDeliver = n } }

// WithFilter consumes only subject (wildcards allowed), e.g. one agency's.
func WithFilter(subject string) ConsumeOption { return func(o *consumeOpts) { o.filter = subject } }

// WithDeliverNew makes a newly created durable start at new messages
// instead of everything retained. It has no effect on an existing durable.
func WithDeliverNew() ConsumeOption { return func(o *consumeOpts) { o.deliverNew = true } }

func (o *consumeOpts) check() error {
	switch {
	case o.batch < 1 || o.batch > 10000:
		return fmt.Errorf("eventlog: batch size %d out of range 1..10000", o.batch)
	case o.maxWait < 10*time.Millisecond || o.maxWait > 30*time.Second:
		return fmt.Errorf("eventlog: max wait %v out of range 10ms..30s", o.maxWait)
	case o.ackWait < time.Second:
		return fmt.Errorf("eventlog: ack wait %v below 1s", o.ackWait)
	case o.retryDelay < 0:
		return fmt.Errorf("eventlog: retry delay %v is negative", o.retryDelay)
	case o.maxDeliver == 0 || o.maxDeliver < -1:
		return fmt.Errorf("eventlog: max deliver %d: want -1 (unlimited) or at least 1", o.maxDeliver)
	}
	return nil
}

// Consume runs a durable pull consumer named durable over the stream,
// handing batches to h in stream order, until ctx ends (it returns
// ctx.Err()), the Log closes (ErrClosed), or the consumer cannot be
// created. Delivery is at least once: messages whose handler failed, or
// that were in flight when a process died, come back. The durable's
// position survives restarts; several processes may share one durable to
// split the work.
func (l *Log) Consume(ctx context.Context, durable string, h Handler, opts ...ConsumeOption) error {
	o := consumeOpts{batch: 100, maxWait: time.Second, ackWait: 30 * time.Second, retryDelay: time.Second, maxDeliver: -1}
	for _, opt := range opts {
		opt(&o)
	}
	if err := o.check(); err != nil {
		return err
	}
	if !isToken(durable, true) {
		return fmt.Errorf("eventlog: durable name %q: want letters, digits, '-' and '_'", durable)
	}
	if err := l.begin(); err != nil {
		return err
	}
	defer l.active.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(l.life, cancel)()

	cc := jetstream.ConsumerConfig{
		Durable:       durable,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       o.ackWait,
		MaxDeliver:    o.maxDeliver,
		MaxAckPending: max(1000, 2*o.batch),
		MaxWaiting:    512,
		FilterSubject: o.filter,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	}
	if o.deliverNew {
		cc.DeliverPolicy = jetstream.DeliverNewPolicy
	}
	cons, err := l.consumer(ctx, cc)
	if err != nil {
		return l.stopErr(ctx, err)
	}
	log := l.log.With("durable", durable)
	for {
		if ctx.Err() != nil {
			return l.stopErr(ctx, nil)
		}
		jmsgs, err := fetch(cons, o.batch, l.fetchBytes(), o.maxWait)
		if ctx.Err() != nil {
			nakAll(jmsgs, 0)
			return l.stopErr(ctx, nil)
		}
		if err != nil {
			if errors.Is(err, nats.ErrConnectionClosed) {
				return fmt.Errorf("eventlog: consume %s: %w", durable, err)
			}
			log.Warn("event log fetch failed", "err", err)
			if errors.Is(err, jetstream.ErrConsumerNotFound) || errors.Is(err, jetstream.ErrConsumerDeleted) {
				if c, cerr := l.consumer(ctx, cc); cerr == nil {
					cons = c
				}
			}
			nakAll(jmsgs, 0)
			sleep(ctx, max(o.retryDelay, 100*time.Millisecond))
			continue
		}
		if len(jmsgs) == 0 {
			continue
		}
		l.handle(ctx, log, h, jmsgs, o)
	}
}

// handle runs h over one fetched batch and acks or naks it.
func (l *Log) handle(ctx context.Context, log *slog.Logger, h Handler, jmsgs []jetstream.Msg, o consumeOpts) {
	msgs := make([]Msg, 0, len(jmsgs))
	for _, m := range jmsgs {
		msg, err := toMsg(m)
		if err != nil {
			// Not a JetStream delivery; cannot happen on a consumer's
			// own subject, but never hand the handler a half message.
			log.Warn("event log message without metadata", "err", err)
			nakAll(jmsgs, o.retryDelay)
			return
		}
		msgs = append(msgs, msg)
	}
	stopProgress := keepInProgress(jmsgs, o.ackWait/2)
	err := h(ctx, msgs)
	stopProgress()
	if err != nil {
		delay := o.retryDelay
		if ctx.Err() != nil {
			delay = 0 // shutting down: let another consumer have them now
		} else {
			log.Warn("event log handler failed; will redeliver", "first_seq", msgs[0].Seq, "count", len(msgs), "err", err)
		}
		nakAll(jmsgs, delay)
		return
	}
	if err := ackAll(ctx, jmsgs); err != nil {
		log.Warn("event log ack failed; messages will be redelivered", "first_seq", msgs[0].Seq, "err", err)
	}
}

func (l *Log) consumer(ctx context.Context, cc jetstream.ConsumerConfig) (jetstream.Consumer, error) {
	c, err := l.stream.CreateOrUpdateConsumer(ctx, cc)
	if err != nil {
		return nil, fmt.Errorf("eventlog: consumer %s: %w", cc.Durable, err)
	}
	return c, nil
}

// stopErr is what Consume and Range return once ctx has ended: ErrClosed
// when Close ended it, else the caller's context error, else err.
func (l *Log) stopErr(ctx context.Context, err error) error {
	if l.life.Err() != nil {
		return ErrClosed
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// fetchBytes caps the bytes of one fetched batch, bounding memory and
// staying under the client's 64 MiB pending limit, while always leaving
// room for the largest message the server accepts.
func (l *Log) fetchBytes() int {
	return max(16<<20, 2*int(l.nc.MaxPayload()))
}

// fetch pulls up to n messages and maxBytes, waiting at most maxWait for
// the batch to fill. It does not watch ctx: the server ends the request
// after maxWait, and reading until then means no message delivered to this
// fetch is dropped on the client (which would delay it by the ack wait).
// It returns what arrived even alongside an error.
func fetch(cons jetstream.Consumer, n, maxBytes int, maxWait time.Duration) ([]jetstream.Msg, error) {
	batch, err := cons.Fetch(n, jetstream.FetchMaxBytes(maxBytes), jetstream.FetchMaxWait(maxWait))
	if err != nil {
		return nil, err
	}
	var out []jetstream.Msg
	for m := range batch.Messages() {
		out = append(out, m)
	}
	return out, batch.Error()
}

// keepInProgress tells the server every interval that msgs are still being
// handled, so a slow handler is not mistaken for a dead one.
func keepInProgress(msgs []jetstream.Msg, interval time.Duration) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				for _, m := range msgs {
					_ = m.InProgress() // best effort; worst case is a redelivery
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}

// ackAll acks every message and waits for the server to confirm the last,
// so a Close or crash right after a handler cannot replay its batch.
// (Acks from one connection are handled in order.)
func ackAll(ctx context.Context, msgs []jetstream.Msg) error {
	for _, m := range msgs[:len(msgs)-1] {
		if err := m.Ack(); err != nil {
			return err
		}
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return msgs[len(msgs)-1].DoubleAck(actx)
}

func nakAll(msgs []jetstream.Msg, delay time.Duration) {
	for _, m := range msgs {
		if delay > 0 {
			_ = m.NakWithDelay(delay)
		} else {
			_ = m.Nak()
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
