package intake

import (
	"context"
	"database/sql"
	"sort"
	"sync"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/store"
)

// StatsFlushInterval is how often the counts of refused events reach the
// database. Accepted events are counted in the database before they are
// acknowledged (commitAccepted).
const StatsFlushInterval = time.Second

type statKey struct{ agencyID, protocol string }

type counts struct{ accepted, rejected, bytes int64 }

// stats counts events. The database holds the totals since the data dir
// (or database) was created. Accepted events are added to it before their
// request is answered, so the count is as durable as the acknowledgement
// (a crash right after a 200 loses no count); refused events are kept here
// and flushed every StatsFlushInterval.
type stats struct {
	mu      sync.Mutex
	pending map[statKey]counts
	db      *store.DB
	now     func() time.Time

	// group commit of accepted counts: requests queue their counts and
	// one writer adds everything queued in one transaction.
	amu     sync.Mutex
	queue   []*acceptance
	writing bool
}

// acceptance is one request's accepted events waiting to be counted.
type acceptance struct {
	k    statKey
	c    counts
	done chan error
}

func newStats(db *store.DB, now func() time.Time) *stats {
	return &stats{pending: map[statKey]counts{}, db: db, now: now}
}

func (st *stats) add(agencyID, protocol string, accepted, rejected, bytes int64) {
	if accepted == 0 && rejected == 0 {
		return
	}
	st.mu.Lock()
	c := st.pending[statKey{agencyID, protocol}]
	c.accepted += accepted
	c.rejected += rejected
	c.bytes += bytes
	st.pending[statKey{agencyID, protocol}] = c
	st.mu.Unlock()
}

