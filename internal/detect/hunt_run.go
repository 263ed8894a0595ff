package detect

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/eventlog"
	"github.com/kubu-gov/kubu/internal/sigma"
)

// Hunt chunking: matches and progress are written once per chunk.
const (
	huntChunkMsgs  = 256
	huntChunkBytes = 64 << 20
)

// runHunts runs the hunts still running, oldest first, one at a time,
// until ctx ends; a hunt interrupted (leader change, restart) resumes from
// its saved progress.
func (s *Service) runHunts(ctx context.Context, log *eventlog.Log) {
	for ctx.Err() == nil {
		var huntID string
		err := s.db.R().QueryRowContext(ctx, `SELECT id FROM hunts WHERE status = $1 ORDER BY id LIMIT 1`, HuntRunning).Scan(&huntID)
		switch {
		case err == nil:
			if err := s.runHunt(ctx, log, huntID); err != nil && ctx.Err() == nil {
				s.log.Error("retro-hunt failed", "hunt", huntID, "err", err)
				s.failHunt(ctx, huntID, err)
			}
			continue
		case !errors.Is(err, sql.ErrNoRows) && ctx.Err() == nil:
			s.log.Warn("retro-hunt queue", "err", err)
		}
		select {
		case <-ctx.Done():
		case <-s.huntWake:
		case <-time.After(2 * time.Second):
		}
	}
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

// runHunt reads the hunt's range of the event log in stream order, matches
// chunks of batches in parallel, and writes each chunk's alerts with the
// hunt's progress in one transaction.
func (s *Service) runHunt(ctx context.Context, log *eventlog.Log, huntID string) error {
	st, err := s.loadHunt(ctx, huntID)
	if err != nil {
		return err
	}
	p, err := parseRule("hunt.yml", []byte(st.yaml), st.h.RuleID, false)
	if err != nil {
		return err
	}
	var docs []*sigma.Rule
	for _, r := range p.rules {
		if r.Kind() != "correlation" {
			docs = append(docs, r)
		}
	}
	set, err := sigma.Compile(docs, sigma.Options{Mapping: s.opts.Mapping, Placeholders: s.opts.Placeholders, EmptyMissingPlaceholders: true})
	if set == nil || len(set.Rules()) == 0 {
		return fmt.Errorf("compile the hunt's rule: %w", err)
	}
	var opts []eventlog.RangeOption
	if st.h.AgencyID != "" {
		var code string
		if err := s.db.R().QueryRowContext(ctx, `SELECT code FROM agencies WHERE id = $1`, st.h.AgencyID).Scan(&code); err != nil {
			return fmt.Errorf("hunt agency: %w", err)
		}
		subj, err := log.Subject(code)
		if err != nil {
			return err
		}
		opts = append(opts, eventlog.RangeFilter(subj))
	}
	workers := runtime.GOMAXPROCS(0)
	matchers := make([]*sigma.Matcher, workers)
	for i := range matchers {
		matchers[i] = set.NewMatcher()
	}
	var chunk []eventlog.Msg
	size := 0
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		err := s.huntChunk(ctx, st.h.ID, set, matchers, chunk)
		chunk, size = chunk[:0], 0
		return err
	}
	start := time.Now()
	err = log.Range(ctx, st.h.From, st.h.To, func(m eventlog.Msg) error {
		if m.Seq <= st.lastSeq {
			return nil // done before an interruption
		}
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
		if _, err := tx.ExecContext(ctx, `UPDATE hunts SET status = $1, finished_at = $2 WHERE id = $3`, HuntDone, s.now().UnixMilli(), st.h.ID); err != nil {
			return err
		}
		done, err := s.loadHuntTx(ctx, tx, st.h.ID)
		if err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: HuntCompleted, Actor: audit.System, AgencyID: st.h.AgencyID, TargetType: "hunt", TargetID: st.h.ID,
			After: map[string]any{"events_scanned": done.EventsScanned, "matches": done.Matches}})
		return err
	})
	if err == nil {
		s.log.Info("retro-hunt done", "hunt", st.h.ID, "seconds", time.Since(start).Seconds())
	}
	return err
}

func (s *Service) loadHuntTx(ctx context.Context, tx *sql.Tx, huntID string) (Hunt, error) {
	return scanHunt(tx.QueryRowContext(ctx, `SELECT `+huntCols+` FROM hunts WHERE id = $1`, huntID))
}

// huntChunk matches one chunk on every matcher in parallel and stores the
// matches and the progress.
func (s *Service) huntChunk(ctx context.Context, huntID string, set *sigma.Set, matchers []*sigma.Matcher, chunk []eventlog.Msg) error {
	type result struct {
		hits   []hit
		events int64
	}
	results := make([]result, len(matchers))
	var wg sync.WaitGroup
	for w := range matchers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, res := matchers[w], &results[w]
			for i := w; i < len(chunk); i += len(matchers) {
				msg := chunk[i]
				forEachEvent(msg, func(eventID string, line []byte) {
					res.events++
					matched, meta, err := matchLine(m, line)
					if err != nil || len(matched) == 0 {
						return
					}
					if meta.Agency == "" {
						meta.Agency = agencyOfSubject(msg.Subject)
					}
					if meta.Time.IsZero() {
						meta.Time = msg.Time
					}
					for _, r := range matched {
						h := hitOf(r, KindDetection)
						h.eventID, h.agency, h.at, h.event = eventID, meta.Agency, meta.Time, line
						h.group = map[string]string{"host": meta.Host}
						res.hits = append(res.hits, h)
					}
				})
			}
		}()
	}
	wg.Wait()
	var hits []hit
	var events int64
	for _, r := range results {
		hits = append(hits, r.hits...)
		events += r.events
	}
	last := chunk[len(chunk)-1].Seq
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.checkLease(ctx, tx, leaderLease); err != nil {
			return err
		}
		n, err := s.writeHits(ctx, tx, hits, huntID)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE hunts SET events_scanned = events_scanned + $1, matches = matches + $2, last_seq = $3 WHERE id = $4`,
			events, n, int64(last), huntID)
		return err
	})
}
