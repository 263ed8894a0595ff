package eventlog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

const (
	// rangeBufferBytes is how much Range reads ahead of its handler.
	rangeBufferBytes = 32 << 20
	// rangeIdle is how long Range waits for a message before asking the
	// server whether anything is left (messages can expire under it).
	rangeIdle = 5 * time.Second
)

// RangeOption narrows Range.
type RangeOption func(*rangeOpts)

type rangeOpts struct{ filter string }

// RangeFilter reads only subject (wildcards allowed), e.g. one agency's.
func RangeFilter(subject string) RangeOption { return func(o *rangeOpts) { o.filter = subject } }

// Range calls fn, in stream order, for every retained message whose stream
// time is in [from, to), and returns when it has seen them all, fn returns
// an error (Range returns it), ctx ends, or the Log closes (ErrClosed). A
// zero from means the oldest retained message; a zero to means no upper
// bound other than the end of the stream when Range started. Nothing is
// acknowledged and no durable state is left behind.
//
// Stream times follow the server's clock; Range starts at the first message
// stored at or after from and stops at the first one stored at or after to.
func (l *Log) Range(ctx context.Context, from, to time.Time, fn func(Msg) error, opts ...RangeOption) error {
	var o rangeOpts
	for _, opt := range opts {
		opt(&o)
	}
	if !to.IsZero() && !from.Before(to) {
		return nil
	}
	if err := l.begin(); err != nil {
		return err
	}
	defer l.active.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(l.life, cancel)()

	info, err := l.stream.Info(ctx)
	if err != nil {
		return l.stopErr(ctx, fmt.Errorf("eventlog: range: stream info: %w", err))
	}
	st := info.State
	if st.Msgs == 0 || (!from.IsZero() && st.LastTime.Before(from)) || (!to.IsZero() && !st.FirstTime.Before(to)) {
		return nil
	}
	end := st.LastSeq

	occ := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy, InactiveThreshold: time.Minute}
	if !from.IsZero() && from.After(st.FirstTime) {
		occ.DeliverPolicy = jetstream.DeliverByStartTimePolicy
		occ.OptStartTime = &from
	}
	if o.filter != "" {
		occ.FilterSubjects = []string{o.filter}
	}
	cons, err := l.js.OrderedConsumer(ctx, l.cfg.Stream, occ)
	if err != nil {
		return l.stopErr(ctx, fmt.Errorf("eventlog: range: consumer: %w", err))
	}
	it, err := cons.Messages(jetstream.PullMaxBytes(rangeBufferBytes))
	if err != nil {
		return l.stopErr(ctx, fmt.Errorf("eventlog: range: %w", err))
	}
	defer l.dropOrdered(cons)
	defer it.Stop()
	defer context.AfterFunc(ctx, it.Stop)()
	if ci := cons.CachedInfo(); ci != nil && ci.NumPending == 0 {
		return nil
	}

	for {
		jm, err := it.Next(jetstream.NextMaxWait(rangeIdle))
		if ctx.Err() != nil {
			return l.stopErr(ctx, nil)
		}
		if errors.Is(err, nats.ErrTimeout) {
			// Nothing arrived for a while: done if the server has nothing
			// left for us (e.g. the rest expired), else keep waiting.
			ci, ierr := cons.Info(ctx)
			if ierr == nil && ci.NumPending == 0 {
				return nil
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("eventlog: range: %w", err)
		}
		md, err := jm.Metadata()
		if err != nil {
			return fmt.Errorf("eventlog: range: %w", err)
		}
		if !to.IsZero() && !md.Timestamp.Before(to) {
			return nil
		}
		if from.IsZero() || !md.Timestamp.Before(from) {
			m := msgWith(jm, md)
			m.NumDelivered = 1
			m.StreamID = l.StreamID()
			if err := fn(m); err != nil {
				return err
			}
		}
		if md.Sequence.Stream >= end || md.NumPending == 0 {
			return nil
		}
	}
}

// dropOrdered deletes the server side of a finished ordered consumer now
// rather than leaving it to the inactivity threshold.
func (l *Log) dropOrdered(cons jetstream.Consumer) {
	ci := cons.CachedInfo()
	if ci == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := l.stream.DeleteConsumer(ctx, ci.Name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		l.log.Debug("event log range: delete consumer", "consumer", ci.Name, "err", err)
	}
}
