package detect

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/event"
	"github.com/kubu-gov/kubu/internal/eventlog"
	"github.com/kubu-gov/kubu/internal/sigma"
)

// Hunt passes: matches and progress are written once per chunk; at most
// huntsPerPass hunts share one pass over the log.
const (
	huntChunkMsgs  = 256
	huntChunkBytes = 64 << 20
	huntsPerPass   = 32
	// huntClockSkew is how far ahead of the log's clock an event's own
	// time may be and still be found by a hunt by event time: such a hunt
	// reads what the log stored from its start minus this.
	huntClockSkew = 5 * time.Minute
)

// runHunts runs the hunts still running, until ctx ends: every hunt
// waiting when a pass starts (up to huntsPerPass, oldest first) shares
// that one pass over the log. A hunt interrupted (leader change, restart)
// resumes from its saved progress.
func (s *Service) runHunts(ctx context.Context, log *eventlog.Log) {
	for ctx.Err() == nil {
		ids, err := s.runningHunts(ctx)
		switch {
		case err == nil && len(ids) > 0:
			if err := s.runPass(ctx, log, ids); err != nil && ctx.Err() == nil {
				s.log.Error("retro-hunt pass failed", "hunts", ids, "err", err)
				for _, id := range ids {
					s.failHunt(ctx, id, err)
				}
			}
			continue
		case err != nil && ctx.Err() == nil:
			s.log.Warn("retro-hunt queue", "err", err)
		}
		select {
		case <-ctx.Done():
		case <-s.huntWake:
		case <-time.After(2 * time.Second):
		}
	}
}

// HuntPasses is how many passes over the log this node's hunts have made.
func (s *Service) HuntPasses() int64 { return s.huntPasses.Load() }

