package eventlog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

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
	ackPending int
}

// WithBatchSize sets the most messages per handler call; default 100.
func WithBatchSize(n int) ConsumeOption { return func(o *consumeOpts) { o.batch = n } }

// WithMaxWait sets how long, after a batch's first message, to wait for
// more that the server reports pending before handing the batch over;
// default 100 ms, at most 30 s. A batch goes to the handler at once when
// it is full or the consumer has caught up with the stream, so under load
// batches fill and at the tail latency stays low.
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

// WithMaxAckPending bounds the messages delivered but not yet acknowledged
// (default max(1000, 2×batch size)). A single consumer that must see
// messages in stream order, even after a crash or a handler error, sets it
// to its batch size: the server then redelivers the unacknowledged ones
// before anything newer.
func WithMaxAckPending(n int) ConsumeOption { return func(o *consumeOpts) { o.ackPending = n } }

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
	case o.ackPending < 0 || o.ackPending > 0 && o.ackPending < o.batch:
		return fmt.Errorf("eventlog: max ack pending %d below the batch size %d", o.ackPending, o.batch)
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
	o := consumeOpts{batch: 100, maxWait: 100 * time.Millisecond, ackWait: 30 * time.Second, retryDelay: time.Second, maxDeliver: -1}
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
	if o.ackPending > 0 {
		cc.MaxAckPending = o.ackPending
	}
	b := &batcher{l: l, cc: cc, n: o.batch, maxBytes: l.pullBytes(), maxWait: o.maxWait}
	if err := b.open(ctx); err != nil {
		return l.stopErr(ctx, err)
	}
	// Messages in hand when Consume stops are nak'd only once the pull
	// has stopped, so the server does not push them straight back to us.
	var unhandled []jetstream.Msg
	defer func() { b.stop(unhandled) }()
	log := l.log.With("durable", durable)
	for {
		jmsgs, err := b.next(ctx)
		if ctx.Err() != nil {
			unhandled = jmsgs
			return l.stopErr(ctx, nil)
		}
		if err != nil {
			nakAll(jmsgs, 0)
			if l.nc.IsClosed() {
				return fmt.Errorf("eventlog: consume %s: %w", durable, err)
			}
			log.Warn("event log consumer error", "err", err)
			sleep(ctx, max(o.retryDelay, 100*time.Millisecond))
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) || errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) {
				b.stop(nil)
				if err := b.open(ctx); err != nil && ctx.Err() == nil {
					log.Warn("event log consumer not recreated", "err", err)
				}
			}
			continue
		}
		if !l.handle(ctx, log, h, jmsgs, o) {
			unhandled = jmsgs
			return l.stopErr(ctx, nil)
		}
	}
}

// handle runs h over one batch and acks it, or naks it for a retry. It
// reports false, leaving the batch alone, when h failed because Consume is
// stopping.
func (l *Log) handle(ctx context.Context, log *slog.Logger, h Handler, jmsgs []jetstream.Msg, o consumeOpts) bool {
	msgs := make([]Msg, 0, len(jmsgs))
	for _, m := range jmsgs {
		msg, err := toMsg(m)
		if err != nil {
			// Not a JetStream delivery; cannot happen on a consumer's
			// own subject, but never hand the handler a half message.
			log.Warn("event log message without metadata", "err", err)
			nakAll(jmsgs, o.retryDelay)
			return true
		}
		msg.StreamID = l.StreamID()
		msgs = append(msgs, msg)
	}
	stopProgress := keepInProgress(jmsgs, o.ackWait/2)
	err := h(ctx, msgs)
	stopProgress()
	if err != nil {
		if ctx.Err() != nil {
			return false
		}
		log.Warn("event log handler failed; will redeliver", "first_seq", msgs[0].Seq, "count", len(msgs), "err", err)
		nakAll(jmsgs, o.retryDelay)
		return true
	}
	if err := ackAll(ctx, jmsgs); err != nil {
		log.Warn("event log ack failed; messages will be redelivered", "first_seq", msgs[0].Seq, "err", err)
	}
	return true
}

// consumer creates the durable, or updates an existing one keeping its
// start position (which the server does not let change).
func (l *Log) consumer(ctx context.Context, cc jetstream.ConsumerConfig) (jetstream.Consumer, error) {
	if old, err := l.stream.Consumer(ctx, cc.Durable); err == nil {
		oc := old.CachedInfo().Config
		cc.DeliverPolicy, cc.OptStartSeq, cc.OptStartTime = oc.DeliverPolicy, oc.OptStartSeq, oc.OptStartTime
	}
	c, err := l.stream.CreateOrUpdateConsumer(ctx, cc)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		// The stream was deleted under us: create it again (a new
		// incarnation, logged loudly) rather than stop taking events.
		if err = l.recreateStream(ctx); err == nil {
			c, err = l.stream.CreateOrUpdateConsumer(ctx, cc)
		}
	} else if err == nil {
		l.refreshStreamID(ctx)
	}
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
