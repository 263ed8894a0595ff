package eventlog

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// Batch is one message to publish: many events in Data, stored together.
type Batch struct {
	Subject string // from Subject(agency)
	Data    []byte
	// MsgID, when set, becomes the Nats-Msg-Id header: a second publish
	// with the same ID inside the duplicate window is stored only once and
	// acknowledged with the first one's sequence. Use it to make retries
	// safe.
	MsgID string
}

func (l *Log) checkBatch(b Batch) error {
	if err := checkSubject(l.prefix, b.Subject); err != nil {
		return err
	}
	if len(b.Data) == 0 {
		return errors.New("eventlog: empty batch")
	}
	if len(b.Data) > l.maxData {
		return fmt.Errorf("eventlog: %d bytes, at most %d: %w", len(b.Data), l.maxData, ErrBatchTooLarge)
	}
	if len(b.MsgID) > 256 {
		return fmt.Errorf("eventlog: message id of %d bytes, at most 256", len(b.MsgID))
	}
	return nil
}

func pubOpts(msgID string) []jetstream.PublishOpt {
	if msgID == "" {
		return nil
	}
	return []jetstream.PublishOpt{jetstream.WithMsgID(msgID)}
}

// Publish stores one batch and returns its stream sequence once JetStream
// has acknowledged it (on the embedded server: written and fsynced). A nil
// error means the events are durable; on error they may or may not be
// stored, so retry with the same msgID. Give ctx a deadline: a
// context.Background() gets nats.go's 5 s, any other waits for the ack
// until ctx ends.
func (l *Log) Publish(ctx context.Context, subject string, data []byte, msgID string) (uint64, error) {
	if err := l.checkOpen(); err != nil {
		return 0, err
	}
	b := Batch{Subject: subject, Data: data, MsgID: msgID}
	if err := l.checkBatch(b); err != nil {
		return 0, err
	}
	ack, err := l.js.Publish(ctx, subject, data, pubOpts(msgID)...)
	if err != nil {
		return 0, fmt.Errorf("eventlog: publish to %s: %w", subject, err)
	}
	return ack.Sequence, nil
}

// PendingAck is an asynchronous publish waiting for its acknowledgement.
type PendingAck struct {
	subject string
	f       jetstream.PubAckFuture
	dup     bool
}

// Duplicate reports, after Wait returned nil, that the batch's MsgID was
// already stored inside the duplicate window: this publish stored nothing.
func (p *PendingAck) Duplicate() bool { return p.dup }

// Wait blocks until the batch is stored, it failed, or ctx ends. A ctx
// error says nothing about whether the batch was stored.
func (p *PendingAck) Wait(ctx context.Context) (uint64, error) {
	select {
	case ack := <-p.f.Ok():
		p.dup = ack.Duplicate
		return ack.Sequence, nil
	case err := <-p.f.Err():
		return 0, fmt.Errorf("eventlog: publish to %s: %w", p.subject, err)
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// PublishAsync sends one batch without waiting for its acknowledgement;
// call Wait on the result. At most 256 publishes are in flight per Log:
// past that PublishAsync blocks, failing after 30 s. The batch is durable
// only once Wait returns nil.
func (l *Log) PublishAsync(b Batch) (*PendingAck, error) {
	if err := l.checkOpen(); err != nil {
		return nil, err
	}
	if err := l.checkBatch(b); err != nil {
		return nil, err
	}
	opts := append(pubOpts(b.MsgID), jetstream.WithStallWait(asyncAckTimeout))
	f, err := l.js.PublishAsync(b.Subject, b.Data, opts...)
	if err != nil {
		return nil, fmt.Errorf("eventlog: publish to %s: %w", b.Subject, err)
	}
	return &PendingAck{subject: b.Subject, f: f}, nil
}

// PublishAll publishes the batches concurrently and waits for every
// acknowledgement. seqs[i] is batch i's sequence, 0 where it failed; err
// joins the failures, each naming its batch index. Retrying only the failed
// batches, with the same MsgIDs, is safe.
func (l *Log) PublishAll(ctx context.Context, batches []Batch) (seqs []uint64, err error) {
	seqs, _, err = l.PublishAllReport(ctx, batches)
	return seqs, err
}

// PublishAllReport is PublishAll that also reports which batches were
// duplicates (dup[i]: batch i's MsgID was stored before, inside the
// duplicate window, so this publish stored nothing new).
func (l *Log) PublishAllReport(ctx context.Context, batches []Batch) (seqs []uint64, dup []bool, err error) {
	seqs = make([]uint64, len(batches))
	dup = make([]bool, len(batches))
	pending := make([]*PendingAck, len(batches))
	var errs []error
	for i, b := range batches {
		if ctx.Err() != nil {
			errs = append(errs, fmt.Errorf("batch %d: %w", i, ctx.Err()))
			continue
		}
		p, err := l.PublishAsync(b)
		if err != nil {
			errs = append(errs, fmt.Errorf("batch %d: %w", i, err))
			continue
		}
		pending[i] = p
	}
	for i, p := range pending {
		if p == nil {
			continue
		}
		seq, err := p.Wait(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("batch %d: %w", i, err))
			continue
		}
		seqs[i], dup[i] = seq, p.Duplicate()
	}
	return seqs, dup, errors.Join(errs...)
}