func (s *Service) runningHunts(ctx context.Context) ([]string, error) {
	rows, err := s.db.R().QueryContext(ctx, `SELECT id FROM hunts WHERE status = $1 ORDER BY id LIMIT $2`, HuntRunning, huntsPerPass)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func (s *Service) failHunt(ctx context.Context, huntID string, cause error) {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE hunts SET status = $1, error = $2, finished_at = $3 WHERE id = $4`,
			HuntFailed, cause.Error(), s.now().UnixMilli(), huntID); err != nil {
			return err
		}
		_, err := s.audit.Append(ctx, tx, audit.Entry{Code: HuntAborted, Actor: audit.System, TargetType: "hunt", TargetID: huntID,
			After: map[string]any{"error": cause.Error()}})
		return err
	})
	if err != nil {
		s.log.Error("retro-hunt: record failure", "hunt", huntID, "err", err)
	}
}

// huntState is a hunt's progress as stored.
type huntState struct {
	h       Hunt
	yaml    string
	lastSeq uint64
}

func (s *Service) loadHunt(ctx context.Context, huntID string) (huntState, error) {
	var st huntState
	var last int64
	h, err := scanHunt(s.db.R().QueryRowContext(ctx, `SELECT `+huntCols+`, yaml, last_seq FROM hunts WHERE id = $1`, huntID), &st.yaml, &last)
	st.h, st.lastSeq = h, uint64(last)
	return st, err
}

// passHunt is one hunt in a pass: its compiled rule with a matcher per
// worker, and what of the log it reads.
type passHunt struct {
	huntState
	set      *sigma.Set
	matchers []*sigma.Matcher
	subject  string    // its agency's subject; "" = every agency
	from, to time.Time // the stored-time window it reads; a zero to: the end of the log
}

// wants reports whether the hunt reads stored batch m.
func (p *passHunt) wants(m *eventlog.Msg) bool {
	return m.Seq > p.lastSeq && (p.subject == "" || m.Subject == p.subject) &&
		!m.Time.Before(p.from) && (p.to.IsZero() || m.Time.Before(p.to))
}

// selects reports whether an event of a batch it reads is in the hunt's range.
func (p *passHunt) selects(meta *event.Meta, m *eventlog.Msg) bool {
	if p.h.TimeBasis == TimeStored {
		return true // the batch's stored time was checked by wants
	}
	t := meta.Time
	if t.IsZero() {
		t = m.Time
	}
	return !t.Before(p.h.From) && t.Before(p.h.To)
}

// preparePass loads and compiles the hunts; a hunt whose rule no longer
// compiles fails alone.
func (s *Service) preparePass(ctx context.Context, log *eventlog.Log, ids []string, workers int) ([]*passHunt, error) {
	var out []*passHunt
	for _, id := range ids {
		st, err := s.loadHunt(ctx, id)
		if err != nil {
			return nil, err
		}
		p := &passHunt{huntState: st, from: st.h.From, to: st.h.To}
		if st.h.TimeBasis != TimeStored {
			// An event of the range may have been stored any time after it
			// happened (shippers send late; backfills): read to the end.
			p.from, p.to = st.h.From.Add(-huntClockSkew), time.Time{}
		}
		if err := s.compileHunt(ctx, log, p, workers); err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			s.failHunt(ctx, id, err)
			continue
		}
		out = append(out, p)
	}
	return out, nil
}

func (s *Service) compileHunt(ctx context.Context, log *eventlog.Log, p *passHunt, workers int) error {
	parsed, err := parseRule("hunt.yml", []byte(p.yaml), p.h.RuleID, false)
	if err != nil {
		return err
	}
	var docs []*sigma.Rule
	for _, r := range parsed.rules {
		if r.Kind() != "correlation" {
			docs = append(docs, r)
		}
	}
	set, err := sigma.Compile(docs, sigma.Options{Mapping: s.opts.Mapping, Placeholders: s.opts.Placeholders, EmptyMissingPlaceholders: true})
	if set == nil || len(set.Rules()) == 0 {
		return fmt.Errorf("compile the hunt's rule: %w", err)
	}
	p.set = set
	for range workers {
		p.matchers = append(p.matchers, set.NewMatcher())
	}
	if p.h.AgencyID != "" {
		var code string
		if err := s.db.R().QueryRowContext(ctx, `SELECT code FROM agencies WHERE id = $1`, p.h.AgencyID).Scan(&code); err != nil {
			return fmt.Errorf("hunt agency: %w", err)
		}
		if p.subject, err = log.Subject(code); err != nil {
			return err
		}
	}
	return nil
}

// runPass reads the log once for every hunt in ids, in stream order, over
// the union of their windows; it matches chunks of batches on every core
// and writes each chunk's alerts with every hunt's progress in one
// transaction.
func (s *Service) runPass(ctx context.Context, log *eventlog.Log, ids []string) error {
	workers := runtime.GOMAXPROCS(0)
	hunts, err := s.preparePass(ctx, log, ids, workers)
	if err != nil || len(hunts) == 0 {
		return err
	}
	from, to, subject := hunts[0].from, hunts[0].to, hunts[0].subject
	for _, p := range hunts[1:] {
		if p.from.Before(from) {
			from = p.from
		}
		if to.IsZero() || p.to.IsZero() {
			to = time.Time{}
		} else if p.to.After(to) {
			to = p.to
		}
		if p.subject != subject {
			subject = ""
		}
	}
	var opts []eventlog.RangeOption
	if subject != "" {
		opts = append(opts, eventlog.RangeFilter(subject))
	}
	s.huntPasses.Add(1)
	start := time.Now()
	var chunk []eventlog.Msg
	size := 0
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		err := s.huntChunk(ctx, hunts, chunk)
		chunk, size = chunk[:0], 0
		return err
	}
	err = log.Range(ctx, from, to, func(m eventlog.Msg) error {
		chunk = append(chunk, m)
		size += len(m.Data)
		if len(chunk) >= huntChunkMsgs || size >= huntChunkBytes {
			return flush()
		}
		return nil
	}, opts...)
	if err == nil {
		err = flush()
	}
	if err != nil {
		return err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.checkLease(ctx, tx, leaderLease); err != nil {
			return err
		}
		for _, p := range hunts {
			if _, err := tx.ExecContext(ctx, `UPDATE hunts SET status = $1, finished_at = $2 WHERE id = $3`, HuntDone, s.now().UnixMilli(), p.h.ID); err != nil {
				return err
			}
			done, err := s.loadHuntTx(ctx, tx, p.h.ID)
			if err != nil {
				return err
			}
			if _, err := s.audit.Append(ctx, tx, audit.Entry{Code: HuntCompleted, Actor: audit.System, AgencyID: p.h.AgencyID, TargetType: "hunt", TargetID: p.h.ID,
				After: map[string]any{"events_scanned": done.EventsScanned, "matches": done.Matches}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		s.log.Info("retro-hunt pass done", "hunts", len(hunts), "seconds", time.Since(start).Seconds())
	}
	return err
}

func (s *Service) loadHuntTx(ctx context.Context, tx *sql.Tx, huntID string) (Hunt, error) {
	return scanHunt(tx.QueryRowContext(ctx, `SELECT `+huntCols+` FROM hunts WHERE id = $1`, huntID))
}

// huntResult is what one worker found for one hunt in a chunk.
type huntResult struct {
	hits   []hit
	events int64
}

// huntChunk matches one chunk for every hunt, the batches spread over the
// workers (each reads an event's envelope once for all the hunts), and
// stores the matches and every hunt's progress.
func (s *Service) huntChunk(ctx context.Context, hunts []*passHunt, chunk []eventlog.Msg) error {
	workers := len(hunts[0].matchers)
	results := make([][]huntResult, workers) // [worker][hunt]
	var wg sync.WaitGroup
	for w := range workers {
		results[w] = make([]huntResult, len(hunts))
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := results[w]
			var reading []int // the hunts that read the batch
			for i := w; i < len(chunk); i += workers {
				msg := &chunk[i]
				reading = reading[:0]
				for k, p := range hunts {
					if p.wants(msg) {
						reading = append(reading, k)
					}
				}
				if len(reading) == 0 {
					continue
				}
				forEachEvent(*msg, func(eventID string, line []byte) {
					meta, end, _ := event.Split(line)
					for _, k := range reading {
						p := hunts[k]
						if !p.selects(&meta, msg) {
							continue
						}
						res[k].events++
						var matched []*sigma.Rule
						var err error
						event.WithBody(line, end, func(body []byte) { matched, err = p.matchers[w].MatchRules(body) })
						if err != nil || len(matched) == 0 {
							continue
						}
						agency, at := meta.Agency, meta.Time
						if agency == "" {
							agency = agencyOfSubject(msg.Subject)
						}
						if at.IsZero() {
							at = msg.Time
						}
						for _, r := range matched {
							h := hitOf(r, KindDetection)
							h.eventID, h.agency, h.at, h.event = eventID, agency, at, line
							h.group = map[string]string{"host": meta.Host}
							res[k].hits = append(res[k].hits, h)
						}
					}
				})
			}
		}()
	}
	wg.Wait()
	last := chunk[len(chunk)-1].Seq
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.checkLease(ctx, tx, leaderLease); err != nil {
			return err
		}
		for k, p := range hunts {
			var hits []hit
			var events int64
			for w := range workers {
				hits = append(hits, results[w][k].hits...)
				events += results[w][k].events
			}
			n, err := s.writeHits(ctx, tx, hits, p.h.ID)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE hunts SET events_scanned = events_scanned + $1, matches = matches + $2, last_seq = $3 WHERE id = $4 AND last_seq < $3`,
				events, n, int64(last), p.h.ID); err != nil {
				return err
			}
		}
		return nil
	})
}
