package detect

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/eventlog"
	"github.com/kubu-gov/kubu/internal/sigma"
)

// CorrelateDurable is the durable consumer of the correlation job.
const CorrelateDurable = "correlate"

// correlation is the leader's correlation job: one sigma.Correlator per
// agency (so a correlation never counts one agency's events in another's
// alert), fed in stream order. Its state and the last stream sequence it
// consumed are saved in the transaction that writes the alerts they
// caused, so after a crash it resumes exactly: batches up to that
// sequence are skipped, later ones are replayed into the saved state.
type correlation struct {
	s       *Service
	rs      *ruleSet
	m       *sigma.Matcher
	byAg    map[string]*sigma.Correlator
	lastSeq uint64
	// streamID is the stream incarnation lastSeq belongs to ("" when
	// saved before stream ids: adopted by the first batch).
	streamID string
	loaded   bool // state read from the database and still valid
}

func (s *Service) runCorrelation(ctx context.Context, log *eventlog.Log) {
	c := &correlation{s: s}
	s.consumeLoop(ctx, CorrelateDurable, func(ctx context.Context) error {
		// One batch in flight at most, so after a crash or an error the
		// unacknowledged batch comes back before anything newer.
		return log.Consume(ctx, CorrelateDurable, c.handle, eventlog.WithBatchSize(64), eventlog.WithMaxAckPending(64),
			eventlog.WithAckWait(10*time.Second), eventlog.WithMaxWait(100*time.Millisecond))
	})
}