// commitAccepted adds accepted events to the database and returns once
// they are committed (or failed). Concurrent calls share transactions.
func (st *stats) commitAccepted(ctx context.Context, agencyID, protocol string, events, bytes int64) error {
	if events == 0 {
		return nil
	}
	a := &acceptance{k: statKey{agencyID, protocol}, c: counts{accepted: events, bytes: bytes}, done: make(chan error, 1)}
	st.amu.Lock()
	st.queue = append(st.queue, a)
	if !st.writing {
		st.writing = true
		go st.writeAccepted()
	}
	st.amu.Unlock()
	select {
	case err := <-a.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// writeAccepted commits the queued acceptances, a transaction for all
// those queued at once, until the queue is empty.
func (st *stats) writeAccepted() {
	for {
		st.amu.Lock()
		batch := st.queue
		st.queue = nil
		if len(batch) == 0 {
			st.writing = false
			st.amu.Unlock()
			return
		}
		st.amu.Unlock()
		sum := map[statKey]counts{}
		for _, a := range batch {
			c := sum[a.k]
			c.accepted += a.c.accepted
			c.bytes += a.c.bytes
			sum[a.k] = c
		}
		ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
		err := st.write(ctx, sum)
		cancel()
		for _, a := range batch {
			a.done <- err
		}
	}
}

// write adds counts to the database in one transaction.
func (st *stats) write(ctx context.Context, batch map[statKey]counts) error {
	now := st.now().UnixMilli()
	return st.db.Tx(ctx, func(tx *sql.Tx) error {
		for k, c := range batch {
			_, err := tx.ExecContext(ctx, `INSERT INTO intake_stats (agency_id, protocol, accepted, rejected, bytes, updated_at)
				VALUES ($1,$2,$3,$4,$5,$6)
				ON CONFLICT (agency_id, protocol) DO UPDATE SET accepted = intake_stats.accepted + excluded.accepted,
					rejected = intake_stats.rejected + excluded.rejected, bytes = intake_stats.bytes + excluded.bytes,
					updated_at = excluded.updated_at`,
				k.agencyID, k.protocol, c.accepted, c.rejected, c.bytes, now)
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// snapshot copies the unflushed counters.
func (st *stats) snapshot() map[statKey]counts {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := make(map[statKey]counts, len(st.pending))
	for k, v := range st.pending {
		out[k] = v
	}
	return out
}

// flush adds the pending counters to the database in one transaction; on
// failure they stay pending for the next flush.
func (st *stats) flush(ctx context.Context) error {
	st.mu.Lock()
	batch := st.pending
	st.pending = map[statKey]counts{}
	st.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	err := st.write(ctx, batch)
	if err != nil {
		st.mu.Lock()
		for k, c := range batch {
			p := st.pending[k]
			p.accepted += c.accepted
			p.rejected += c.rejected
			p.bytes += c.bytes
			st.pending[k] = p
		}
		st.mu.Unlock()
	}
	return err
}

// StatsReport is GET /api/v1/intake/stats: totals since the data dir was
// created, and the same per agency and protocol.
type StatsReport struct {
	EventsAccepted int64       `json:"events_accepted"`
	EventsRejected int64       `json:"events_rejected"`
	BytesAccepted  int64       `json:"bytes_accepted"`
	ByProtocol     []StatsLine `json:"by_protocol"`
	ByAgency       []StatsLine `json:"by_agency"`
	// EventLog describes the retained events (central roles only).
	EventLog *EventLogStats `json:"event_log,omitempty"`
}

// StatsLine is one row of a breakdown.
type StatsLine struct {
	Agency         string `json:"agency,omitempty"` // code, or "unassigned"
	Protocol       string `json:"protocol,omitempty"`
	EventsAccepted int64  `json:"events_accepted"`
	EventsRejected int64  `json:"events_rejected"`
	BytesAccepted  int64  `json:"bytes_accepted"`
}

// EventLogStats describes what the event log retains.
type EventLogStats struct {
	Batches     uint64    `json:"batches"`
	Bytes       uint64    `json:"bytes"`
	Oldest      time.Time `json:"oldest,omitzero"`
	Newest      time.Time `json:"newest,omitzero"`
	MaxAgeHours float64   `json:"max_age_hours"`
	MaxBytes    int64     `json:"max_bytes"`
	Unavailable string    `json:"unavailable,omitempty"`
}

// Stats reports the intake counters the caller may see: everything for
// central roles, their own agency's for tenants.
func (s *Service) Stats(ctx context.Context, a authz.Actor) (StatsReport, error) {
	sc, err := authz.ScopeFor(a, authz.IntakeRead)
	if err != nil {
		return StatsReport{}, err
	}
	q, args := `SELECT s.agency_id, COALESCE(a.code, ''), s.protocol, s.accepted, s.rejected, s.bytes FROM intake_stats s LEFT JOIN agencies a ON a.id = s.agency_id`, []any{}
	if !sc.All {
		q += ` WHERE s.agency_id = $1`
		args = append(args, sc.AgencyID)
	}
	rows, err := s.db.R().QueryContext(ctx, q, args...)
	if err != nil {
		return StatsReport{}, err
	}
	defer rows.Close()
	type line struct {
		code string
		counts
	}
	lines := map[statKey]line{}
	for rows.Next() {
		var k statKey
		var l line
		if err := rows.Scan(&k.agencyID, &l.code, &k.protocol, &l.accepted, &l.rejected, &l.bytes); err != nil {
			return StatsReport{}, err
		}
		lines[k] = l
	}
	if err := rows.Err(); err != nil {
		return StatsReport{}, err
	}
	for k, c := range s.stats.snapshot() {
		if !sc.All && k.agencyID != sc.AgencyID {
			continue
		}
		l := lines[k]
		if l.code == "" {
			l.code = s.agencyCode(ctx, k.agencyID)
		}
		l.accepted += c.accepted
		l.rejected += c.rejected
		l.bytes += c.bytes
		lines[k] = l
	}
	r := StatsReport{ByProtocol: []StatsLine{}, ByAgency: []StatsLine{}}
	byProto, byAgency := map[string]*StatsLine{}, map[string]*StatsLine{}
	for k, l := range lines {
		code := l.code
		if k.agencyID == "" {
			code = Unassigned
		}
		r.EventsAccepted += l.accepted
		r.EventsRejected += l.rejected
		r.BytesAccepted += l.bytes
		for _, m := range []struct {
			idx  map[string]*StatsLine
			key  string
			make func() StatsLine
		}{
			{byProto, k.protocol, func() StatsLine { return StatsLine{Protocol: k.protocol} }},
			{byAgency, code, func() StatsLine { return StatsLine{Agency: code} }},
		} {
			sl := m.idx[m.key]
			if sl == nil {
				x := m.make()
				sl = &x
				m.idx[m.key] = sl
			}
			sl.EventsAccepted += l.accepted
			sl.EventsRejected += l.rejected
			sl.BytesAccepted += l.bytes
		}
	}
	for _, sl := range byProto {
		r.ByProtocol = append(r.ByProtocol, *sl)
	}
	for _, sl := range byAgency {
		r.ByAgency = append(r.ByAgency, *sl)
	}
	sort.Slice(r.ByProtocol, func(i, j int) bool { return r.ByProtocol[i].Protocol < r.ByProtocol[j].Protocol })
	sort.Slice(r.ByAgency, func(i, j int) bool { return r.ByAgency[i].Agency < r.ByAgency[j].Agency })
	if sc.All {
		r.EventLog = s.eventLogStats(ctx)
	}
	return r, nil
}

func (s *Service) eventLogStats(ctx context.Context) *EventLogStats {
	log := s.eventLog()
	if log == nil {
		return &EventLogStats{Unavailable: "the event log is not open on this node"}
	}
	st, err := log.Stats(ctx)
	if err != nil {
		return &EventLogStats{Unavailable: err.Error()}
	}
	return &EventLogStats{Batches: st.Messages, Bytes: st.Bytes, Oldest: st.FirstTime, Newest: st.LastTime,
		MaxAgeHours: st.MaxAge.Hours(), MaxBytes: st.MaxBytes}
}

// RunStats flushes the counters every StatsFlushInterval until ctx ends,
// then once more.
func (s *Service) RunStats(ctx context.Context) {
	t := time.NewTicker(StatsFlushInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := s.stats.flush(fctx); err != nil {
				s.log.Error("intake: final stats flush", "err", err)
			}
			if err := s.unassigned.flush(fctx); err != nil {
				s.log.Error("intake: final unassigned-sender flush", "err", err)
			}
			cancel()
			return
		case <-t.C:
			if err := s.stats.flush(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("intake: stats flush", "err", err)
			}
			if err := s.unassigned.flush(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("intake: unassigned-sender flush", "err", err)
			}
		}
	}
}

// FlushStats writes the pending counters now (for shutdown and tests).
func (s *Service) FlushStats(ctx context.Context) error { return s.stats.flush(ctx) }
