package indicators

import (
	"context"
	"database/sql"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/detect"
	"github.com/kubu-gov/kubu/internal/eventlog"
	"github.com/kubu-gov/kubu/internal/intel"
	"github.com/kubu-gov/kubu/internal/intel/match"
)

// IOCDurable is the durable consumer of the event log that the ioc
// workers of every node share. It reads the log beside detection's
// "detect" consumer, so indicator matching changes nothing in the
// detection workers and scales the same way (see docs/design.md).
const IOCDurable = "ioc"

// runWorker is one ioc worker: it matches each batch against the current
// set and writes the alerts in one transaction before acknowledging.
func (s *Service) runWorker(ctx context.Context, log *eventlog.Log) {
	for ctx.Err() == nil {
		err := log.Consume(ctx, IOCDurable, s.handle, eventlog.WithBatchSize(s.opts.BatchSize), eventlog.WithMaxWait(100*time.Millisecond),
			eventlog.WithAckWait(10*time.Second))
		if ctx.Err() != nil || errors.Is(err, eventlog.ErrClosed) {
			return
		}
		s.log.Error("event log consumer stopped; restarting", "consumer", IOCDurable, "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// errNotLoaded delays batches until the first set is built.
var errNotLoaded = errors.New("indicators: not loaded yet")

func (s *Service) handle(ctx context.Context, msgs []eventlog.Msg) error {
	set := s.matcher.Load()
	if set == nil {
		return errNotLoaded
	}
	var matches []detect.Match
	events := 0
	if set.Len() > 0 {
		var details map[detailKey]intel.Indicator
		for _, m := range msgs {
			detect.EachEvent(m, func(ev detect.Event) {
				events++
				for _, h := range set.Match(ev.Line) {
					if details == nil {
						details = map[detailKey]intel.Indicator{}
					}
					h.Indicator = s.details(ctx, details, h.Indicator)
					matches = append(matches, matchOf(h, ev))
				}
			})
		}
	} else {
		for _, m := range msgs {
			events += countLines(m.Data)
		}
	}
	if len(matches) > 0 {
		if err := s.db.Tx(ctx, func(tx *sql.Tx) error { return s.writeMatches(ctx, tx, matches, "") }); err != nil {
			return err
		}
	}
	s.matched.Add(int64(events))
	return nil
}

func countLines(b []byte) int {
	n := 0
	for len(b) > 0 {
		i := 0
		for i < len(b) && b[i] != '\n' {
			i++
		}
		if i > 0 {
			n++
		}
		if i == len(b) {
			break
		}
		b = b[i+1:]
	}
	return n
}

type detailKey struct{ id, typ, value string }

// details returns the indicator of a hit with its name, confidence and
// TLP, which the matcher's set does not hold, read once per batch.
func (s *Service) details(ctx context.Context, cache map[detailKey]intel.Indicator, in *intel.Indicator) *intel.Indicator {
	k := detailKey{in.ID, string(in.Type), in.Value}
	d, ok := cache[k]
	if !ok {
		d = *in
		var tlp string
		d.Confidence = -1
		if err := s.db.R().QueryRowContext(ctx, `SELECT name, confidence, tlp FROM intel_indicators WHERE stix_id = $1 AND type = $2 AND value = $3`,
			in.ID, string(in.Type), in.Value).Scan(&d.Name, &d.Confidence, &tlp); err == nil {
			d.TLP = intel.TLP(tlp)
		}
		cache[k] = d
	}
	return &d
}

// matchOf is the alert match of an indicator hit. The level follows the
// source's confidence; an indicator of restricted TLP is named by its type
// only, since the alert is shown to the event's agency.
func matchOf(h match.Hit, ev detect.Event) detect.Match {
	in := h.Indicator
	title := in.Name
	if title == "" {
		title = string(in.Type) + " " + in.Value
	}
	if in.TLP == intel.TLPRed || in.TLP == intel.TLPAmberStrict {
		title = "TLP:" + strings.ToUpper(string(in.TLP)) + " " + string(in.Type) + " indicator"
	}
	return detect.Match{RuleID: in.ID, Title: "Indicator match: " + title, Level: levelOf(in.Confidence), Kind: detect.KindIOC,
		Tags: []string{"ioc", "ioc." + string(in.Type)}, Event: ev}
}

// levelOf maps a STIX confidence (0–100, -1 unknown) to an alert level.
func levelOf(confidence int) string {
	switch {
	case confidence < 0:
		return "medium"
	case confidence >= 80:
		return "high"
	case confidence >= 50:
		return "medium"
	}
	return "low"
}

// writeMatches writes the alerts and counts the indicators' new hits.
func (s *Service) writeMatches(ctx context.Context, tx *sql.Tx, matches []detect.Match, huntID string) error {
	counts, err := s.detect.WriteMatches(ctx, tx, matches, huntID)
	if err != nil {
		return err
	}
	now := s.now().UnixMilli()
	ids := make([]string, 0, len(counts))
	for id := range counts {
		ids = append(ids, id)
	}
	sort.Strings(ids) // a fixed order: concurrent writers lock rows alike
	for _, ruleID := range ids {
		n := counts[ruleID]
		if _, err := tx.ExecContext(ctx, `INSERT INTO intel_hits (stix_id, hits, last_hit_at) VALUES ($1, $2, $3)
			ON CONFLICT (stix_id) DO UPDATE SET hits = intel_hits.hits + excluded.hits,
			last_hit_at = CASE WHEN excluded.last_hit_at > intel_hits.last_hit_at THEN excluded.last_hit_at ELSE intel_hits.last_hit_at END`,
			ruleID, n, now); err != nil {
			return err
		}
	}
	return nil
}