// load reads the saved state, for the current rule set.
func (c *correlation) load(ctx context.Context, rs *ruleSet) error {
	var seq int64
	var state []byte
	var streamID string
	err := c.s.db.R().QueryRowContext(ctx, `SELECT last_seq, state, stream_id FROM correlation_state WHERE id = 1`).Scan(&seq, &state, &streamID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	saved := map[string][]byte{}
	if len(state) > 0 {
		if err := json.Unmarshal(state, &saved); err != nil {
			return fmt.Errorf("correlation state: %w", err)
		}
	}
	c.lastSeq = uint64(seq)
	c.streamID = streamID
	c.byAg = map[string]*sigma.Correlator{}
	c.rs = rs
	c.m = nil
	if rs.corr != nil {
		c.m = rs.corr.NewMatcher()
		for ag, st := range saved {
			cr := sigma.NewCorrelator(rs.corr, sigma.CorrelatorOptions{})
			if err := cr.UnmarshalBinary(st); err != nil {
				c.s.log.Warn("correlation state dropped", "agency", ag, "err", err)
				continue
			}
			c.byAg[ag] = cr
		}
	}
	c.loaded = true
	return nil
}

// rebuild carries open windows over to a new rule set.
func (c *correlation) rebuild(rs *ruleSet) error {
	state, err := c.marshal()
	if err != nil {
		return err
	}
	saved := map[string][]byte{}
	if err := json.Unmarshal(state, &saved); err != nil {
		return fmt.Errorf("correlation state: %w", err)
	}
	c.rs, c.m, c.byAg = rs, nil, map[string]*sigma.Correlator{}
	if rs.corr == nil {
		return nil
	}
	c.m = rs.corr.NewMatcher()
	for ag, st := range saved {
		cr := sigma.NewCorrelator(rs.corr, sigma.CorrelatorOptions{})
		if cr.UnmarshalBinary(st) == nil {
			c.byAg[ag] = cr
		}
	}
	return nil
}

func (c *correlation) marshal() ([]byte, error) {
	out := map[string][]byte{}
	for ag, cr := range c.byAg {
		b, err := cr.MarshalBinary()
		if err != nil {
			return nil, err
		}
		out[ag] = b
	}
	return json.Marshal(out)
}

func (c *correlation) correlator(agency string) *sigma.Correlator {
	cr := c.byAg[agency]
	if cr == nil {
		cr = sigma.NewCorrelator(c.rs.corr, sigma.CorrelatorOptions{})
		c.byAg[agency] = cr
	}
	return cr
}

func (c *correlation) handle(ctx context.Context, msgs []eventlog.Msg) error {
	s := c.s
	rs := s.current()
	if rs == nil {
		return errNoRules
	}
	if !c.loaded {
		if err := c.load(ctx, rs); err != nil {
			return err
		}
	}
	if c.rs != rs {
		if err := c.rebuild(rs); err != nil {
			return err
		}
	}
	var hits []hit
	c.checkStream(msgs)
	last := c.lastSeq
	latest := map[string]time.Time{}
	for _, m := range msgs {
		if m.Seq <= c.lastSeq {
			continue // consumed before a crash; its effects are in the saved state
		}
		last = max(last, m.Seq)
		if c.m == nil {
			continue
		}
		forEachEvent(m, func(eventID string, line []byte) {
			matched, meta, err := matchLine(c.m, line)
			if err != nil || len(matched) == 0 {
				return
			}
			if meta.Agency == "" {
				meta.Agency = agencyOfSubject(m.Subject)
			}
			if meta.Time.IsZero() {
				meta.Time = m.Time
			}
			ev, err := eventBody(line)
			if err != nil {
				return
			}
			if meta.Time.After(latest[meta.Agency]) {
				latest[meta.Agency] = meta.Time
			}
			rules := append([]*sigma.Rule(nil), matched...)
			c.correlator(meta.Agency).Observe(ev, meta.Time, rules, func(ch sigma.CorrelationHit) {
				hits = append(hits, correlationHit(ch, meta.Agency, "corr-"+eventID, line))
			})
		})
	}
	for ag, t := range latest {
		c.correlator(ag).Advance(t, func(ch sigma.CorrelationHit) {
			hits = append(hits, correlationHit(ch, ag, fmt.Sprintf("window-%s-%d", strings.Join(ch.Group, ","), ch.Time.UnixMilli()), nil))
		})
	}
	if last == c.lastSeq && len(hits) == 0 {
		return nil
	}
	state, err := c.marshal()
	if err != nil {
		c.loaded = false
		return err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.checkLease(ctx, tx, leaderLease); err != nil {
			return err
		}
		if _, err := s.writeHits(ctx, tx, hits, ""); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO correlation_state (id, last_seq, state, updated_at, stream_id) VALUES (1, $1, $2, $3, $4)
			ON CONFLICT (id) DO UPDATE SET last_seq = excluded.last_seq, state = excluded.state, updated_at = excluded.updated_at,
				stream_id = excluded.stream_id`,
			int64(last), state, s.now().UnixMilli(), c.streamID)
		return err
	})
	if err != nil {
		c.loaded = false // the in-memory state ran ahead of the database: reload it
		return err
	}
	c.lastSeq = last
	return nil
}

// correlationHit turns a firing correlation into an alert hit.
func correlationHit(ch sigma.CorrelationHit, agency, eventID string, line []byte) hit {
	h := hitOf(ch.Rule, KindCorrelation)
	h.eventID, h.agency, h.at = eventID, agency, ch.Time
	h.group = map[string]string{"group": strings.Join(ch.Group, ",")}
	summary := map[string]any{"correlation": ch.Rule.Title, "type": ch.Rule.Correlation.Type, "group": ch.Group,
		"value": ch.Value, "first": ch.First, "last": ch.Time}
	if line != nil {
		summary["completing_event"] = json.RawMessage(line)
	}
	h.event, _ = json.Marshal(summary)
	return h
}

// checkStream binds the saved position to the stream the batch comes from:
// a position saved in another incarnation of the stream (deleted and
// created again, or moved to another NATS) means nothing here, and keeping
// it would skip the new stream's first batches. The correlators' windows
// are kept; the position starts over, loudly.
func (c *correlation) checkStream(msgs []eventlog.Msg) {
	if len(msgs) == 0 || msgs[0].StreamID == "" || msgs[0].StreamID == c.streamID {
		return
	}
	if c.streamID != "" {
		c.s.log.Error("correlation: the event log's stream changed; reading the new stream from its start",
			"old_stream_id", c.streamID, "new_stream_id", msgs[0].StreamID, "old_last_seq", c.lastSeq)
		c.lastSeq = 0
	}
	c.streamID = msgs[0].StreamID
}
