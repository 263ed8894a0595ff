package intake

import (
	"github.com/kubu-gov/kubu/internal/event"

	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kubu-gov/kubu/internal/eventlog"
)

// ErrUnavailable means the event log is not attached or did not store the
// events; shippers are told to retry.
var ErrUnavailable = errors.New("intake: event log unavailable")

// publishTimeout bounds the wait for the event log's acknowledgement.
const publishTimeout = 15 * time.Second

// pending is one agency's normalised events awaiting storage.
type pending struct {
	agency string // agency code or Unassigned
	// key, when set, is the client's idempotency key for these events
	// (idempotency.go): the batches' MsgIDs derive from it, so a resend
	// inside the event log's duplicate window stores nothing twice.
	key  string
	buf  []byte // NDJSON lines
	ends []int  // end offset in buf of each line
}

func (p *pending) reset(agency string) {
	p.agency = agency
	p.key = ""
	p.buf = p.buf[:0]
	p.ends = p.ends[:0]
}

// add appends one event. An object that spans lines is compacted first,
// so every event stays one NDJSON line.
func (p *pending) add(obj []byte, m *Meta) {
	if bytes.IndexByte(obj, '\n') >= 0 || bytes.IndexByte(obj, '\r') >= 0 {
		var c bytes.Buffer
		if json.Compact(&c, obj) == nil {
			obj = c.Bytes()
		} else {
			obj = bytes.ReplaceAll(bytes.ReplaceAll(obj, []byte("\n"), []byte(" ")), []byte("\r"), []byte(" "))
		}
	}
	p.buf = event.AppendLine(p.buf, obj, m)
	p.ends = append(p.ends, len(p.buf))
}

// undo drops the last event (one that turned out too large to store).
func (p *pending) undo() {
	p.ends = p.ends[:len(p.ends)-1]
	if n := len(p.ends); n > 0 {
		p.buf = p.buf[:p.ends[n-1]]
	} else {
		p.buf = p.buf[:0]
	}
}

// lastSize is the size of the last event added.
func (p *pending) lastSize() int {
	n := len(p.ends)
	if n == 1 {
		return p.ends[0]
	}
	return p.ends[n-1] - p.ends[n-2]
}

func (p *pending) len() int { return len(p.ends) }

// batches cuts p into event-log batches of at most maxBytes and maxEvents.
func (p *pending) batches(subject string, maxBytes, maxEvents int) []eventlog.Batch {
	var out []eventlog.Batch
	start, first := 0, 0
	for i, end := range p.ends {
		if end-start > maxBytes || i-first >= maxEvents {
			prev := p.ends[i-1]
			out = append(out, eventlog.Batch{Subject: subject, Data: p.buf[start:prev], MsgID: p.msgID(len(out))})
			start, first = prev, i
		}
	}
	if start < len(p.buf) {
		out = append(out, eventlog.Batch{Subject: subject, Data: p.buf[start:], MsgID: p.msgID(len(out))})
	}
	return out
}

// msgID is batch i's de-duplication id: derived from the client's
// idempotency key when there is one (a resend of the request cuts the same
// batches and gets the same ids), else random (kubu's own retry of the
// batch reuses it).
func (p *pending) msgID(i int) string {
	if p.key != "" {
		return keyedMsgID(p.key, i)
	}
	return msgID()
}

// msgID is a random de-duplication id: a retry of the same batch with it
// is stored once.
func msgID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// commit stores p's events durably and counts them. It returns only once
// the event log has acknowledged every batch (retrying a failed batch once
// with the same id) and the count is committed to the database, or with an
// error wrapping ErrUnavailable: the caller then answers "retry".
func (s *Service) commit(ctx context.Context, p *pending, agencyID, protocol string) error {
	dupEvents, dupBytes, err := s.publishReport(ctx, p, agencyID, protocol)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
	defer cancel()
	// A resend's batches already stored (same idempotency key) were
	// counted the first time.
	if err := s.stats.commitAccepted(ctx, agencyID, protocol, int64(p.len()-dupEvents), int64(len(p.buf)-dupBytes)); err != nil {
		s.log.Error("intake: events stored but not counted; answering retry", "agency", p.agency, "protocol", protocol, "events", p.len(), "err", err)
		return fmt.Errorf("%w: count: %w", ErrUnavailable, err)
	}
	return nil
}

// publish stores p's events durably in the event log.
func (s *Service) publish(ctx context.Context, p *pending, agencyID, protocol string) error {
	_, _, err := s.publishReport(ctx, p, agencyID, protocol)
	return err
}

// publishReport is publish that also reports the events and bytes of the
// batches the log already held (a resend under the same idempotency key).
func (s *Service) publishReport(ctx context.Context, p *pending, agencyID, protocol string) (dupEvents, dupBytes int, err error) {
	if p.len() == 0 {
		return 0, 0, nil
	}
	log := s.eventLog()
	if log == nil {
		return 0, 0, fmt.Errorf("%w: not attached", ErrUnavailable)
	}
	subject, err := log.Subject(p.agency)
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	batches := p.batches(subject, min(log.MaxBatchBytes(), s.opts.MaxBatchBytes), s.opts.MaxBatchEvents)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
	defer cancel()
	seqs, dup, err := log.PublishAllReport(ctx, batches)
	// Only the first round's duplicates were stored by an earlier request
	// (a client's resend under the same key, counted then); a duplicate
	// in kubu's own retry below is this request's first try, not counted.
	for i, d := range dup {
		if d && p.key != "" {
			dupEvents += bytes.Count(batches[i].Data, []byte{'\n'})
			dupBytes += len(batches[i].Data)
		}
	}
	if err != nil {
		var retry []eventlog.Batch
		var idx []int
		for i, seq := range seqs {
			if seq == 0 {
				retry = append(retry, batches[i])
				idx = append(idx, i)
			}
		}
		again, err2 := log.PublishAll(ctx, retry)
		for j, seq := range again {
			seqs[idx[j]] = seq
		}
		if err2 != nil {
			s.log.Warn("intake: event log did not store a batch", "agency", p.agency, "protocol", protocol, "err", err2)
			s.stats.add(agencyID, protocol, 0, int64(p.len()), 0)
			return 0, 0, fmt.Errorf("%w: %w", ErrUnavailable, err2)
		}
	}
	s.press.events.Add(int64(p.len()))
	s.press.batches.Add(int64(len(batches)))
	return dupEvents, dupBytes, nil
}
