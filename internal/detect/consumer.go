package detect

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/kubu-gov/kubu/internal/eventlog"
	"github.com/kubu-gov/kubu/internal/sigma"
)

// DetectDurable is the durable consumer the detection workers of every
// node share.
const DetectDurable = "detect"

// errNoRules delays a batch until the first rule set is compiled.
var errNoRules = errors.New("detect: rules not loaded yet")

// worker is one detection goroutine with its own matcher.
type worker struct {
	s  *Service
	rs *ruleSet
	m  *sigma.Matcher
	// scratch reused between batches
	hits    []hit
	sources map[sourceKey]sourceSeen
}

type sourceKey struct{ agency, protocol, host string }

type sourceSeen struct{ at time.Time }

func (s *Service) runWorker(ctx context.Context, log *eventlog.Log) {
	w := &worker{s: s, sources: map[sourceKey]sourceSeen{}}
	s.consumeLoop(ctx, DetectDurable, func(ctx context.Context) error {
		// A short ack wait: after a crash, batches in flight come back within 10 s.
		return log.Consume(ctx, DetectDurable, w.handle, eventlog.WithBatchSize(s.opts.BatchSize), eventlog.WithMaxWait(100*time.Millisecond),
			eventlog.WithAckWait(10*time.Second))
	})
}

// forEachEvent calls fn for every event line of a batch with its id:
// "<stream id>-<stream seq>-<index>", unique across stream incarnations (a
// replaced stream reuses sequences; its events must not be taken for ones
// already seen).
func forEachEvent(m eventlog.Msg, fn func(eventID string, line []byte)) {
	data := m.Data
	prefix := strconv.FormatUint(m.Seq, 10) + "-"
	if m.StreamID != "" {
		prefix = m.StreamID + "-" + prefix
	}
	for i := 0; len(data) > 0; i++ {
		line := data
		if j := bytes.IndexByte(data, '\n'); j >= 0 {
			line, data = data[:j], data[j+1:]
		} else {
			data = nil
		}
		if len(line) == 0 {
			i--
			continue
		}
		fn(prefix+strconv.Itoa(i), line)
	}
}

// handle matches every event of the batch and writes the alerts and the
// sources' last-seen times in one transaction; the batch is acknowledged
// only after it commits.
func (w *worker) handle(ctx context.Context, msgs []eventlog.Msg) error {
	s := w.s
	rs := s.current()
	if rs == nil {
		return errNoRules
	}
	if w.rs != rs {
		w.rs, w.m = rs, rs.set.NewMatcher()
	}
	w.hits = w.hits[:0]
	clear(w.sources)
	events := 0
	for _, m := range msgs {
		forEachEvent(m, func(eventID string, line []byte) {
			events++
			matched, meta, err := matchLine(w.m, line)
			if meta.Agency == "" {
				meta.Agency = agencyOfSubject(m.Subject)
			}
			if meta.Received.IsZero() {
				meta.Received = m.Time
			}
			if meta.Time.IsZero() {
				meta.Time = meta.Received
			}
			k := sourceKey{meta.Agency, meta.Protocol, meta.Host}
			if seen := w.sources[k]; meta.Received.After(seen.at) {
				w.sources[k] = sourceSeen{meta.Received}
			}
			if err != nil {
				return // not a JSON object: nothing can match
			}
			for _, r := range matched {
				if !rs.set.Standalone(r) {
					continue
				}
				h := hitOf(r, KindDetection)
				h.eventID, h.agency, h.at, h.event = eventID, meta.Agency, meta.Time, line
				h.group = map[string]string{"host": meta.Host}
				w.hits = append(w.hits, h)
			}
		})
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.writeHits(ctx, tx, w.hits, ""); err != nil {
			return err
		}
		return s.touchSources(ctx, tx, w.sources)
	})
	if err != nil {
		return err
	}
	s.evaluated.Add(int64(events))
	return nil
}

// agencyOfSubject is the last token of an event-log subject
// ("kubu.events.MOH" → "MOH").
func agencyOfSubject(subject string) string {
	if i := bytes.LastIndexByte([]byte(subject), '.'); i >= 0 {
		return subject[i+1:]
	}
	return subject
}
